#include "actors/system_circuit.hpp"

#include <string>
#include <utility>

namespace tdd {

namespace {

using self_pointer
  = system_circuit_actor::stateful_pointer<system_circuit_state>;

/// Makes a due auto-recovery first, so that callers never see an open
/// circuit whose delay has passed.
void catch_up(self_pointer self) {
  settle(self, self->state.breaker->tick(wall_now(self)));
}

dispatch_policy policy_of(const core::system_breaker& x) {
  dispatch_policy out;
  out.allowed = x.allow_dispatch();
  out.max_workers = x.max_dispatch_workers().value_or(-1);
  out.halted = x.is_halted();
  out.graceful_deadline = x.graceful_deadline();
  return out;
}

} // namespace

system_circuit_actor::behavior_type
system_circuit(self_pointer self, const circuit_env& env,
               core::system_circuit_settings settings,
               core::circuit_snapshot row) {
  start_circuit(self, env, settings, std::move(row));
  return {
    [self](atom::allow) {
      catch_up(self);
      return self->state.breaker->allow_dispatch();
    },
    [self](atom::dispatch) {
      catch_up(self);
      return policy_of(*self->state.breaker);
    },
    [self](atom::workers, int32_t registered, int32_t open) {
      settle(self, self->state.breaker->update_workers(registered, open,
                                                       wall_now(self)));
    },
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
