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
#include <filesystem>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace tdd::worker_detail {

using core::stage;

namespace {

bool uses_agent(stage x) {
  return x == stage::red || x == stage::green || x == stage::fix
         || x == stage::refactor;
}

} // namespace

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

std::string log_path(self_ptr self, bool absolute) {
  auto& st = self->state;
  const auto name
    = core::to_string(st.stage) + "-" + std::to_string(st.attempt) + ".log";
  std::filesystem::path p
    = std::filesystem::path{st.cfg.logs_dir} / st.current->task.key / name;
  if (absolute) {
    return p.string();
  }
  return p.lexically_relative(st.cfg.repo_root).string();
}

/// Ends the open attempt row with `result`.
void finish_attempt(self_ptr self, attempt_result result) {
  auto& st = self->state;
  if (!st.in_attempt) {
    return;
  }
  st.in_attempt = false;
  progress(self, progress_kind::stage_finished, result.outcome, result.reason,
           result.duration_ms);
  attempt_finish x;
  x.run_id = st.cfg.run_id;
  x.task_key = st.current->task.key;
  x.stage = core::to_string(st.stage);
  x.attempt = st.attempt;
  x.result = std::move(result);
  self->send(st.cfg.store, atom::attempt_v, std::move(x));
}

/// Both circuits learn how the attempt went; each counts only its kind.
void report_circuits(self_ptr self, const stage_circuit_actor& stage_circuit,
                     const core::stage_verdict& verdict, bool counted) {
  auto& st = self->state;
  auto tell = [&](const auto& circuit) {
    if (!circuit) {
      return;
    }
    if (!counted) {
      // Ends a trial without a verdict (usage limit, cancelled).
      self->send(circuit, atom::failure_v, core::failure_kind::usage_limit,
                 std::string{core::reason::usage_limit});
    } else if (verdict.passed) {
      self->send(circuit, atom::success_v);
    } else {
      self->send(circuit, atom::failure_v,
                 verdict.kind.value_or(core::failure_kind::task),
                 std::string{verdict.reason});
    }
  };
  tell(st.circuit);
  tell(stage_circuit);
}

void start_attempt(self_ptr self, stage_circuit_actor circuit) {
  auto& st = self->state;
  const auto idx = static_cast<size_t>(st.stage);
  st.attempt = ++st.attempts[idx];
  st.attempt_started = wall_now(self);
  st.log_rel = log_path(self, false);
  st.in_attempt = true;
  attempt_start row;
  row.run_id = st.cfg.run_id;
  row.task_key = st.current->task.key;
  row.stage = core::to_string(st.stage);
  row.attempt = st.attempt;
  row.worker_id = st.cfg.id;
  row.log_path = st.log_rel;
  row.started_at = st.attempt_started;
  self->send(st.cfg.store, atom::attempt_v, std::move(row));
  self->send(st.cfg.store, atom::stage_v, st.current->task.key,
             core::to_string(st.stage), st.stage_commit);
  set_state(self, "busy");
  progress(self, progress_kind::stage_started);
  exec::stage_request req;
  req.task = st.current->task;
  req.stage = st.stage;
  req.attempt = st.attempt;
  req.worktree = st.cfg.worktree;
  req.log_path = log_path(self, true);
  req.red_commit_blob = st.red_blob;
  req.restore_commit = st.restore_commit;
  req.failure_output = st.failure_output;
  req.agent = st.cfg.agent;
  req.timeout
    = exec::stage_timeout(st.cfg.stage_timeout, st.current->task.complexity);
  req.kill_grace = st.cfg.kill_grace;
  st.job.start(self, [req = std::move(req), fault = st.cfg.fault,
                      id = st.cfg.id](const auto& cancel) {
    auto run = req;
    run.cancel = cancel;
    std::error_code ec;
    std::filesystem::create_directories(
      std::filesystem::path{run.log_path}.parent_path(), ec);
    worker_job_result out;
    out.outcome = exec::run_stage(run);
    inject_fault(fault, fault_point::stage_job, id);
    return out;
  });
  // The job's `done` carries the id; the circuit rides along in state.
  self->state.pending_circuit = std::move(circuit);
  inject_fault(st.cfg.fault, fault_point::stage_start, st.cfg.id);
}

/// The worker circuit agreed; now the task's stage circuit.
void ask_stage_circuit(self_ptr self) {
  auto& st = self->state;
  const auto cstage = core::to_string(core::circuit_stage(st.stage));
  self
    ->request(st.cfg.hub, st.cfg.request_timeout, atom::stage_v,
              st.current->task.key, cstage)
    .then(
      [=](stage_circuit_actor circuit) {
        self->request(circuit, self->state.cfg.request_timeout, atom::allow_v)
          .then(
            [=](bool allowed) {
              if (self->state.stopping) {
                report_circuits(self, circuit, {}, false);
                give_back(self, core::task_status::pending, {});
                return;
              }
              if (!allowed) {
                report_circuits(self, {}, {}, false);
                give_back(self, core::task_status::blocked,
                          "stage_circuit_open:" + cstage);
                return;
              }
              start_attempt(self, circuit);
            },
            [=](caf::error& err) {
              log_error(self, "stage circuit allow", err);
              report_circuits(self, {}, {}, false);
              give_back(self, core::task_status::pending, {});
            });
      },
      [=](caf::error& err) {
        log_error(self, "stage circuit", err);
        report_circuits(self, {}, {}, false);
        give_back(self, core::task_status::pending, {});
      });
}

void ask_worker_circuit(self_ptr self) {
  self
    ->request(self->state.circuit, self->state.cfg.request_timeout,
              atom::allow_v)
    .then(
      [=](bool allowed) {
        if (!allowed || self->state.stopping) {
          give_back(self, core::task_status::pending, {});
          return;
        }
        ask_stage_circuit(self);
      },
      [=](caf::error& err) {
        log_error(self, "worker circuit allow", err);
        give_back(self, core::task_status::pending, {});
      });
}

/// The next attempt of the current stage: budget, then circuits.
void next_attempt(self_ptr self) {
  auto& st = self->state;
  if (st.stopping) {
    give_back(self, core::task_status::pending, {});
    return;
  }
  if (!uses_agent(st.stage)) {
    ask_worker_circuit(self);
    return;
  }
  self->request(st.coordinator, caf::infinite, atom::reserve_v, st.cfg.id)
    .then(
      [=](int64_t answer) {
        auto& st = self->state;
        if (answer < 0 || st.stopping) {
          give_back(self, core::task_status::pending, {});
        } else if (answer > 0) {
          st.tick_attempt = true;
          set_state(self, "paused");
          self->delayed_send(self, std::chrono::milliseconds{answer},
                             atom::tick_v);
        } else {
          st.reserved = true;
          ask_worker_circuit(self);
        }
      },
      [=](caf::error& err) {
        log_error(self, "reserve", err);
        finish(self);
      });
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
                                    task, resume, commit);
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
