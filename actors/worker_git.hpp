#pragma once

// The blocking git work of a worker: putting its worktree on a task's
// branch, and on a node (SPEC.md 7) exchanging branches with the shared
// remote; the coordinator's side of that exchange too. Runs on blocking
// jobs, never on an actor thread.

#include "core/task.hpp"
#include "exec/stage_runner.hpp"

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
///
/// With `remote` (a node), the target is fetched from it first, so the
/// task starts from the latest merged work.
worktree_start prepare_worktree(const std::string& repo_root,
                                const std::string& worktree,
                                const std::string& target,
                                const core::task_spec& task, bool resume,
                                const std::string& start_commit = {},
                                const std::string& remote = {});

/// On a node, after a stage: a passed commit stage's branch `tdd/KEY` is
/// force-pushed to `remote` for the coordinator to merge. When the push
/// fails the outcome becomes a git error (kind worker) with git's message.
void publish_task_branch(const exec::stage_request& req,
                         const std::string& remote, exec::stage_outcome& out);

/// On the coordinator, before merging a node's task: fetches `tdd/KEY`
/// from `remote` into the repository (a worktree of ours that has the
/// branch out is detached first). Returns "" or the error.
std::string fetch_task_branch(const std::string& repo_root,
                              const std::string& remote,
                              const std::string& key);

/// On the coordinator: pushes `target` to `remote` (no force: a target
/// someone else moved there is an error). Returns "" or the error.
std::string push_target(const std::string& repo_root, const std::string& remote,
                        const std::string& target);

} // namespace tdd
