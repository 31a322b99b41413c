#pragma once

// The metrics actor (SPEC.md 6, ARCHITECTURE.md "metrics"): owns the
// Prometheus registry and a read-only connection to the database, and
// answers the three monitoring endpoints. Spawn it `caf::detached`: its
// reads are blocking SQLite calls (WAL readers never block the store's
// writes). It reads at every request, so `/metrics` shows what the
// database holds at that moment, with or without a run.

#include "actors/metrics_registry.hpp"
#include "messages/monitoring.hpp"
#include "store/database.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace tdd {

using metrics_actor = caf::typed_actor<
  /// GET /metrics: the text exposition (503 when the database cannot be
  /// read).
  caf::replies_to<atom::scrape>::with<http_reply>,
  /// GET /healthz: `circuits health --json`; 200 HEALTHY or DEGRADED, 503
  /// UNHEALTHY or UNKNOWN.
  caf::replies_to<atom::health>::with<http_reply>,
  /// GET /api/status: `status --json`.
  caf::replies_to<atom::status>::with<http_reply>>;

/// Renders an endpoint from the database: `db` is null when it cannot be
/// opened, and `why` then says why.
using endpoint_view
  = std::function<http_reply(store::database* db, const std::string& why)>;

struct metrics_config {
  std::string db_path;
  /// /healthz and /api/status, rendered exactly as `circuits health
  /// --json` and `status --json` are: the CLI passes its renderers in, so
  /// that actors/ does not depend on cli/.
  endpoint_view health;
  endpoint_view status;
};

struct metrics_state {
  static inline constexpr const char* name = "metrics";
  metrics_config config;
  std::unique_ptr<metrics_registry> registry;
  std::optional<store::database> db; ///< opened on demand, read-only
};

metrics_actor::behavior_type
metrics(metrics_actor::stateful_pointer<metrics_state> self,
        metrics_config config);

} // namespace tdd
