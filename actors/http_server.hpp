#pragma once

// The one HTTP server of the monitoring endpoints (SPEC.md 6), on
// cpp-httplib's own threads: GET /metrics, /healthz and /api/status are
// answered by the metrics actor; anything else is 404. Started by
// `run --http ADDR` and by `serve`.

#include "actors/metrics.hpp"

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include <memory>
#include <string>

namespace tdd {

/// A listen address: "HOST:PORT" or "[IPv6]:PORT"; PORT 0 picks a free one.
struct http_address {
  std::string host;
  int port = 0;
};

/// Parses `text`; errc::invalid_argument saying what is wrong otherwise.
[[nodiscard]] caf::expected<http_address>
parse_http_address(const std::string& text);

/// True for 127.0.0.0/8, ::1 and "localhost".
bool is_loopback(const std::string& host);

/// Binds `address` and lets it go: a check before a run records anything
/// that its --http address can be served. errc::invalid_argument naming
/// the address otherwise.
[[nodiscard]] caf::error check_bindable(const http_address& address);

class http_server {
public:
  /// Binds `address` and serves on a thread of its own until destroyed.
  /// errc::invalid_argument for an address that cannot be bound, naming it.
  [[nodiscard]] static caf::expected<std::unique_ptr<http_server>>
  start(caf::actor_system& sys, metrics_actor handler,
        const http_address& address);

  /// Stops listening, waits for requests in flight, joins the thread.
  ~http_server();

  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  /// The address actually bound ("127.0.0.1:43127"), for people and tests.
  const std::string& address() const noexcept { return bound_; }

  /// "http://127.0.0.1:43127".
  std::string url() const { return "http://" + bound_; }

private:
  struct impl;
  explicit http_server(std::unique_ptr<impl> x, std::string bound);
  std::unique_ptr<impl> impl_;
  std::string bound_;
};

} // namespace tdd
