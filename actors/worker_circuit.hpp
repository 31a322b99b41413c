#pragma once

// One circuit per worker (SPEC.md 5): a thin actor around
// core::worker_breaker. Spawned by the hub when the worker registers (or
// when a reset names it) and alive as long as the hub.

#include "actors/circuit_common.hpp"
#include "core/circuit.hpp"
#include "core/circuit_breaker.hpp"
#include "core/config.hpp"
#include "messages/circuit_actors.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace tdd {

struct worker_circuit_state
    : circuit_state_base<core::worker_breaker, core::worker_circuit_settings> {
  static inline constexpr const char* name = "worker_circuit";
};

/// Continues `row` (a new circuit: core::new_circuit); an open circuit's
/// pause runs on from its persisted opened_at.
worker_circuit_actor::behavior_type worker_circuit(
  worker_circuit_actor::stateful_pointer<worker_circuit_state> self,
  const circuit_env& env, core::worker_circuit_settings settings,
  core::circuit_snapshot row);

} // namespace tdd
