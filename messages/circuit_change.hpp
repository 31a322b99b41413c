#pragma once

// What the circuit actors (messages/circuit_actors.hpp) publish and answer
// beyond snapshots: a change with its events, and the system circuit's
// dispatch decision.

#include "core/circuit.hpp"
#include "messages/circuit.hpp"
#include "messages/type_ids.hpp"

#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <optional>
#include <vector>

namespace tdd {

/// A circuit after one input. `snapshot.version` is the version its save
/// produces; `events` are the ones saved with it, in order. Empty events:
/// the current state, sent to a new subscriber and after a reload from the
/// store.
struct circuit_change {
  core::circuit_snapshot snapshot;
  std::vector<core::circuit_event> events;
};

/// What the system circuit lets the coordinator do (SPEC.md 5).
struct dispatch_policy {
  bool allowed = true; ///< false while open: no new stage may start
  /// Workers that may run stages: -1 no limit (closed), 1 (half_open),
  /// 0 (open).
  int32_t max_workers = -1;
  /// Open without auto_recovery: the run ends (exit 3) after the grace.
  bool halted = false;
  /// While open: when in-flight stages are stopped.
  std::optional<core::wall_time> graceful_deadline;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, circuit_change& x) {
  return f(caf::meta::type_name("circuit_change"), x.snapshot, x.events);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dispatch_policy& x) {
  detail::optional_field_for<Inspector, core::wall_time> deadline{
    x.graceful_deadline};
  return f(caf::meta::type_name("dispatch_policy"), x.allowed, x.max_workers,
           x.halted, deadline.value);
}

} // namespace tdd
