// exec::http_post against a cpp-httplib server on 127.0.0.1 (a port the
// system picks): what arrives, statuses, Retry-After, a server that never
// answers and a port nobody listens on.

#include "exec/http_post.hpp"

#include <doctest/doctest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace tdd;
using namespace std::chrono_literals;

namespace {

constexpr const char* secret_path = "/services/T000/B000/SECRETTOKEN";

/// A server on its own thread, stopped and joined on destruction. Handlers
/// are added before `start`.
struct mock_server {
  httplib::Server server;
  int port = 0;
  std::thread thread;
  std::atomic<bool> ended{false};
  std::mutex mutex;
  std::condition_variable released_cv;
  bool released = false;
  std::vector<std::string> bodies;
  std::vector<std::string> content_types;

  mock_server() {
    port = server.bind_to_any_port("127.0.0.1");
    REQUIRE(port > 0);
  }

  ~mock_server() {
    release();
    server.stop();
    if (thread.joinable()) {
      thread.join();
    }
  }

  mock_server(const mock_server&) = delete;
  mock_server& operator=(const mock_server&) = delete;

  void start() {
    thread = std::thread{[this] {
      // A client that gave up leaves a closed socket to answer on; httplib
      // sends without MSG_NOSIGNAL. Its pool threads inherit this mask.
      sigset_t pipe;
      sigemptyset(&pipe);
      sigaddset(&pipe, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
      server.listen_after_bind();
      ended = true;
    }};
    // httplib's stop() is lost before the accept loop runs.
    while (!server.is_running() && !ended) {
      std::this_thread::yield();
    }
  }

  /// Records what arrived (under the lock: handlers run on pool threads).
  void note(const httplib::Request& req) {
    const std::lock_guard<std::mutex> guard{mutex};
    bodies.push_back(req.body);
    content_types.push_back(req.get_header_value("Content-Type"));
  }

  /// Blocks the calling handler until the test releases it.
  void hold() {
    std::unique_lock<std::mutex> lock{mutex};
    released_cv.wait(lock, [this] { return released; });
  }

  void release() {
    {
      const std::lock_guard<std::mutex> guard{mutex};
      released = true;
    }
    released_cv.notify_all();
  }

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port) + secret_path;
  }
};

/// A loopback port with nobody listening: bound, then closed.
int closed_port() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  socklen_t len = sizeof(a);
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  close(fd);
  return ntohs(a.sin_port);
}

void check_no_secret(const exec::http_post_result& r) {
  CHECK(r.error.find("SECRETTOKEN") == std::string::npos);
  CHECK(r.error.find("/services") == std::string::npos);
}

} // namespace

TEST_CASE("http_post: a 200 delivers the JSON body as application/json") {
  mock_server mock;
  mock.server.Post(secret_path,
                   [&](const httplib::Request& req, httplib::Response& res) {
                     mock.note(req);
                     res.set_content("ok", "text/plain");
                   });
  mock.start();
  const std::string body = R"({"text":"hello \"slack\"","blocks":[]})";
  const auto r = exec::http_post(mock.url(), body);
  CHECK(r.status == 200);
  CHECK(r.error.empty());
  CHECK_FALSE(r.retry_after_s);
  const std::lock_guard<std::mutex> guard{mock.mutex};
  REQUIRE(mock.bodies.size() == 1);
  CHECK(mock.bodies[0] == body);
  CHECK(mock.content_types[0] == "application/json");
}

TEST_CASE("http_post: a 429 reports its Retry-After") {
  mock_server mock;
  mock.server.Post(secret_path,
                   [](const httplib::Request&, httplib::Response& res) {
                     res.status = 429;
                     res.set_header("Retry-After", "7");
                     res.set_content("rate_limited", "text/plain");
                   });
  mock.start();
  const auto r = exec::http_post(mock.url(), "{}");
  CHECK(r.status == 429);
  CHECK(r.retry_after_s == 7);
  CHECK(r.error == "HTTP 429 (rate_limited)");
}

TEST_CASE("http_post: a 500 is an error that does not repeat the body") {
  mock_server mock;
  mock.server.Post(
    secret_path, [](const httplib::Request& req, httplib::Response& res) {
      res.status = 500;
      // A body that quotes the request stays out of errors.
      res.set_content("<html>" + req.path + "</html>", "text/html");
    });
  mock.start();
  const auto r = exec::http_post(mock.url(), "{}");
  CHECK(r.status == 500);
  CHECK_FALSE(r.retry_after_s);
  CHECK(r.error == "HTTP 500");
  check_no_secret(r);
}

TEST_CASE("http_post: a server that never answers times out quickly") {
  mock_server mock;
  mock.server.Post(secret_path,
                   [&](const httplib::Request&, httplib::Response& res) {
                     mock.hold();
                     res.set_content("late", "text/plain");
                   });
  mock.start();
  exec::http_timeouts timeouts;
  timeouts.connect = 1000ms;
  timeouts.total = 300ms;
  const auto started = std::chrono::steady_clock::now();
  const auto r = exec::http_post(mock.url(), "{}", timeouts);
  const auto took = std::chrono::steady_clock::now() - started;
  CHECK(r.status == 0);
  CHECK(r.error.find("Timeout") != std::string::npos);
  CHECK(took < 3s);
  check_no_secret(r);
  mock.release(); // before the server stops: it waits for its handlers
}

TEST_CASE("http_post: a refused connection is status 0 with a masked URL") {
  const auto url = "http://127.0.0.1:" + std::to_string(closed_port())
                   + secret_path + "?token=SECRETTOKEN";
  const auto r = exec::http_post(url, "{}");
  CHECK(r.status == 0);
  CHECK_FALSE(r.error.empty());
  CHECK(r.error.find("http://127.0.0.1:") != std::string::npos);
  CHECK(r.error.find("/***") != std::string::npos);
  check_no_secret(r);
}

TEST_CASE("http_post: only http and https are spoken") {
  const auto r = exec::http_post("file:///etc/passwd", "{}");
  CHECK(r.status == 0);
  CHECK_FALSE(r.error.empty());
  CHECK(r.error.find("passwd") == std::string::npos);
}
