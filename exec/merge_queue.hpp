#pragma once

// One step of the merge queue (SPEC.md 4 "commit"): lands one finished
// task branch on the target branch, exactly once, without touching the
// user's work tree beyond fast-forwarding a clean checked-out target.
// The caller serializes calls (one merge at a time); each call is
// crash-safe on its own: run it again after a crash and it finishes or
// reports `already_merged`, never merging twice.
//
// How: the target's history is checked for the task's `TDD-Task: KEY`
// trailer first. If the target moved past the branch point, the task
// branch is rebased onto it in the worktree that has it checked out (or a
// scratch worktree `.orchestrator/worktrees/_merge`) and re-verified. The
// merge commit is then written with `commit-tree` (the rebased branch
// descends from the target, so the merge's tree is the branch's tree) and
// published with one atomic step: a compare-and-swap `update-ref` when the
// target is not checked out, else `merge --ff-only` in the clean work tree
// that has it. Everything before that step only creates objects or
// rewrites the task branch, so a crash leaves the target as it was.

#include "exec/git.hpp"

#include <functional>
#include <string>
#include <vector>

namespace tdd::exec {

struct merge_request {
  std::string repo;        ///< the user's repository (any of its worktrees)
  std::string target;      ///< branch to land on, e.g. "main"
  std::string key;         ///< task key, for the trailer check
  std::string title;       ///< task title, for the merge commit subject
  std::string task_branch; ///< "tdd/KEY", holding the task commit
  /// `--single-branch`: the task commit lands as is (linear history) and
  /// the task branch is deleted; else a `--no-ff` merge commit named
  /// "Merge tdd/KEY: title" (no trailer) and the branch is kept.
  bool single_branch = false;
  /// The target commit on which the task last passed `verify_all`; when
  /// set and the branch's base differs, re-verify even without a rebase
  /// (a crash between rebase and re-verify). "" = re-verify only after a
  /// rebase done by this call.
  std::string verified_base;
  /// Runs `verify_all` in the given worktree after a rebase; true = pass.
  /// Empty: nothing to re-verify.
  std::function<bool(const std::string& worktree)> reverify;
};

enum class merge_status {
  merged,                     ///< landed now; `target_commit` is the tip
  already_merged,             ///< the trailer was on the target already
  merge_conflict,             ///< rebase conflicted: aborted, branch kept
  verify_failed_after_rebase, ///< rebased, but `verify_all` fails now
  target_dirty,               ///< target checked out in a dirty tree
  error,                      ///< git failed; see `message`
};

std::string to_string(merge_status x);

struct merge_result {
  merge_status status = merge_status::error;
  std::string target_commit;          ///< target tip afterwards
  std::vector<std::string> conflicts; ///< paths, for merge_conflict
  std::string message;                ///< what to tell the user, if any
};

/// Lands `req.task_branch` on `req.target` once (see the file comment).
/// The worktrees it uses are clean afterwards, whatever the outcome.
merge_result merge_task(const merge_request& req);

/// Subject of the merge commit: "Merge tdd/KEY: title" on one line.
std::string merge_subject(const std::string& task_branch,
                          const std::string& title);

} // namespace tdd::exec
