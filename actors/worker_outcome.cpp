#include "actors/worker_internal.hpp"
#include "core/log.hpp"
#include "messages/progress.hpp"
#include "messages/run.hpp"

#include <caf/send.hpp>

#include <chrono>
#include <utility>

namespace tdd::worker_detail {

using core::stage;

namespace {
void run_merge(self_ptr self, stage_circuit_actor circuit);
void advance(self_ptr self, const core::stage_verdict& verdict);
} // namespace

namespace {

/// Where the pipeline goes after a judged attempt.
void advance(self_ptr self, const core::stage_verdict& verdict) {
  auto& st = self->state;
  if (verdict.blocks_task) {
    give_back(self, core::task_status::blocked, std::string{verdict.reason});
    return;
  }
  auto next = core::next_stage(st.stage, verdict, st.cfg.refactor);
  if (!next) {
    give_back(self, core::task_status::complete, {});
    return;
  }
  st.stage = *next;
  // The resume point: a task given back now (budget, Ctrl-C, a crash)
  // continues here with `run --resume`, not at the stage that already
  // passed, and from the commit this stage starts from.
  self->send(st.cfg.store, atom::stage_v, st.current->task.key,
             core::to_string(st.stage), st.stage_commit);
  next_attempt(self);
}

} // namespace

void on_stage_done(self_ptr self, stage_circuit_actor circuit,
                   exec::stage_outcome out) {
  auto& st = self->state;
  inject_fault(st.cfg.fault, fault_point::stage_done, st.cfg.id);
  const auto current = st.stage;
  if (st.reserved) {
    st.reserved = false;
    if (out.agent && !out.usage_limit) {
      self->send(st.coordinator, atom::settle_v, int64_t{out.agent->cost},
                 int64_t{out.agent->tokens});
    } else {
      self->send(st.coordinator, atom::release_v);
    }
  }
  attempt_result r;
  r.duration_ms = out.duration.count();
  r.outcome = attempt_outcome(out);
  r.reason = out.cancelled     ? "cancelled"
             : out.usage_limit ? std::string{core::reason::usage_limit}
                               : std::string{out.verdict.reason};
  if (out.agent) {
    r.cost_micros = out.agent->cost;
    r.tokens = out.agent->tokens;
  }
  const bool merge_next
    = current == stage::commit && out.verdict.passed && !out.cancelled;
  if (!merge_next) {
    finish_attempt(self, r);
  }
  if (out.cancelled || out.fatal || out.usage_limit) {
    report_circuits(self, circuit, out.verdict, false);
  } else if (!merge_next) {
    report_circuits(self, circuit, out.verdict, true);
  }
  if (out.cancelled) {
    give_back(self, core::task_status::pending, {});
    return;
  }
  if (out.fatal) {
    self->send(st.coordinator, atom::halt_v,
               out.message.empty() ? std::string{"the agent cannot run"}
                                   : out.message);
    give_back(self, core::task_status::pending, {});
    return;
  }
  if (out.usage_limit) {
    const int64_t asked = out.retry_after ? out.retry_after->count() : -1;
    st.tick_attempt = true;
    self->request(st.coordinator, caf::infinite, atom::pause_v, asked)
      .then(
        [=](int64_t wait_ms) {
          self->delayed_send(self, std::chrono::milliseconds{wait_ms},
                             atom::tick_v);
        },
        [=](caf::error& err) {
          log_error(self, "pause", err);
          finish(self);
        });
    return;
  }
  if (!out.verdict.passed) {
    if (out.verify_ran && !out.verify.output.empty()) {
      st.failure_output = out.verify.output;
    } else if (!out.message.empty()) {
      st.failure_output = out.message;
    }
  } else {
    st.failure_output.clear();
  }
  if (out.verdict.passed && current == stage::red) {
    st.red_blob = out.test_blob;
  }
  if (out.verdict.passed
      && (current == stage::verify || current == stage::fix)) {
    st.restore_commit = out.head_commit;
  }
  // Where the next attempt starts, recorded with its stage by advance():
  // a pass leaves its work at head_commit, where the next stage starts. A
  // failure was reset to the commit the attempt started from, and since
  // every failed attempt is reset so, that is the commit the stage's FIRST
  // attempt started from: a retry of the same stage (or verify's fix,
  // which starts where verify did) keeps restarting there, and a resume
  // must too, never on top of a killed attempt's work. "" (the reset
  // failed, the tree is unknown) keeps the last known start.
  if (!out.head_commit.empty()) {
    st.stage_commit = out.head_commit;
  }
  if (merge_next) {
    run_merge(self, std::move(circuit));
    return;
  }
  advance(self, out.verdict);
}

namespace {

void run_merge(self_ptr self, stage_circuit_actor circuit) {
  auto& st = self->state;
  inject_fault(st.cfg.fault, fault_point::merge, st.cfg.id);
  const auto key = st.current->task.key;
  st.awaiting_merge = true;
  self
    ->request(st.coordinator, caf::infinite, atom::merge_v, key,
              // "": a node pushed the branch to the shared remote.
              st.cfg.remote.empty() ? st.cfg.worktree : std::string{})
    .then(
      [=](merge_report& m) {
        auto& st = self->state;
        st.awaiting_merge = false;
        attempt_result r;
        r.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          wall_now(self) - st.attempt_started)
                          .count();
        core::stage_verdict verdict;
        if (m.status == "merged" || m.status == "already_merged") {
          verdict = core::judge_commit(false);
          r.outcome = "passed";
          progress(self, progress_kind::merged, m.status,
                   m.target_commit.substr(0, 10));
        } else if (m.status == "merge_conflict") {
          verdict = core::judge_commit(true);
          r.outcome = "failed";
          r.reason = std::string{verdict.reason};
        } else if (m.status == "verify_failed_after_rebase") {
          verdict = core::judge_verify(false);
          r.outcome = "failed";
          r.reason = std::string{verdict.reason};
          st.failure_output = m.verify_output;
          st.stage = stage::verify; // the rebased branch needs a fix
        } else if (m.status == "interrupted") {
          // Ctrl-C stopped the re-verify: no evidence either way.
          r.outcome = "interrupted";
          r.reason = "cancelled";
          finish_attempt(self, r);
          report_circuits(self, circuit, verdict, false);
          give_back(self, core::task_status::pending, {});
          return;
        } else if (m.status == "target_dirty") {
          r.outcome = "error";
          r.reason = "target_dirty";
          finish_attempt(self, r);
          report_circuits(self, circuit, verdict, false);
          self->send(st.coordinator, atom::halt_v, m.message);
          give_back(self, core::task_status::pending, {});
          return;
        } else {
          core::log_line("warn", self->name(), self->id(), "merge_failed",
                         {{"worker", st.cfg.id},
                          {"task", key},
                          {"status", m.status},
                          {"error", m.message}});
          verdict.passed = false;
          verdict.reason = core::reason::git_error;
          verdict.kind = core::failure_kind::worker;
          r.outcome = "error";
          r.reason = std::string{verdict.reason};
          st.failure_output = m.message;
        }
        finish_attempt(self, r);
        report_circuits(self, circuit, verdict, true);
        advance(self, verdict);
      },
      [=](caf::error& err) {
        log_error(self, "merge", err);
        finish(self);
      });
}

} // namespace

} // namespace tdd::worker_detail

namespace tdd {

std::string attempt_outcome(const exec::stage_outcome& x) {
  if (x.cancelled) {
    return "interrupted";
  }
  if (x.usage_limit) {
    return "usage_limit";
  }
  if (x.verdict.passed) {
    return x.verdict.reason == core::reason::refactor_reverted ? "reverted"
                                                               : "passed";
  }
  if (x.verdict.reason == core::reason::agent_timeout) {
    return "timeout";
  }
  if (x.fatal || x.verdict.kind == core::failure_kind::worker) {
    return "error";
  }
  return "failed";
}

} // namespace tdd
