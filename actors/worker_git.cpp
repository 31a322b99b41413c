#include "actors/worker_git.hpp"

#include "exec/git.hpp"

#include <filesystem>
#include <system_error>

namespace tdd {

namespace git = exec::git;

namespace {

std::string ensure_worktree(const std::string& root, const std::string& path,
                            const std::string& target) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(fs::path{path} / ".git", ec)) {
    (void)git::abort_in_progress(path); // a crash may have left one
    return {};
  }
  if (fs::exists(path, ec)) {
    fs::remove_all(path, ec); // a half-made worktree: start over
  }
  if (auto pruned = git::prune_worktrees(root); !pruned) {
    return pruned.error;
  }
  fs::create_directories(fs::path{path}.parent_path(), ec);
  auto added = git::add_worktree(root, path, "refs/heads/" + target);
  return added.error;
}

} // namespace

worktree_start prepare_worktree(const std::string& repo_root,
                                const std::string& worktree,
                                const std::string& target,
                                const core::task_spec& task, bool resume) {
  worktree_start out;
  if (out.error = ensure_worktree(repo_root, worktree, target);
      !out.error.empty()) {
    return out;
  }
  const auto branch = "tdd/" + task.key;
  const auto exists = git::branch_exists(repo_root, branch);
  if (!exists) {
    out.error = exists.error;
    return out;
  }
  const auto holder = git::worktree_of_branch(repo_root, branch);
  if (!holder) {
    out.error = holder.error;
    return out;
  }
  if (holder.value && *holder.value != worktree) {
    const auto main = git::main_worktree(repo_root);
    if (main && *holder.value == main.value) {
      out.error = branch + " is checked out in your work tree: check out "
                  + "another branch there first";
      return out;
    }
    if (auto freed = git::detach_head(*holder.value); !freed) {
      out.error = freed.error;
      return out;
    }
  }
  out.resumed = resume && exists.value;
  const auto checkout
    = out.resumed
        ? git::run(worktree, {"checkout", "--force", "--quiet", branch})
        : git::run(worktree, {"checkout", "--force", "--quiet", "-B", branch,
                              "refs/heads/" + target});
  if (!checkout) {
    out.error = checkout.error;
    return out;
  }
  if (auto clean = git::reset_hard(worktree, "HEAD"); !clean) {
    out.error = clean.error;
    return out;
  }
  if (out.resumed) {
    auto blob = git::file_blob(worktree, "HEAD", task.test_file);
    if (!blob) {
      out.error = blob.error;
      return out;
    }
    out.red_blob = blob.value;
  }
  return out;
}

} // namespace tdd
