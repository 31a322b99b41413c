#pragma once

// Reconciling the repository at the start of a run, before any worker
// (SPEC.md 8 "Nothing lost", ARCHITECTURE.md "Crash safety"): what a run
// killed at any moment may have left in git that would make the next
// one fail. The run lock is held, so no other run is working there.

#include <string>

namespace tdd::cli {

/// Removes the lock files of git commands killed while they held them in
/// the orchestrator's own worktrees and task branches
/// (exec::git::orchestrator_lock_files), after a short grace in case a git
/// of the dead run is still finishing; forgets worktrees whose directories
/// are gone (`git worktree prune`: their registrations still hold their
/// branches); ends the rebases and merges left in progress in the
/// orchestrator's worktrees (exec::git::clear_in_progress). Says on stderr
/// what it removed; problems only warn, since each worker's git reports
/// what is left.
void reconcile_repository(const std::string& repo_root,
                          const std::string& worktrees_dir);

} // namespace tdd::cli
