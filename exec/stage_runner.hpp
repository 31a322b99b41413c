#pragma once

// One attempt of one stage of one task (SPEC.md 4), run to the end in the
// worker's worktree: the agent call, the checks, the git bookkeeping, and
// a verdict from core/stage_rules. Blocking and actor-free: a worker calls
// it from a thread of its own and records the outcome; nothing here
// touches the database.
//
// Git: the worktree belongs to the runner. Every stage leaves it clean
// (no changes, no untracked files) at `head_commit`:
// - red, green, fix and refactor end a passing attempt with a
//   work-in-progress commit on the task branch (`--no-verify`, unsigned,
//   message trailers `TDD-WIP: KEY` and `TDD-Base: <commit the task
//   started from>`), so a crash resumes from a recorded commit;
// - a failed, cancelled or stopped attempt resets the tree to the commit
//   it started from (a reverted refactor: to `restore_commit`), so every
//   retry starts from a recorded state;
// - verify output (build products, caches that are not ignored) is
//   removed after each check: only the agent's work is committed;
// - commit squashes the WIP commits into ONE commit on top of the task's
//   base, subject = the task title, trailer `TDD-Task: KEY`, hooks run.
//   Run again after a crash it finds that commit and passes unchanged.
//   Merging is the merge queue's job.
//
// The prompt (and, for fix, the failure output) goes to files in the
// worktree's git directory (`git rev-parse --absolute-git-dir`): outside
// the work tree, so no `add --all` can commit them, and private to this
// worktree. They are removed when the agent has finished.

#include "core/stage_rules.hpp"
#include "core/task.hpp"
#include "exec/agent.hpp"
#include "exec/command.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace tdd::exec {

class cancellation;

/// Trailer keys of work-in-progress commits (see the file comment).
inline constexpr const char* wip_trailer = "TDD-WIP";
inline constexpr const char* base_trailer = "TDD-Base";

/// One stage attempt to run.
struct stage_request {
  /// The task as stored: verify/verify_all placeholders not yet expanded.
  core::task_spec task;
  core::stage stage = core::stage::red;
  int attempt = 1; ///< 1 for the first attempt of this stage
  /// The worker's worktree, on the task branch, clean at the commit the
  /// previous stage recorded.
  std::string worktree;
  /// This attempt's log: step headers, agent and verify output appended.
  std::string log_path;
  /// green, fix: blob id of `test_file` at the end of red (red's
  /// `test_blob`). "" = the test file as it is at the attempt's start.
  std::string red_commit_blob;
  /// refactor: the commit to restore when verify_all fails (the end of
  /// verify). "" = the commit the attempt starts from.
  std::string restore_commit;
  /// fix: the last verify_all output (written to $TDD_FAILURE_FILE and put
  /// in the prompt). Other agent stages: what failed last time, for the
  /// prompt, or "".
  std::string failure_output;
  agent_spec agent;
  /// For the agent call and for each verify run.
  std::chrono::seconds timeout{900};
  /// SIGTERM to SIGKILL, for the agent and verify process groups.
  std::chrono::milliseconds kill_grace{10'000};
  /// Stops the attempt from another thread (shutdown, lease lost).
  std::shared_ptr<cancellation> cancel;
};

/// Everything the caller records about the attempt.
struct stage_outcome {
  /// passed / reason / failure kind. Left default (not passed, no reason,
  /// no kind) when `cancelled`: a stopped attempt is no evidence either way
  /// and must not be counted by any circuit.
  core::stage_verdict verdict;
  std::optional<agent_report> agent; ///< when an agent ran
  bool verify_ran = false;           ///< whether `verify` holds a result
  command_result verify;             ///< the last verify(_all) run
  /// red, when passed: blob id of `test_file` as committed (green's and
  /// fix's identity check); "" otherwise.
  std::string test_blob;
  /// HEAD of the worktree afterwards; the tree is clean there. Record it:
  /// a resume restores the worktree to it (`git::reset_hard`).
  std::string head_commit;
  /// The agent hit a usage limit: pause dispatch, retry the same call.
  bool usage_limit = false;
  std::optional<std::chrono::seconds> retry_after; ///< when the agent said
  /// No retry can fix the agent (not logged in, program missing): halt
  /// dispatch and show `message`.
  bool fatal = false;
  /// Stopped through `cancel`; nothing is counted (see `verdict`).
  bool cancelled = false;
  /// Why, in a line or two, for a failure or a reverted refactor; "" on a
  /// clean pass.
  std::string message;
  /// Time spent in the agent and verify commands. Git bookkeeping (a few
  /// milliseconds) is left out so that exec/ keeps one clock reader.
  std::chrono::milliseconds duration{0};
};

/// Runs one attempt of `req.stage` (see the file comment): red, green and
/// fix call the agent, check the test file and run verify (verify_all for
/// fix); verify runs verify_all; refactor calls the agent and reverts on a
/// failing verify_all (passed, `refactor_reverted`); commit writes the one
/// task commit. An agent that did not finish its work (usage limit, error,
/// timeout, fatal, cancelled) skips the checks. Never throws for likely
/// failures: git and I/O errors become a worker-kind verdict.
stage_outcome run_stage(const stage_request& req);

} // namespace tdd::exec
