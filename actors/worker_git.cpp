#include "actors/worker_git.hpp"

#include "exec/git.hpp"
#include "exec/git_recovery.hpp"

#include <filesystem>
#include <mutex>
#include <string>
#include <system_error>

namespace tdd {

namespace git = exec::git;

namespace {

/// Held while a worker puts its worktree on a task branch. Taking a branch
/// over detaches it in the worktree that had it (free_branch): without
/// this, a worker could detach the HEAD of another worker that had just
/// checked out its own new branch there (a resume hands tasks to other
/// workers), and that worker's commits would then land on no branch.
std::mutex worktree_switch;

std::string ensure_worktree(const std::string& root, const std::string& path,
                            const std::string& target) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(fs::path{path} / ".git", ec)) {
    (void)git::clear_in_progress(path); // a crash may have left one
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

/// Fills in where the task starts: HEAD, and when resuming, the test file
/// as red left it.
void read_start(const std::string& worktree, const core::task_spec& task,
                worktree_start& out) {
  const auto head = git::resolve_commit(worktree, "HEAD");
  if (!head) {
    out.error = head.error;
    return;
  }
  out.head = head.value;
  if (!out.resumed) {
    return;
  }
  const auto blob = git::file_blob(worktree, "HEAD", task.test_file);
  out.error = blob.error;
  out.red_blob = blob.value;
}

/// The commit a resumed stage restarts from on the checked-out branch:
/// `start_commit` when it is on the branch's line (see the header), else
/// the tip, with `note` saying why.
std::string resume_point(const std::string& worktree, const std::string& branch,
                         const std::string& start_commit, std::string& note) {
  const auto tip = git::resolve_commit(worktree, "HEAD");
  if (!tip) {
    note = tip.error;
    return "HEAD";
  }
  if (start_commit.empty()) {
    note = "no start commit recorded for the stage; resuming at the tip "
           + tip.value + " of " + branch;
    return tip.value;
  }
  const auto recorded = git::resolve_commit(worktree, start_commit);
  if (!recorded) {
    note = "the recorded start commit " + start_commit
           + " is gone; resuming at the tip " + tip.value + " of " + branch;
    return tip.value;
  }
  if (recorded.value == tip.value) {
    return tip.value;
  }
  const auto precedes
    = [&](const std::string& older, const std::string& newer) {
        const auto r = git::is_ancestor(worktree, older, newer);
        return r && r.value;
      };
  if (precedes(recorded.value, tip.value)
      || precedes(tip.value, recorded.value)) {
    return recorded.value;
  }
  note = "the recorded start commit " + recorded.value + " is not on " + branch
         + " any more (rewritten by the task commit or a rebase); "
         + "resuming at its tip " + tip.value;
  return tip.value;
}

/// Takes `branch` from another orchestrator worktree that has it out (a
/// crashed worker's, or one whose directory is gone); refuses when it is
/// the user's work tree.
std::string free_branch(const std::string& repo_root,
                        const std::string& worktree,
                        const std::string& branch) {
  // A worktree whose directory was deleted (by hand, or a crash) holds its
  // branch until it is pruned, unseen by worktree_of_branch.
  if (auto pruned = git::prune_worktrees(repo_root); !pruned) {
    return pruned.error;
  }
  const auto holder = git::worktree_of_branch(repo_root, branch);
  if (!holder) {
    return holder.error;
  }
  if (!holder.value || *holder.value == worktree) {
    return {};
  }
  const auto main = git::main_worktree(repo_root);
  if (main && *holder.value == main.value) {
    return branch + " is checked out in your work tree: check out "
           + "another branch there first";
  }
  return git::detach_head(*holder.value).error;
}

} // namespace

worktree_start prepare_worktree(const std::string& repo_root,
                                const std::string& worktree,
                                const std::string& target,
                                const core::task_spec& task, bool resume,
                                const std::string& start_commit,
                                const std::string& remote) {
  const std::lock_guard<std::mutex> switching{worktree_switch};
  worktree_start out;
  if (!remote.empty()) {
    const auto fetched = git::run(
      repo_root, {"fetch", "--quiet", remote,
                  "+refs/heads/" + target + ":refs/heads/" + target});
    if (!fetched) {
      out.error
        = "cannot fetch " + target + " from " + remote + ": " + fetched.error;
      return out;
    }
  }
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
  if (out.error = free_branch(repo_root, worktree, branch);
      !out.error.empty()) {
    return out;
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
  // Untracked files go too (reset_hard cleans): they are the agent's work
  // of an attempt that died, which the stage redoes from its start.
  const auto start = out.resumed
                       ? resume_point(worktree, branch, start_commit, out.note)
                       : std::string{"HEAD"};
  if (auto clean = git::reset_hard(worktree, start); !clean) {
    out.error = clean.error;
    return out;
  }
  read_start(worktree, task, out);
  return out;
}

void publish_task_branch(const exec::stage_request& req,
                         const std::string& remote, exec::stage_outcome& out) {
  if (req.stage != core::stage::commit || !out.verdict.passed
      || out.cancelled) {
    return;
  }
  const auto branch = "tdd/" + req.task.key;
  const auto pushed = git::run(
    req.worktree, {"push", "--quiet", "--force", remote,
                   "refs/heads/" + branch + ":refs/heads/" + branch});
  if (pushed) {
    return;
  }
  out.verdict.passed = false;
  out.verdict.reason = core::reason::git_error;
  out.verdict.kind = core::failure_kind::worker;
  out.message = "cannot push " + branch + " to " + remote + ": " + pushed.error;
}

std::string fetch_task_branch(const std::string& repo_root,
                              const std::string& remote,
                              const std::string& key) {
  const std::lock_guard<std::mutex> switching{worktree_switch};
  const auto branch = "tdd/" + key;
  if (auto err = free_branch(repo_root, {}, branch); !err.empty()) {
    return err;
  }
  const auto fetched
    = git::run(repo_root, {"fetch", "--quiet", remote,
                           "+refs/heads/" + branch + ":refs/heads/" + branch});
  return fetched ? std::string{}
                 : "cannot fetch " + branch + " from " + remote + ": "
                     + fetched.error;
}

std::string push_target(const std::string& repo_root, const std::string& remote,
                        const std::string& target) {
  const auto pushed
    = git::run(repo_root, {"push", "--quiet", remote,
                           "refs/heads/" + target + ":refs/heads/" + target});
  return pushed
           ? std::string{}
           : "cannot push " + target + " to " + remote + ": " + pushed.error;
}

} // namespace tdd
