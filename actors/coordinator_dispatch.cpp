#include "actors/coordinator_internal.hpp"
#include "core/log.hpp"
#include "messages/errc.hpp"
#include "messages/run.hpp"

#include <utility>

namespace tdd::coordinator_detail {

using core::task_status;

namespace {

void claim(self_ptr self, coordinator_state::waiter w, std::string key) {
  auto& st = self->state;
  st.dispatching = true;
  st.assigned[key] = w.worker;
  node_of(self, key)->status = task_status::running;
  const auto timeout = st.cfg.worker.request_timeout;
  auto undo = [=](coordinator_state::waiter w) {
    auto& st = self->state;
    st.assigned.erase(key);
    node_of(self, key)->status = task_status::pending;
    st.dispatching = false;
    st.waiting.push_front(std::move(w));
  };
  self->request(st.cfg.worker.store, timeout, atom::get_v, atom::task_v, key)
    .then(
      [=](task_row& row) mutable {
        auto& st = self->state;
        task_claim c{
          key, w.worker,
          wall_now(self)
            + std::chrono::duration_cast<caf::timespan>(st.cfg.lease_ttl),
          st.versions[key]};
        self->request(st.cfg.worker.store, timeout, atom::claim_v, c)
          .then(
            [=](bool granted) mutable {
              auto& st = self->state;
              if (!granted) {
                core::log_line("warn", self->name(), self->id(),
                               "claim_refused", {{"task", key}});
                undo(std::move(w));
                self
                  ->request(st.cfg.worker.store, timeout, atom::get_v,
                            atom::leases_v)
                  .then(
                    [=](std::vector<task_lease>& leases) {
                      for (const auto& l : leases) {
                        self->state.versions[l.key] = l.version;
                        if (auto* n = node_of(self, l.key);
                            n != nullptr && l.status != task_status::pending
                            && self->state.assigned.count(l.key) == 0) {
                          n->status = l.status; // changed behind our back
                        }
                      }
                      dispatch(self);
                    },
                    [=](caf::error&) { dispatch(self); });
                return;
              }
              ++st.versions[key];
              st.dispatching = false;
              task_assignment a;
              a.run_id = st.cfg.run_id;
              if (st.cfg.resumable.count(key) != 0) {
                a.start_stage = row.current_stage;
                a.start_commit = row.stage_commit;
              }
              a.task = row.spec;
              st.running[key] = row.spec;
              w.promise.deliver(std::move(a));
              dispatch(self);
            },
            [=](caf::error& err) mutable {
              self->state.halt_reason
                = "cannot lease " + key + ": " + describe(err);
              undo(std::move(w));
              release_waiters(self);
              check_end(self);
            });
      },
      [=](caf::error& err) mutable {
        self->state.halt_reason
          = "cannot read task " + key + ": " + describe(err);
        undo(std::move(w));
        release_waiters(self);
        check_end(self);
      });
}

} // namespace

void dispatch(self_ptr self) {
  auto& st = self->state;
  if (st.dispatching) {
    return;
  }
  if (dispatch_stopped(self)) {
    release_waiters(self);
    check_end(self);
    return;
  }
  if (st.waiting.empty() || is_paused(self)) {
    return;
  }
  auto ready = first_ready(self);
  if (!ready) {
    check_end(self);
    return;
  }
  auto w = std::move(st.waiting.front());
  st.waiting.pop_front();
  claim(self, std::move(w), std::move(*ready));
}

} // namespace tdd::coordinator_detail
