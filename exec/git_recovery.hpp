#pragma once

// What a killed run can leave in the repository that git itself will not
// clean up: the lock files of git commands killed while they held them
// (SIGKILL gives git no chance to remove them; a power loss neither).
// A lock left in one of the orchestrator's worktrees makes every later git
// command there fail ("Unable to create '.../index.lock': File exists").
//
// Only places the orchestrator alone writes are considered: the private
// git directories of its worktrees (`<common git dir>/worktrees/<id>/`
// whose work tree is under the orchestrator's worktrees directory) and the
// task branches `refs/heads/tdd/`. The user's index, HEAD and branches are
// never touched: a lock there may belong to a git the user is running.

#include "exec/git.hpp"

#include <string>
#include <vector>

namespace tdd::exec::git {

/// The leftover lock files, absolute paths, sorted: `*.lock` files in the
/// private git directories of the worktrees under `worktrees_dir` and
/// below `refs/heads/tdd/`, plus a worktree's `locked` marker that still
/// says "initializing" (a `git worktree add` that never finished, which
/// `git worktree prune` would otherwise keep forever).
[[nodiscard]] result<std::vector<std::string>>
orchestrator_lock_files(const std::string& repo_root,
                        const std::string& worktrees_dir);

/// Ends whatever rebase, merge, cherry-pick or revert is in progress in
/// the orchestrator's worktree `dir`: aborted when git can (abort_in_progress),
/// else forgotten (`--quit`, and a rebase state directory git no longer
/// recognizes removed): a rebase killed while it wrote its state can be
/// neither continued nor aborted, and git refuses any new rebase while its
/// directory exists. The caller resets the tree afterwards. Never for the
/// user's work tree.
[[nodiscard]] result<> clear_in_progress(const std::string& dir);

} // namespace tdd::exec::git
