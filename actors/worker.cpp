#include "actors/worker.hpp"

#include "actors/worker_git.hpp"
#include "actors/worker_internal.hpp"
#include "core/log.hpp"
#include "messages/circuit.hpp"
#include "messages/errc.hpp"
#include "messages/progress.hpp"
#include "messages/run.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include <exception>
#include <stdexcept>
#include <utility>

namespace tdd::worker_detail {

using core::stage;

caf::timestamp wall_now(self_ptr self) {
  return self->state.cfg.clock.wall_at(self->clock().now());
}

void progress(self_ptr self, progress_kind kind, std::string outcome,
              std::string detail, int64_t duration_ms) {
  auto& st = self->state;
  if (!st.cfg.progress) {
    return;
  }
  progress_event e;
  e.kind = kind;
  e.at = wall_now(self);
  e.worker = st.cfg.id;
  if (st.current) {
    e.task = st.current->task.key;
  }
  e.stage = core::to_string(st.stage);
  e.attempt = st.attempt;
  e.outcome = std::move(outcome);
  e.detail = std::move(detail);
  e.duration_ms = duration_ms;
  caf::anon_send(st.cfg.progress, atom::progress_v, std::move(e));
}

void set_state(self_ptr self, const char* state) {
  auto& st = self->state;
  worker_update x;
  x.id = st.cfg.id;
  x.state = state;
  if (st.current) {
    x.current_task = st.current->task.key;
    x.stage = core::to_string(st.stage);
  }
  self->send(st.cfg.store, atom::worker_v, std::move(x));
}

void log_error(self_ptr self, const std::string& what, const caf::error& err) {
  core::log_line("warn", self->name(), self->id(), "request_failed",
                 {{"worker", self->state.cfg.id},
                  {"request", what},
                  {"error", describe(err)}});
}

/// Stops the worker for good.
void finish(self_ptr self) {
  self->state.current.reset();
  set_state(self, "stopped");
  self->quit();
}

/// Gives the task up (complete, blocked with reason, or pending) and asks
/// for the next one.
void give_back(self_ptr self, core::task_status status, std::string reason) {
  auto& st = self->state;
  if (!st.current) {
    return;
  }
  if (st.reserved) {
    self->send(self->state.coordinator, atom::release_v);
    st.reserved = false;
  }
  self->send(st.coordinator, atom::done_v,
             task_release{
               st.current->task.key, st.cfg.id, status, std::move(reason), {}});
  st.current.reset();
  set_state(self, "idle");
  if (st.stopping) {
    finish(self);
    return;
  }
  ask_for_work(self);
}

void begin_task(self_ptr self, task_assignment a) {
  auto& st = self->state;
  st.current = std::move(a);
  inject_fault(st.cfg.fault, fault_point::task_start, st.cfg.id);
  st.attempts.fill(0);
  st.red_blob.clear();
  st.restore_commit.clear();
  st.stage_commit.clear();
  st.failure_output.clear();
  const auto start = core::parse_stage(st.current->start_stage);
  const bool resume = start && *start != stage::red;
  st.stage = resume ? *start : stage::red;
  set_state(self, "busy");
  progress(self, progress_kind::task_started);
  self
    ->request(st.cfg.store, st.cfg.request_timeout, atom::get_v,
              atom::attempts_v, st.current->task.key)
    .then(
      [=](std::vector<attempt_row>& rows) {
        auto& st = self->state;
        // Last (rows are oldest first) a passed commit: recorded only once
        // the task was merged, by a run that died before it recorded the
        // task complete. Nothing is left to do, and no second commit.
        if (resume && !rows.empty() && rows.back().stage == "commit"
            && rows.back().outcome == "passed") {
          give_back(self, core::task_status::complete, {});
          return;
        }
        for (const auto& row : rows) {
          if (auto s = core::parse_stage(row.stage)) {
            auto& n = st.attempts[static_cast<size_t>(*s)];
            n = std::max(n, row.attempt);
          }
        }
        st.job.start(self, [cfg = st.cfg, task = st.current->task, resume,
                            commit = st.current->start_commit](const auto&) {
          worker_job_result out;
          auto w = prepare_worktree(cfg.repo_root, cfg.worktree, cfg.target,
                                    task, resume, commit, cfg.remote);
          out.error = std::move(w.error);
          out.red_blob = std::move(w.red_blob);
          out.resumed = w.resumed;
          out.head = std::move(w.head);
          out.note = std::move(w.note);
          return out;
        });
        st.preparing = true;
      },
      [=](caf::error& err) {
        log_error(self, "attempts", err);
        give_back(self, core::task_status::pending, {});
      });
}

void on_prepared(self_ptr self, worker_job_result r) {
  auto& st = self->state;
  st.preparing = false;
  if (!r.error.empty()) {
    core::log_line("warn", self->name(), self->id(), "worktree_failed",
                   {{"worker", st.cfg.id},
                    {"task", st.current->task.key},
                    {"error", r.error}});
    self->send(st.circuit, atom::failure_v, core::failure_kind::worker,
               std::string{core::reason::git_error});
    give_back(self, core::task_status::pending, {});
    return;
  }
  if (!r.resumed) {
    st.stage = stage::red;
  }
  if (!r.note.empty()) {
    core::log_line("warn", self->name(), self->id(), "resume_at_tip",
                   {{"worker", st.cfg.id},
                    {"task", st.current->task.key},
                    {"stage", core::to_string(st.stage)},
                    {"why", r.note}});
  }
  st.red_blob = std::move(r.red_blob);
  // The first stage starts here: at the target's tip, or where the
  // resumed stage started (prepare_worktree reset the branch there).
  st.stage_commit = std::move(r.head);
  next_attempt(self);
}

void ask_for_work(self_ptr self) {
  auto& st = self->state;
  if (st.stopping) {
    finish(self);
    return;
  }
  self->request(st.circuit, st.cfg.request_timeout, atom::get_v)
    .then(
      [=](core::circuit_snapshot& snap) {
        auto& st = self->state;
        if (snap.state == core::circuit_state::open) {
          set_state(self, "paused");
          st.tick_attempt = false;
          self->delayed_send(self, st.cfg.pause_poll, atom::tick_v);
          return;
        }
        self->request(st.coordinator, caf::infinite, atom::next_v, st.cfg.id)
          .then(
            [=](task_assignment& a) {
              if (a.task.key.empty() || self->state.stopping) {
                finish(self);
                return;
              }
              begin_task(self, std::move(a));
            },
            [=](caf::error& err) {
              log_error(self, "next", err);
              finish(self);
            });
      },
      [=](caf::error& err) {
        log_error(self, "worker circuit", err);
        finish(self);
      });
}

} // namespace tdd::worker_detail

