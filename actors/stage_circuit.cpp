#include "actors/stage_circuit.hpp"

#include <string>
#include <utility>

namespace tdd {

namespace {

using self_pointer = stage_circuit_actor::stateful_pointer<stage_circuit_state>;

/// Idle long enough: quit, after asking the hub if there is one. While the
/// question is out, idle_at() is unset, so no tick asks again; a refusal
/// counts as activity. True if the circuit quit at once.
bool stop_if_idle(self_pointer self) {
  auto& st = self->state;
  const auto at = st.idle_at();
  if (!at || self->clock().now() < *at) {
    return false;
  }
  if (!st.hub) {
    quit_circuit(self);
    return true;
  }
  st.stopping = true;
  const auto resume = [self] {
    self->state.stopping = false;
    touch(self);
    arm_timer(self);
  };
  self->request(st.hub, st.env.request_timeout, atom::idle_v)
    .then(
      [self, resume](bool may_stop) {
        if (may_stop) {
          quit_circuit(self);
          return;
        }
        resume();
      },
      [resume](caf::error&) { resume(); });
  return false;
}

} // namespace

stage_circuit_actor::behavior_type
stage_circuit(self_pointer self, const circuit_env& env,
              core::stage_circuit_settings settings, core::circuit_snapshot row,
              caf::timespan idle_timeout, circuit_hub_actor hub) {
  self->state.idle_timeout = idle_timeout;
  self->state.hub = std::move(hub);
  start_circuit(self, env, settings, std::move(row));
  return {
    [self](atom::allow) { return allow(self); },
    [self](atom::success) { record_success(self); },
    [self](atom::failure, core::failure_kind kind, const std::string& reason) {
      record_failure(self, kind, reason);
    },
    [self](atom::reset) { return reset(self); },
    [self](atom::get) {
      touch(self);
      return self->state.snapshot();
    },
    [self](atom::subscribe, circuit_listener_actor listener) {
      touch(self);
      add_listener(self, std::move(listener));
    },
    [self](atom::tick) {
      tick(self);
      if (!stop_if_idle(self)) {
        arm_timer(self);
      }
    },
  };
}

} // namespace tdd
