#include "actors/http_server.hpp"

#include "messages/errc.hpp"

#include <arpa/inet.h>
#include <caf/scoped_actor.hpp>
#include <httplib.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <utility>

namespace tdd {

namespace {

/// How long a request waits for the metrics actor: a scrape is
/// milliseconds, but a database busy with a checkpoint may take longer.
constexpr auto answer_timeout = std::chrono::seconds{10};

template <class Atom>
void answer(caf::actor_system& sys, const metrics_actor& handler, Atom what,
            httplib::Response& res) {
  caf::scoped_actor self{sys};
  self->request(handler, answer_timeout, what)
    .receive(
      [&](http_reply& r) {
        res.status = r.status;
        res.set_content(std::move(r.body), r.content_type.c_str());
      },
      [&](caf::error& err) {
        res.status = 503;
        res.set_content("the metrics actor did not answer: " + describe(err)
                          + "\n",
                        "text/plain; charset=utf-8");
      });
}

bool is_port(const std::string& text) {
  if (text.empty() || text.size() > 5) {
    return false;
  }
  for (char c : text) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return std::stoi(text) <= 65535;
}

} // namespace

caf::expected<http_address> parse_http_address(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return caf::make_error(errc::invalid_argument,
                           "bad address \"" + text + "\": " + why
                             + " (expected HOST:PORT, e.g. 127.0.0.1:8420)");
  };
  std::string host;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size()
        || text[close + 1] != ':') {
      return bad("an IPv6 address is written [ADDRESS]:PORT");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos) {
      return bad("no port");
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string::npos) {
      return bad("an IPv6 address is written [ADDRESS]:PORT");
    }
  }
  if (host.empty()) {
    return bad("no host");
  }
  if (!is_port(port)) {
    return bad("the port must be a number from 0 to 65535");
  }
  return http_address{host, std::stoi(port)};
}

bool is_loopback(const std::string& host) {
  if (host == "localhost" || host == "::1") {
    return true;
  }
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  return false;
}

namespace {

/// "host:port", with brackets around an IPv6 host.
std::string shown(const std::string& host, int port) {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":"
         + std::to_string(port);
}

/// Binds `srv` to `address`; the port bound, or -1.
int bind_server(httplib::Server& srv, const http_address& address) {
  // httplib's default sets SO_REUSEPORT, which lets a second server share a
  // port in use and take half its requests. SO_REUSEADDR only restarts on
  // a port in TIME_WAIT.
  srv.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  if (address.port == 0) {
    return srv.bind_to_any_port(address.host);
  }
  return srv.bind_to_port(address.host, address.port) ? address.port : -1;
}

caf::error cannot_listen(const http_address& address) {
  return caf::make_error(errc::invalid_argument,
                         "cannot listen on " + shown(address.host, address.port)
                           + " (in use, or not an address of this host)");
}

} // namespace

caf::error check_bindable(const http_address& address) {
  // A plain socket: httplib's server keeps a bound socket open until it
  // has listened, which would hold the port against the real server.
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const auto port = std::to_string(address.port);
  if (getaddrinfo(address.host.c_str(), port.c_str(), &hints, &found) != 0) {
    return cannot_listen(address);
  }
  bool bound = false;
  for (auto* ai = found; ai != nullptr && !bound; ai = ai->ai_next) {
    const int fd
      = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      continue;
    }
    int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    bound = bind(fd, ai->ai_addr, ai->ai_addrlen) == 0;
    close(fd);
  }
  freeaddrinfo(found);
  return bound ? caf::none : cannot_listen(address);
}

struct http_server::impl {
  httplib::Server server;
  std::atomic<bool> ended{false}; ///< the accept loop returned
  std::thread thread;
};

http_server::http_server(std::unique_ptr<impl> x, std::string bound)
    : impl_(std::move(x)), bound_(std::move(bound)) {}

http_server::~http_server() {
  impl_->server.stop();
  if (impl_->thread.joinable()) {
    impl_->thread.join();
  }
}

caf::expected<std::unique_ptr<http_server>>
http_server::start(caf::actor_system& sys, metrics_actor handler,
                   const http_address& address) {
  auto x = std::make_unique<impl>();
  auto& srv = x->server;
  srv.Get("/metrics",
          [&sys, handler](const httplib::Request&, httplib::Response& res) {
            answer(sys, handler, atom::scrape_v, res);
          });
  srv.Get("/healthz",
          [&sys, handler](const httplib::Request&, httplib::Response& res) {
            answer(sys, handler, atom::health_v, res);
          });
  srv.Get("/api/status",
          [&sys, handler](const httplib::Request&, httplib::Response& res) {
            answer(sys, handler, atom::status_v, res);
          });
  // Every other path and method: 404 with a body that says what exists.
  srv.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.status == 404 || res.status == 405) {
      res.status = 404;
      res.set_content("not found: try GET /metrics, /healthz or /api/status\n",
                      "text/plain; charset=utf-8");
    }
  });
  const int port = bind_server(srv, address);
  if (port < 0) {
    return cannot_listen(address);
  }
  auto& ended = x->ended;
  x->thread = std::thread{[&srv, &ended] {
    srv.listen_after_bind();
    ended = true;
  }};
  // httplib's stop() does nothing before the loop runs: a server destroyed
  // at once would then wait in accept() forever. Return once it runs.
  while (!srv.is_running() && !ended) {
    std::this_thread::yield();
  }
  return std::unique_ptr<http_server>{
    new http_server(std::move(x), shown(address.host, port))};
}

} // namespace tdd
