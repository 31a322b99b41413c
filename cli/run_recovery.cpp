#include "cli/run_recovery.hpp"

#include "cli/output.hpp"
#include "exec/git.hpp"
#include "exec/git_recovery.hpp"

#include <chrono>
#include <filesystem>
#include <system_error>
#include <thread>
#include <vector>

namespace tdd::cli {

namespace {

namespace git = exec::git;

/// How long a git of the dead run may still hold its lock: git commands
/// hold them for milliseconds, so one still there after this is stale.
constexpr std::chrono::milliseconds lock_grace{1000};
constexpr std::chrono::milliseconds lock_poll{50};

std::vector<std::string> existing(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const auto& p : paths) {
    std::error_code ec;
    if (std::filesystem::exists(p, ec)) {
      out.push_back(p);
    }
  }
  return out;
}

void remove_stale_locks(const std::string& repo_root,
                        const std::string& worktrees_dir) {
  const auto found = git::orchestrator_lock_files(repo_root, worktrees_dir);
  if (!found) {
    print_error("warning: cannot look for stale git locks: " + found.error);
    return;
  }
  auto left = found.value;
  const auto deadline = std::chrono::steady_clock::now() + lock_grace;
  while (!left.empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(lock_poll);
    left = existing(left);
  }
  for (const auto& path : left) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
    print_error(ec ? "warning: cannot remove the stale git lock " + path + ": "
                       + ec.message()
                   : "removed a git lock left by a killed run: " + path);
  }
}

/// Ends the rebases and merges a killed run left in progress in the
/// orchestrator's worktrees (the merge queue rebases task branches there).
void clear_operations(const std::string& repo_root,
                      const std::string& worktrees_dir) {
  const auto all = git::list_worktrees(repo_root);
  if (!all) {
    print_error("warning: git worktree list: " + all.error);
    return;
  }
  std::error_code ec;
  const auto prefix
    = std::filesystem::weakly_canonical(worktrees_dir, ec).string() + "/";
  for (const auto& wt : all.value) {
    const auto path = std::filesystem::weakly_canonical(wt.path, ec);
    if (wt.prunable || path.string().rfind(prefix, 0) != 0) {
      continue;
    }
    if (auto cleared = git::clear_in_progress(wt.path); !cleared) {
      print_error("warning: " + wt.path + ": " + cleared.error);
    }
  }
}

} // namespace

void reconcile_repository(const std::string& repo_root,
                          const std::string& worktrees_dir) {
  // Locks first: an unfinished `worktree add` keeps prune off its entry.
  remove_stale_locks(repo_root, worktrees_dir);
  if (auto pruned = git::prune_worktrees(repo_root); !pruned) {
    print_error("warning: git worktree prune: " + pruned.error);
  }
  clear_operations(repo_root, worktrees_dir);
}

} // namespace tdd::cli
