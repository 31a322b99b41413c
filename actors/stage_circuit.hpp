#pragma once

// One circuit per (task, stage) (SPEC.md 5): a thin actor around
// core::stage_breaker. Spawned on demand by the hub; stops when it is
// clean (closed, nothing counted), has no attempt waiting for its outcome,
// has had no message for the idle timeout, and the hub agrees.

#include "actors/circuit_common.hpp"
#include "core/circuit.hpp"
#include "core/circuit_breaker.hpp"
#include "core/config.hpp"
#include "messages/circuit_actors.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/timespan.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace tdd {

struct stage_circuit_state
    : circuit_state_base<core::stage_breaker, core::stage_circuit_settings> {
  static inline constexpr const char* name = "stage_circuit";
  /// Asked before an idle stop, so that it never stops right after handing
  /// the circuit out. Without one (tests), the circuit stops by itself.
  circuit_hub_actor hub;
};

/// Continues `row` (a new circuit: core::new_circuit). `idle_timeout` is
/// actor-clock time.
stage_circuit_actor::behavior_type
stage_circuit(stage_circuit_actor::stateful_pointer<stage_circuit_state> self,
              const circuit_env& env, core::stage_circuit_settings settings,
              core::circuit_snapshot row, caf::timespan idle_timeout,
              circuit_hub_actor hub);

} // namespace tdd
