#include "actors/worker_circuit.hpp"

#include <string>
#include <utility>

namespace tdd {

worker_circuit_actor::behavior_type worker_circuit(
  worker_circuit_actor::stateful_pointer<worker_circuit_state> self,
  const circuit_env& env, core::worker_circuit_settings settings,
  core::circuit_snapshot row) {
  start_circuit(self, env, settings, std::move(row));
  return {
    [self](atom::allow) { return allow(self); },
    [self](atom::success) { record_success(self); },
    [self](atom::failure, core::failure_kind kind, const std::string& reason) {
      record_failure(self, kind, reason);
    },
    [self](atom::reset) { return reset(self); },
    [self](atom::get) { return self->state.snapshot(); },
    [self](atom::subscribe, circuit_listener_actor listener) {
      add_listener(self, std::move(listener));
    },
    [self](atom::tick) {
      tick(self);
      arm_timer(self);
    },
  };
}

} // namespace tdd
