// exec::http_post against a cpp-httplib server on 127.0.0.1 (a port the
// system picks): what arrives, statuses, Retry-After, a server that never
// answers and a port nobody listens on.

#include "exec/http_post.hpp"

#include "loopback.hpp"

#include <doctest/doctest.h>
#include <httplib.h>

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

using namespace tdd;
using namespace std::chrono_literals;

namespace {

constexpr const char* secret_path = "/services/T000/B000/SECRETTOKEN";

/// A mock peer that records what arrives; handlers are added to `server`
/// before `start`.
struct mock_server : test::http_test_server {
  httplib::Server& server = http_test_server::server();
  std::mutex mutex;
  std::vector<std::string> bodies;
  std::vector<std::string> content_types;

  /// Records what arrived (under the lock: handlers run on pool threads).
  void note(const httplib::Request& req) {
    const std::lock_guard<std::mutex> guard{mutex};
    bodies.push_back(req.body);
    content_types.push_back(req.get_header_value("Content-Type"));
  }

  std::string url() const { return base() + secret_path; }
};

/// A loopback port with nobody listening.
int closed_port() {
  return test::loopback_port{false}.port();
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
