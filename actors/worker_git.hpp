#pragma once

// The blocking git work of a worker: putting its worktree on a task's
// branch. Runs on the worker's blocking job, never on an actor thread.

#include "core/task.hpp"

#include <string>

namespace tdd {

/// Where a task starts in a worker's worktree.
struct worktree_start {
  std::string error;    ///< "" on success
  std::string red_blob; ///< test file blob at HEAD when resuming past red
  bool resumed = false; ///< the branch's work was kept
  /// The commit the worktree is on afterwards (clean): where the task's
  /// first stage starts.
  std::string head;
  /// Why a resume kept the branch tip instead of resetting to
  /// `start_commit` (for the log); "" when it did not have to.
  std::string note;
};

/// Puts `worktree` (created from the target when missing) on branch
/// `tdd/KEY`, clean: no changes, no untracked files (ignored ones stay).
/// `resume` keeps the branch's work (a task resumed past red); otherwise
/// the branch is (re)created at the target's tip. A branch left checked
/// out in another orchestrator worktree (a crashed worker) is taken over.
///
/// Resuming, the branch is reset to `start_commit`, the commit the
/// resumed stage started from: the tip may hold work of an attempt that
/// was in flight when the run died (a WIP commit whose verdict was never
/// recorded), and the stage must start over without it. That holds when
/// `start_commit` is on the branch's line: an ancestor of the tip (work of
/// the killed attempt on top), or a descendant (the commit stage died
/// between squashing `reset --soft` and its commit, leaving the tip at the
/// task's base). Otherwise the branch was rewritten since (the task
/// commit replaced the WIP chain, the merge queue rebased it) and the tip
/// is kept, as when no commit was recorded; `note` says why.
worktree_start prepare_worktree(const std::string& repo_root,
                                const std::string& worktree,
                                const std::string& target,
                                const core::task_spec& task, bool resume,
                                const std::string& start_commit = {});

} // namespace tdd
