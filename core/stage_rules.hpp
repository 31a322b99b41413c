#pragma once

// The TDD stage rules of SPEC.md 4 as pure verdicts over facts that exec/
// gathered (did the test file change, did verify pass, did the merge
// conflict). No I/O: the worker runs the commands, these functions decide.

#include "core/circuit.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tdd::core {

/// The stages of a task, in pipeline order. `fix` is the agent's repair
/// attempt after a failing verify; it counts against the verify circuit.
enum class stage : uint8_t { red, green, verify, fix, refactor, commit };

/// Every stage in pipeline order: the one list of stage names
/// (`parse_circuit_ref` checks `stage:TASK:STAGE` against it too).
inline constexpr std::array<stage, 6> all_stages{
  stage::red, stage::green,    stage::verify,
  stage::fix, stage::refactor, stage::commit};

std::string to_string(stage x);
std::optional<stage> parse_stage(std::string_view x);

/// Reasons recorded with an attempt; users see and grep them.
namespace reason {
inline constexpr std::string_view red_test_unchanged = "red_test_unchanged";
inline constexpr std::string_view red_test_passes = "red_test_passes";
inline constexpr std::string_view green_modified_test = "green_modified_test";
inline constexpr std::string_view green_verify_failed = "green_verify_failed";
inline constexpr std::string_view verify_failed = "verify_failed";
inline constexpr std::string_view refactor_reverted = "refactor_reverted";
inline constexpr std::string_view merge_conflict = "merge_conflict";
// Why an attempt ended without the rules judging the agent's work:
/// The agent hit a usage limit (kind usage_limit: no circuit counts it).
inline constexpr std::string_view usage_limit = "usage_limit";
/// The agent exited non-zero, reported an error or could not start.
inline constexpr std::string_view agent_error = "agent_error";
/// The agent ran past the timeout and its process group was killed.
inline constexpr std::string_view agent_timeout = "agent_timeout";
/// The agent was killed by a signal it did not get from us.
inline constexpr std::string_view agent_killed = "agent_killed";
/// fix changed the test file (kind task, counted by the verify circuit).
inline constexpr std::string_view fix_modified_test = "fix_modified_test";
/// The verify command could not start (no /bin/sh, worktree gone).
inline constexpr std::string_view verify_not_started = "verify_not_started";
/// The task commit was refused (a commit hook, nothing to commit): kind
/// task, since git itself worked for the WIP commits before it.
inline constexpr std::string_view commit_failed = "commit_failed";
/// A git command the runner needs failed (kind worker).
inline constexpr std::string_view git_error = "git_error";
/// The prompt or failure file could not be written (kind worker).
inline constexpr std::string_view io_error = "io_error";
/// The worker actor died with the attempt in flight (an exception, a lost
/// lease): the attempt is `interrupted`, the worker circuit counts it.
inline constexpr std::string_view worker_crashed = "worker_crashed";
} // namespace reason

/// What the rules say about one attempt.
struct stage_verdict {
  /// The stage's work is accepted (a reverted refactor is accepted too).
  bool passed = false;
  /// Empty on a clean pass; one of `reason::*` otherwise.
  std::string_view reason;
  /// Which circuit counts the failure; set exactly when `!passed`.
  std::optional<failure_kind> kind;
  /// No retry helps: the task is blocked with `reason` (merge_conflict).
  bool blocks_task = false;
  /// Restore the worktree to the end of verify (a reverted refactor).
  bool restore_tree = false;
};

/// red: the agent wrote tests. Facts measured after the agent ran.
struct red_facts {
  bool test_file_changed = false; ///< differs from the task's start
  bool verify_passed = false;     ///< `verify` exited 0
};

/// green: the agent implemented. Facts measured after the agent ran.
struct green_facts {
  bool test_file_identical = false; ///< same blob as at the end of red
  bool verify_passed = false;       ///< `verify` exited 0
};

/// Passes only if the test file changed and verify fails. An unchanged
/// file is checked first: without a new test, a failing verify proves
/// nothing either.
stage_verdict judge_red(const red_facts& facts);

/// Passes only if the test file is byte-identical to the end of red and
/// verify passes. A modified test is reported even when verify passes,
/// since that pass proves nothing.
stage_verdict judge_green(const green_facts& facts);

/// verify, and each fix attempt: `verify_all` must pass, else
/// `verify_failed` and the next attempt is a fix. A rebase in the merge
/// queue whose re-verify fails is judged here too.
stage_verdict judge_verify(bool verify_all_passed);

/// refactor: passes either way; a failing `verify_all` restores the tree
/// and records `refactor_reverted`.
stage_verdict judge_refactor(bool verify_all_passed);

/// commit: the merge queue merged (or found the task already merged), or
/// hit a conflict it cannot resolve, which blocks the task (branch kept).
stage_verdict judge_commit(bool merge_conflict);

/// The stage after `current` succeeded; nullopt after commit (the task is
/// complete). refactor is skipped when disabled; a passing fix continues
/// where a passing verify would.
std::optional<stage> stage_after(stage current, bool refactor_enabled);

/// The stage whose attempt follows a non-blocking failure of `current`:
/// verify and fix go to fix, every other stage is tried again.
stage retry_stage(stage current);

/// Where the pipeline goes from `current` given its verdict: nullopt when
/// the task is complete or blocked.
std::optional<stage> next_stage(stage current, const stage_verdict& verdict,
                                bool refactor_enabled);

/// The stage whose circuit counts an attempt of `x`: fix counts against
/// verify (SPEC.md 4), every other stage against itself.
stage circuit_stage(stage x);

/// Whether an attempt of `x` calls the agent (and so reserves a call of the
/// budget): red, green, fix and refactor; verify and commit do not.
bool uses_agent(stage x);

} // namespace tdd::core
