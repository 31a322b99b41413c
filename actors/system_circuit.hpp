#pragma once

// The one system circuit (SPEC.md 5): a thin actor around
// core::system_breaker, fed by the hub with worker circuit counts and by
// the coordinator with the outcomes of half_open trial dispatches.

#include "actors/circuit_common.hpp"
#include "core/circuit.hpp"
#include "core/circuit_breaker.hpp"
#include "core/config.hpp"
#include "messages/circuit_actors.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace tdd {

struct system_circuit_state
    : circuit_state_base<core::system_breaker, core::system_circuit_settings> {
  static inline constexpr const char* name = "system_circuit";
};

/// Continues `row` (a new circuit: core::new_circuit(system, "system")).
system_circuit_actor::behavior_type system_circuit(
  system_circuit_actor::stateful_pointer<system_circuit_state> self,
  const circuit_env& env, core::system_circuit_settings settings,
  core::circuit_snapshot row);

} // namespace tdd
