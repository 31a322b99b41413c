// One attempt of a worker (actors/worker_internal.hpp): reserve an agent
// call, ask the worker circuit and the task's stage circuit, record the
// attempt and run the stage on the blocking job; report to the circuits.

#include "actors/worker_git.hpp"
#include "actors/worker_internal.hpp"
#include "core/log.hpp"
#include "messages/circuit.hpp"
#include "messages/progress.hpp"
#include "messages/run.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include <filesystem>
#include <system_error>
#include <utility>

namespace tdd::worker_detail {

std::string log_path(self_ptr self, bool absolute) {
  auto& st = self->state;
  const auto name
    = core::to_string(st.stage) + "-" + std::to_string(st.attempt) + ".log";
  std::filesystem::path p
    = std::filesystem::path{st.cfg.logs_dir} / st.current->task.key / name;
  if (absolute) {
    return p.string();
  }
  if (!st.cfg.node.empty()) {
    // On another host: where to find it there.
    return st.cfg.node + ":" + p.string();
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
  st.job.start(self,
               [req = std::move(req), fault = st.cfg.fault, id = st.cfg.id,
                remote = st.cfg.remote](const auto& cancel) {
                 auto run = req;
                 run.cancel = cancel;
                 std::error_code ec;
                 std::filesystem::create_directories(
                   std::filesystem::path{run.log_path}.parent_path(), ec);
                 worker_job_result out;
                 out.outcome = exec::run_stage(run);
                 if (!remote.empty()) {
                   publish_task_branch(run, remote, out.outcome);
                 }
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
  if (!core::uses_agent(st.stage)) {
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

} // namespace tdd::worker_detail
