#pragma once

// Circuit snapshots and events for store and actor tests.

#include "core/circuit.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <utility>

namespace tdd::test {

/// 2026-11-26T17:00:00Z: a fixed "now" for tests that need no real clock.
inline const core::wall_time base_time{std::chrono::seconds{1'795'712'400}};

inline core::circuit_snapshot
make_circuit(core::circuit_level level, std::string identifier,
             core::circuit_state state = core::circuit_state::closed) {
  core::circuit_snapshot x;
  x.level = level;
  x.identifier = std::move(identifier);
  x.state = state;
  return x;
}

inline core::circuit_event
make_event(core::wall_time at,
           core::circuit_event_type type
           = core::circuit_event_type::state_change,
           core::circuit_state from = core::circuit_state::closed,
           core::circuit_state to = core::circuit_state::open,
           std::string details = "{}") {
  return {type, from, to, std::move(details), at};
}

/// Every stored field of two snapshots (not `recent_changes`, not
/// `version`: callers check those against what they expect).
inline void check_same_fields(const core::circuit_snapshot& x,
                              const core::circuit_snapshot& y) {
  CHECK(x.level == y.level);
  CHECK(x.identifier == y.identifier);
  CHECK(x.state == y.state);
  CHECK(x.failure_count == y.failure_count);
  CHECK(x.consecutive_failures == y.consecutive_failures);
  CHECK(x.success_count == y.success_count);
  CHECK(x.extensions == y.extensions);
  CHECK(x.opened_at == y.opened_at);
  CHECK(x.half_open_at == y.half_open_at);
  CHECK(x.last_failure_at == y.last_failure_at);
  CHECK(x.last_change_at == y.last_change_at);
}

} // namespace tdd::test