namespace tdd {

using namespace worker_detail;

worker_actor::behavior_type
worker(worker_actor::stateful_pointer<worker_state> self, worker_config cfg,
       coordinator_actor coordinator) {
  self->state.cfg = std::move(cfg);
  self->state.coordinator = std::move(coordinator);
  auto& st = self->state;
  // An exception ends the worker abnormally: its supervisor sees the down
  // message and restarts it; the running job is cancelled with the state.
  self->set_exception_handler(
    [id = st.cfg.id](caf::scheduled_actor* actor,
                     std::exception_ptr& x) -> caf::error {
      std::string what = "unknown exception";
      try {
        std::rethrow_exception(x);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      core::log_line("error", actor->name(), actor->id(), "worker_crashed",
                     {{"worker", id}, {"error", what}});
      return caf::make_error(caf::sec::runtime_error,
                             "worker " + id + " crashed: " + what);
    });
  worker_registration reg;
  reg.id = st.cfg.id;
  reg.node = st.cfg.node;
  reg.run_id = st.cfg.run_id;
  reg.at = wall_now(self);
  self->send(st.cfg.store, atom::worker_v, std::move(reg));
  self->request(st.cfg.hub, st.cfg.request_timeout, atom::worker_v, st.cfg.id)
    .then(
      [=](worker_circuit_actor circuit) {
        self->state.circuit = std::move(circuit);
        ask_for_work(self);
      },
      [=](caf::error& err) {
        log_error(self, "register", err);
        finish(self);
      });
  return {
    [=](atom::stop) {
      auto& st = self->state;
      st.stopping = true;
      if (st.job.busy()) {
        st.job.request_cancel(); // its result gives the task back
        return;
      }
      if (st.current && !st.awaiting_merge) {
        give_back(self, core::task_status::pending, {});
        return;
      }
      if (!st.current) {
        finish(self);
      }
    },
    [=](atom::done, int64_t id) {
      auto& st = self->state;
      auto r = st.job.take(id);
      if (!r || !st.current) {
        return;
      }
      if (st.preparing) {
        on_prepared(self, std::move(*r));
        return;
      }
      on_stage_done(self, std::move(st.pending_circuit), std::move(r->outcome));
    },
    [=](atom::tick) {
      auto& st = self->state;
      if (st.current && st.tick_attempt) {
        next_attempt(self);
      } else if (!st.current) {
        ask_for_work(self);
      }
    },
  };
}

} // namespace tdd
