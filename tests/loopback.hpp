#pragma once

// Loopback networking for tests: ports, and an HTTP server on threads of
// its own (cpp-httplib) to play Slack or any other peer.

#include <doctest/doctest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <string>
#include <thread>

namespace tdd::test {

/// A TCP socket bound to a free port of 127.0.0.1, closed on destruction:
/// listening, it keeps the port busy; closed, the port is free again for a
/// program that cannot pick one itself (or refuses connections).
class loopback_port {
public:
  explicit loopback_port(bool listening) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
    socklen_t len = sizeof(a);
    REQUIRE(getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port_ = ntohs(a.sin_port);
    if (listening) {
      REQUIRE(listen(fd_, 1) == 0);
    }
  }
  ~loopback_port() { close(fd_); }
  loopback_port(const loopback_port&) = delete;
  loopback_port& operator=(const loopback_port&) = delete;

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

private:
  int fd_ = -1;
  int port_ = 0;
};

/// An HTTP server on a free port of 127.0.0.1. Add handlers to `server()`,
/// then `start()`; destruction releases held handlers, stops and joins.
class http_test_server {
public:
  http_test_server() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    REQUIRE(port_ > 0);
  }

  ~http_test_server() {
    release();
    server_.stop();
    if (thread_.joinable()) {
      thread_.join();
    }
  }

  http_test_server(const http_test_server&) = delete;
  http_test_server& operator=(const http_test_server&) = delete;

  httplib::Server& server() { return server_; }
  int port() const { return port_; }
  std::string base() const {
    return "http://127.0.0.1:" + std::to_string(port_);
  }

  void start() {
    thread_ = std::thread{[this] {
      // A client that gave up leaves a closed socket to answer on, and
      // httplib sends without MSG_NOSIGNAL; its pool threads inherit this.
      sigset_t pipe;
      sigemptyset(&pipe);
      sigaddset(&pipe, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
      server_.listen_after_bind();
      ended_ = true;
    }};
    // httplib's stop() is lost before the accept loop runs.
    while (!server_.is_running() && !ended_) {
      std::this_thread::yield();
    }
  }

  /// Blocks the calling handler until `release()` (or destruction): a peer
  /// that hangs.
  void hold() {
    std::unique_lock<std::mutex> lock{mutex_};
    released_cv_.wait(lock, [this] { return released_; });
  }

  void release() {
    {
      const std::lock_guard<std::mutex> guard{mutex_};
      released_ = true;
    }
    released_cv_.notify_all();
  }

private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<bool> ended_{false};
  std::mutex mutex_;
  std::condition_variable released_cv_;
  bool released_ = false;
};

} // namespace tdd::test
