#pragma once

// The monitoring endpoints' documents, as the CLI renders them: /healthz is
// `circuits health --json`, /api/status is `status --json` (SPEC.md 6).

#include "actors/http_server.hpp"
#include "actors/metrics.hpp"

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include <memory>
#include <string>

namespace tdd::cli {

/// The metrics actor's configuration for the database at `db_path`, with
/// the CLI's renderers for /healthz and /api/status.
metrics_config monitor_config(const std::string& db_path);

/// The monitoring endpoints of `serve` and `run --http`: the metrics actor
/// (detached) and the HTTP server in front of it. Stop the server before
/// the actor: requests in flight ask it.
struct monitor_endpoints {
  metrics_actor handler;
  std::unique_ptr<http_server> server;
};

/// Starts both for the database at `db_path` on `address`. When the address
/// cannot be bound, the actor is stopped again and the error returned.
[[nodiscard]] caf::expected<monitor_endpoints>
start_monitoring(caf::actor_system& sys, const std::string& db_path,
                 const http_address& address);

} // namespace tdd::cli
