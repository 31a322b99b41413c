#include "exec/stage_runner.hpp"

#include "exec/git.hpp"
#include "exec/stage_runner_steps.hpp"

namespace tdd::exec {

namespace {

using detail::stage_run;

// Each flow returns as soon as a step failed: the step has set the
// verdict and put the worktree back.

void run_red(stage_run& run) {
  if (!run.begin() || !run.call_agent()) {
    return;
  }
  const auto& req = run.request();
  const auto& test_file = req.task.test_file;
  const auto changed
    = git::worktree_file_changed(req.worktree, test_file, run.start());
  if (!run.git_ok(changed)) {
    return;
  }
  if (!changed.value) {
    run.judge(core::judge_red({false, false}), {},
              test_file + " did not change");
    return;
  }
  const auto wip = run.commit_work();
  if (wip.empty()) {
    return;
  }
  const auto blob = git::file_blob(req.worktree, wip, test_file);
  if (!run.git_ok(blob)) {
    return;
  }
  if (blob.value.empty()) { // deleted: no test that green could pass
    run.judge(core::judge_red({false, false}), {},
              test_file + " does not exist");
    return;
  }
  run.set_test_blob(blob.value);
  if (!run.run_check(false, wip)) {
    return;
  }
  run.judge(core::judge_red({true, run.outcome().verify.ok()}), wip);
}

/// green and fix: the agent works, the test file must stay as red left it,
/// then verify (green) or verify_all (fix) must pass.
void run_green_or_fix(stage_run& run) {
  if (!run.begin() || !run.call_agent()) {
    return;
  }
  const bool is_fix = run.request().stage == core::stage::fix;
  const auto intact = run.test_file_intact();
  if (!run.git_ok(intact)) {
    return;
  }
  if (!intact.value) {
    const auto why
      = run.request().task.test_file + " differs from the end of red";
    if (is_fix) {
      run.fail(core::reason::fix_modified_test, core::failure_kind::task,
               std::string{core::reason::fix_modified_test} + ": " + why);
      return;
    }
    run.judge(core::judge_green({false, false}), {}, why);
    return;
  }
  const auto wip = run.commit_work();
  if (wip.empty() || !run.run_check(is_fix, wip)) {
    return;
  }
  const bool passed = run.outcome().verify.ok();
  run.judge(is_fix ? core::judge_verify(passed)
                   : core::judge_green({true, passed}),
            wip);
}

void run_verify(stage_run& run) {
  if (!run.begin() || !run.run_check(true, run.start())) {
    return;
  }
  run.judge(core::judge_verify(run.outcome().verify.ok()), run.start());
}

/// The agent may change anything; a failing verify_all reverts it all
/// (`judge_refactor` asks for the restore, `judge` does it).
void run_refactor(stage_run& run) {
  if (!run.begin() || !run.call_agent()) {
    return;
  }
  const auto wip = run.commit_work();
  if (wip.empty() || !run.run_check(true, wip)) {
    return;
  }
  run.judge(core::judge_refactor(run.outcome().verify.ok()), wip);
}

/// Squashes the WIP chain into the one task commit: `reset --soft` to the
/// base keeps the final tree in the index, `commit_all` writes it with the
/// trailer. A crash in between leaves HEAD at the base with the work
/// staged, which the next attempt commits just the same.
void run_commit(stage_run& run) {
  if (!run.begin()) {
    return;
  }
  const auto& req = run.request();
  if (run.is_task_committed()) {
    run.log("== the task commit is there already ==");
    run.judge(core::judge_commit(false), run.start());
    return;
  }
  if (run.base() != run.start()) {
    const auto soft
      = git::run(req.worktree, {"reset", "--soft", "--quiet", run.base()});
    if (!run.git_ok(soft)) {
      return;
    }
  }
  const auto commit
    = git::commit_all(req.worktree, req.task.title, {}, req.task.key);
  if (!commit) {
    run.fail(core::reason::commit_failed, core::failure_kind::task,
             commit.error);
    return;
  }
  run.log("== task commit: " + commit.value + " ==");
  run.judge(core::judge_commit(false), commit.value);
}

} // namespace

stage_outcome run_stage(const stage_request& req) {
  stage_run run{req};
  switch (req.stage) {
  case core::stage::red:
    run_red(run);
    break;
  case core::stage::green:
  case core::stage::fix:
    run_green_or_fix(run);
    break;
  case core::stage::verify:
    run_verify(run);
    break;
  case core::stage::refactor:
    run_refactor(run);
    break;
  case core::stage::commit:
    run_commit(run);
    break;
  }
  return run.finish();
}

} // namespace tdd::exec
