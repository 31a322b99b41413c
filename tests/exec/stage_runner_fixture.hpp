#pragma once

// A task worktree for stage runner tests: a temporary repository holding a
// tiny shell project, a linked worktree on `tdd/CALC-1`, and the scripted
// agent tests/exec/scripts/stage_agent.sh, which records what it was given
// in a spy directory ($TDD_TEST_SPY).

#include "exec/git.hpp"
#include "exec/git_test_repo.hpp"
#include "exec/stage_runner.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <string>

namespace tdd::test {

inline constexpr const char* stage_agent_script
  = TDD_SOURCE_DIR "/tests/exec/scripts/stage_agent.sh";

/// The project's full suite: the task's test plus a check of `sub`, which
/// the `partial` agent leaves out in green (so verify_all needs a fix).
inline constexpr const char* test_all_script
  = "sh ./test_calc.sh || exit 1\n"
    ". ./calc.sh\n"
    "[ \"$(sub 5 3)\" = 2 ] || { echo \"FAIL: sub 5 3\"; exit 1; }\n";

inline exec::agent_spec scripted_agent(const std::string& mode) {
  std::string error;
  auto agent = exec::parse_agent(
    std::string{"cmd:/bin/sh '"} + stage_agent_script + "' " + mode, error);
  REQUIRE_MESSAGE(agent.has_value(), error);
  return *agent;
}

struct stage_fixture {
  stage_fixture() {
    repo.write("test_all.sh", test_all_script);
    base_commit = git_test_repo::commit(repo.repo, "project");
    worktree = repo.worktree("worker_1");
    const auto added = exec::git::add_branch_worktree(repo.repo, worktree,
                                                      "tdd/CALC-1", "main");
    INFO(added.error);
    REQUIRE(added.ok());
    spy = repo.base + "/spy";
    std::filesystem::create_directories(spy);
    repo.env.set("TDD_TEST_SPY", spy);
    task.key = "CALC-1";
    task.title = "Add two numbers";
    task.goal = "add(a, b) prints the sum";
    task.acceptance = {"add 2 3 prints 5"};
    task.test_file = "test_calc.sh";
    task.impl_file = "calc.sh";
    task.verify = "sh {test_file}";
    task.verify_all = "sh test_all.sh";
  }

  std::string log_path(core::stage stage, int attempt) const {
    return repo.base + "/logs/run-1/CALC-1/" + core::to_string(stage) + "-"
           + std::to_string(attempt) + ".log";
  }

  /// A request as the worker would make it after the earlier stages ran
  /// through `run`.
  exec::stage_request request(core::stage stage, const std::string& mode,
                              int attempt = 1) const {
    exec::stage_request req;
    req.task = task;
    req.stage = stage;
    req.attempt = attempt;
    req.worktree = worktree;
    req.log_path = log_path(stage, attempt);
    req.red_commit_blob = red_blob;
    req.restore_commit = verified_commit;
    req.failure_output = failure_output;
    req.agent = scripted_agent(mode);
    req.timeout = std::chrono::seconds{20};
    req.kill_grace = std::chrono::milliseconds{200};
    return req;
  }

  /// Runs a stage and remembers what later stages need.
  exec::stage_outcome run(core::stage stage, const std::string& mode,
                          int attempt = 1) {
    return remember(exec::run_stage(request(stage, mode, attempt)));
  }

  exec::stage_outcome remember(exec::stage_outcome out) {
    if (!out.test_blob.empty() && out.verdict.passed) {
      red_blob = out.test_blob;
    }
    if (out.verify_ran) {
      failure_output = out.verify.ok() ? std::string{} : out.verify.output;
      if (out.verify.ok()) {
        verified_commit = out.head_commit;
      }
    }
    return out;
  }

  /// red and green with the `good` agent: the usual way into later stages.
  void pass_red_and_green(const std::string& green_mode = "good") {
    REQUIRE(run(core::stage::red, "good").verdict.passed);
    REQUIRE(run(core::stage::green, green_mode).verdict.passed);
  }

  std::string head() const {
    return git_test_repo::git_line(worktree, {"rev-parse", "HEAD"});
  }

  /// Nothing changed, staged or untracked (ignored files aside).
  bool is_clean() const {
    return git_test_repo::git(
             worktree, {"status", "--porcelain", "--untracked-files=all"})
      .empty();
  }

  std::string read_log(core::stage stage, int attempt = 1) const {
    const auto path = std::filesystem::path{log_path(stage, attempt)};
    return repo.read(path.filename().string(), path.parent_path().string());
  }

  /// What the scripted agent recorded under `name`; "" if nothing.
  std::string spied(const std::string& name) const {
    return repo.read(name, spy);
  }

  bool in_worktree(const std::string& path) const {
    return std::filesystem::exists(std::filesystem::path{worktree} / path);
  }

  git_test_repo repo;
  std::string base_commit;
  std::string worktree;
  std::string spy;
  core::task_spec task;
  std::string red_blob;
  std::string verified_commit;
  std::string failure_output;
};

} // namespace tdd::test
