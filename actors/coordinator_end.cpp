// How a run ends (actors/coordinator_internal.hpp): halting dispatch,
// stopping the workers through the supervisor, and recording the end (the
// run's outcome, its budget, attempts left open) before `wait` is answered.

#include "actors/coordinator_internal.hpp"
#include "core/log.hpp"
#include "core/run_plan.hpp"
#include "messages/errc.hpp"
#include "messages/progress.hpp"
#include "messages/run.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include <string>
#include <utility>

namespace tdd::coordinator_detail {

void end_run(self_ptr self) {
  auto& st = self->state;
  if (st.ending) {
    return;
  }
  st.ending = true;
  release_waiters(self);
  if (!st.cfg.gateway) {
    st.nodes_down = true;
  } else {
    // Each node answers once its workers gave their tasks back, or the
    // gateway gives up on it after its stop timeout.
    self->request(st.cfg.gateway, caf::infinite, atom::stop_v)
      .then(
        [=](bool) {
          self->state.nodes_down = true;
          check_end(self);
        },
        [=](caf::error& err) {
          core::log_line("warn", self->name(), self->id(), "nodes_not_stopped",
                         {{"error", describe(err)}});
          self->state.nodes_down = true;
          check_end(self);
        });
  }
  if (!st.supervisor) {
    st.workers_down = true; // the run ended before it had workers
    check_end(self);
    return;
  }
  self->request(st.supervisor, caf::infinite, atom::stop_v).then([=](bool) {
    self->state.workers_down = true;
    check_end(self);
  });
}

namespace {

core::run_outcome outcome_of(self_ptr self, const run_summary& s) {
  auto& st = self->state;
  if (st.interrupted) {
    return core::run_outcome::interrupted;
  }
  if (!st.halt_reason.empty()) {
    return core::run_outcome::halted;
  }
  if (s.blocked > 0 || s.pending > 0) {
    return core::run_outcome::blocked;
  }
  return core::run_outcome::complete;
}

void deliver_summary(self_ptr self) {
  auto& st = self->state;
  st.recorded = true;
  for (auto& p : st.summary_waiters) {
    p.deliver(*st.summary);
  }
  st.summary_waiters.clear();
}

/// Records the end of the run, then answers whoever waits for it.
void finalize(self_ptr self) {
  auto& st = self->state;
  if (st.summary) {
    return;
  }
  auto s = totals(self);
  s.outcome = outcome_of(self, s);
  s.reason = st.interrupted ? "stopped by a signal (Ctrl-C)" : st.halt_reason;
  if (s.outcome == core::run_outcome::blocked && s.reason.empty()) {
    s.reason = std::to_string(s.blocked) + " blocked, "
               + std::to_string(s.pending) + " not run";
  }
  st.summary = s;
  const auto& store = st.cfg.worker.store;
  self->send(store, atom::budget_v, st.cfg.run_id, st.budget->usage());
  self->send(store, atom::run_v,
             run_finish{st.cfg.run_id, s.outcome, s.reason, wall_now(self)});
  progress(self, progress_kind::run_finished, {}, core::to_string(s.outcome),
           s.reason);
  self
    ->request(store, st.cfg.worker.request_timeout, atom::interrupt_v,
              st.cfg.run_id)
    .then(
      [=](int64_t) {
        self
          ->request(self->state.cfg.worker.store,
                    self->state.cfg.worker.request_timeout, atom::flush_v)
          .then([=](int64_t) { deliver_summary(self); },
                [=](caf::error& err) {
                  core::log_line("warn", self->name(), self->id(),
                                 "flush_failed", {{"error", describe(err)}});
                  deliver_summary(self);
                });
      },
      [=](caf::error& err) {
        core::log_line("warn", self->name(), self->id(), "interrupt_failed",
                       {{"error", describe(err)}});
        deliver_summary(self);
      });
}

} // namespace

void check_end(self_ptr self) {
  auto& st = self->state;
  if (st.summary) {
    return;
  }
  if (st.ending) {
    if (st.workers_down && st.nodes_down) {
      finalize(self);
    }
    return;
  }
  if (!st.assigned.empty() || st.merging || !st.merges.empty()
      || st.dispatching) {
    return;
  }
  // A pause holds back ready tasks only: with none left the run ends now,
  // not when the pause is over.
  if (dispatch_stopped(self) || !first_ready(self)) {
    end_run(self);
  }
}

void halt(self_ptr self, std::string why, std::string cause) {
  auto& st = self->state;
  if (!st.halt_reason.empty() || st.interrupted) {
    return;
  }
  st.halt_reason = std::move(why);
  progress(self, progress_kind::halted, {}, std::move(cause), st.halt_reason);
  release_waiters(self);
  check_end(self);
}

} // namespace tdd::coordinator_detail
