#pragma once

// What the Prometheus metrics (SPEC.md 6) are made of, read from the
// database in one read transaction by database::metrics_data(). Plain
// data: the metrics registry (actors/metrics_registry.hpp) turns it into
// families; nothing here knows Prometheus.

#include "core/health.hpp"
#include "messages/task.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tdd::store {

/// Number of histogram buckets the totals tables use: 10 bounds and +Inf.
inline constexpr int metric_bucket_count = 11;

/// Finished attempts of one (stage, outcome, reason, duration bucket).
struct attempt_total {
  std::string stage;
  std::string outcome;
  std::string reason;
  int bucket = 0; ///< index into the duration bounds; 10 = +Inf
  int64_t attempts = 0;
  int64_t duration_ms = 0;
  int64_t cost_micros = 0;
  int64_t tokens = 0;
};

/// Circuit events of one (level, type, from, to); from/to "" when none.
struct circuit_event_total {
  std::string level;
  std::string event_type;
  std::string from_state;
  std::string to_state;
  int64_t events = 0;
};

/// Recoveries (open or half_open -> closed) of one (level, bucket).
struct recovery_total {
  std::string level;
  int bucket = 0; ///< index into the recovery bounds; 10 = +Inf
  int64_t recoveries = 0;
  double seconds = 0;
};

/// One circuit and its state.
struct breaker_state {
  std::string level; ///< stage, worker or system
  std::string id;    ///< TASK:STAGE, worker id, or "system"
  std::string state; ///< closed, open or half_open
  std::string since; ///< when it opened or half-opened; "" when closed
};

struct metrics_data {
  task_counts tasks;
  std::vector<attempt_total> attempts;
  std::vector<circuit_event_total> circuit_events;
  std::vector<recovery_total> recoveries;
  int64_t worker_restarts = 0;
  /// Invocations left in the latest run that has a budget.
  std::optional<int64_t> invocations_remaining;
  /// Workers of the latest run, by state.
  std::map<std::string, int64_t> workers;
  int64_t nodes_connected = 0;
  /// Circuits per level and state (v_circuit_health_summary).
  core::health_input circuits;
  /// Worker circuits and the system circuit, by level then id.
  std::vector<breaker_state> breakers;
  /// Notifications by outcome (sent, throttled, failed).
  std::map<std::string, int64_t> notifications;
  /// Finished runs by outcome.
  std::map<std::string, int64_t> runs;
  /// Unix time (s) the active run started; nullopt with none active.
  std::optional<double> active_run_started;
};

} // namespace tdd::store
