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
};

/// Puts `worktree` (created from the target when missing) on branch
/// `tdd/KEY`, clean. `resume` keeps the branch's work (a task resumed past
/// red); otherwise the branch is (re)created at the target's tip. A branch
/// left checked out in another orchestrator worktree (a crashed worker) is
/// taken over.
worktree_start prepare_worktree(const std::string& repo_root,
                                const std::string& worktree,
                                const std::string& target,
                                const core::task_spec& task, bool resume);

} // namespace tdd
