#include "exec/merge_queue.hpp"

#include "core/task.hpp"

#include <filesystem>
#include <optional>
#include <system_error>
#include <utility>

namespace tdd::exec {

namespace fs = std::filesystem;

namespace {

merge_result fail(std::string message) {
  return merge_result{merge_status::error, {}, {}, std::move(message)};
}

/// A worktree with the task branch checked out, for the rebase and the
/// re-verify: the task's own, or a scratch one we remove afterwards.
struct branch_worktree {
  std::string path;
  bool scratch = false;
};

/// The user's own work tree is never rebased, verified in or detached.
bool is_user_tree(const std::string& root, const std::string& path) {
  std::error_code ec;
  return fs::equivalent(root, path, ec);
}

std::string user_tree_error(const std::string& root,
                            const std::string& branch) {
  return branch + " is checked out in your work tree " + root
         + "; check out another branch there";
}

std::string scratch_path(const std::string& root) {
  return (fs::path{root} / ".orchestrator" / "worktrees" / "_merge").string();
}

/// Removes the scratch worktree, also one a crash left behind.
void drop_scratch(const std::string& root) {
  const auto path = scratch_path(root);
  (void)git::remove_worktree(root, path);
  std::error_code ec;
  fs::remove_all(path, ec);
  (void)git::prune_worktrees(root);
}

git::result<branch_worktree> checkout_branch(const std::string& root,
                                             const std::string& branch) {
  git::result<branch_worktree> r;
  const auto holder = git::worktree_of_branch(root, branch);
  if (!holder) {
    r.error = holder.error;
    return r;
  }
  if (!holder.value) {
    drop_scratch(root);
    const auto added
      = git::add_branch_worktree(root, scratch_path(root), branch);
    r.error = added.error;
    r.value = branch_worktree{scratch_path(root), true};
    return r;
  }
  if (is_user_tree(root, *holder.value)) {
    r.error = user_tree_error(root, branch);
    return r;
  }
  r.value.path = *holder.value;
  // A rebase or merge a crash interrupted goes first; then the branch's
  // committed state is all that counts.
  const auto aborted = git::abort_in_progress(r.value.path);
  const auto clean = git::is_clean(r.value.path);
  if (!aborted || !clean) {
    r.error = !aborted ? aborted.error : clean.error;
  } else if (!clean.value) {
    r.error = "worktree " + r.value.path + " of " + branch
              + " has uncommitted changes";
  }
  return r;
}

/// Whether the branch must be rebased onto `target_tip`, and whether it
/// must be re-verified even without a rebase (see verified_base).
struct branch_state {
  bool needs_rebase = false;
  bool needs_reverify = false;
};

git::result<branch_state> inspect_branch(const merge_request& req,
                                         const std::string& root,
                                         const std::string& target_tip,
                                         const std::string& tip) {
  git::result<branch_state> r;
  const auto contains = git::is_ancestor(root, target_tip, tip);
  if (!contains) {
    r.error = contains.error;
    return r;
  }
  r.value.needs_rebase = !contains.value;
  if (!req.verified_base.empty() && contains.value) {
    const auto base = git::merge_base(root, target_tip, tip);
    r.error = base.error;
    r.value.needs_reverify = base && base.value != req.verified_base;
  }
  return r;
}

/// Rebases (when the target moved) and re-verifies the task branch; on
/// success returns nullopt, else the result to report.
std::optional<merge_result> prepare_branch(const merge_request& req,
                                           const std::string& root,
                                           const std::string& target_tip,
                                           const std::string& tip) {
  const auto state = inspect_branch(req, root, target_tip, tip);
  if (!state) {
    return fail(state.error);
  }
  if (!state.value.needs_rebase && !state.value.needs_reverify) {
    return std::nullopt;
  }
  const auto wt = checkout_branch(root, req.task_branch);
  if (!wt) {
    return fail(wt.error);
  }
  std::optional<merge_result> outcome;
  if (state.value.needs_rebase) {
    const auto rebased = git::rebase(wt.value.path, target_tip);
    if (!rebased) {
      outcome = fail(rebased.error);
    } else if (rebased.value.conflict) {
      outcome = merge_result{
        merge_status::merge_conflict, target_tip, rebased.value.paths,
        req.task_branch + " conflicts with " + req.target + "; branch kept"};
    }
  }
  if (!outcome && req.reverify && !req.reverify(wt.value.path)) {
    outcome = merge_result{merge_status::verify_failed_after_rebase,
                           target_tip,
                           {},
                           "verify_all fails on " + req.task_branch
                             + " rebased onto " + req.target};
  }
  if (wt.value.scratch) {
    drop_scratch(root);
  }
  return outcome;
}

/// `--single-branch`: once the commit is on the target, the branch goes.
git::result<> drop_task_branch(const std::string& root,
                               const std::string& branch) {
  const auto exists = git::branch_exists(root, branch);
  if (!exists || !exists.value) {
    return git::result<>{{}, exists.error};
  }
  const auto holder = git::worktree_of_branch(root, branch);
  if (!holder) {
    return git::result<>{{}, holder.error};
  }
  if (holder.value && is_user_tree(root, *holder.value)) {
    return git::result<>{{}, user_tree_error(root, branch)};
  }
  if (holder.value) {
    if (auto detached = git::detach_head(*holder.value); !detached) {
      return detached;
    }
  }
  return git::delete_branch(root, branch);
}

/// The user's checked-out target, dirty: refuse before any work.
std::optional<merge_result> check_target_tree(const std::string& root,
                                              const std::string& target) {
  const auto holder = git::worktree_of_branch(root, target);
  if (!holder) {
    return fail(holder.error);
  }
  if (!holder.value) {
    return std::nullopt;
  }
  const auto clean = git::is_clean(*holder.value);
  if (!clean) {
    return fail(clean.error);
  }
  if (!clean.value) {
    return merge_result{merge_status::target_dirty,
                        {},
                        {},
                        target + " is checked out in " + *holder.value
                          + " with uncommitted changes: commit or stash "
                            "them, or use --target other-branch"};
  }
  return std::nullopt;
}

/// Publishes `landing` as the new tip of the target (one atomic step).
merge_result land(const merge_request& req, const std::string& root,
                  const std::string& target_tip, const std::string& landing) {
  const auto moved = git::advance_branch(root, req.target, target_tip, landing);
  if (!moved) {
    return fail(moved.error);
  }
  if (moved.value == git::advance_outcome::tree_dirty) {
    return merge_result{merge_status::target_dirty,
                        target_tip,
                        {},
                        req.target
                          + " is checked out with changes in the "
                            "way: commit or stash them"};
  }
  if (req.single_branch) {
    if (const auto dropped = drop_task_branch(root, req.task_branch);
        !dropped) {
      return merge_result{merge_status::merged,
                          landing,
                          {},
                          "merged; deleting " + req.task_branch
                            + " failed: " + dropped.error};
    }
  }
  return merge_result{merge_status::merged, landing, {}, {}};
}

/// Everything after the trailer and target checks: prepare, write, land.
merge_result merge_branch(const merge_request& req, const std::string& root,
                          const std::string& target_tip) {
  const auto branch_ref = "refs/heads/" + req.task_branch;
  const auto before = git::resolve_commit(root, branch_ref);
  if (!before) {
    return fail(before.error);
  }
  if (auto stop = prepare_branch(req, root, target_tip, before.value)) {
    return std::move(*stop);
  }
  const auto tip = git::resolve_commit(root, branch_ref); // maybe rebased
  if (!tip) {
    return fail(tip.error);
  }
  const auto empty = git::is_ancestor(root, tip.value, target_tip);
  if (!empty || empty.value) {
    return fail(!empty
                  ? empty.error
                  : req.task_branch + " has no commit beyond " + req.target);
  }
  if (req.single_branch) {
    return land(req, root, target_tip, tip.value);
  }
  const auto merge = git::merge_descendant(
    root, target_tip, tip.value, merge_subject(req.task_branch, req.title));
  if (!merge) {
    return fail(merge.error);
  }
  return land(req, root, target_tip, merge.value);
}

} // namespace

std::string to_string(merge_status x) {
  switch (x) {
  case merge_status::merged:
    return "merged";
  case merge_status::already_merged:
    return "already_merged";
  case merge_status::merge_conflict:
    return "merge_conflict";
  case merge_status::verify_failed_after_rebase:
    return "verify_failed_after_rebase";
  case merge_status::target_dirty:
    return "target_dirty";
  case merge_status::error:
    return "error";
  }
  return "unknown";
}

std::string merge_subject(const std::string& task_branch,
                          const std::string& title) {
  return git::one_line("Merge " + task_branch + ": " + title);
}

merge_result merge_task(const merge_request& req) {
  if (!core::is_valid_task_key(req.key) || req.target.empty()
      || req.task_branch.empty()) {
    return fail("merge request needs a valid key, target and task branch");
  }
  const auto root = git::main_worktree(req.repo);
  if (!root) {
    return fail(root.error);
  }
  const auto target_tip
    = git::resolve_commit(root.value, "refs/heads/" + req.target);
  if (!target_tip) {
    return fail(target_tip.error);
  }
  const auto merged
    = git::has_task_trailer(root.value, target_tip.value, req.key);
  if (!merged) {
    return fail(merged.error);
  }
  if (merged.value) {
    // A crash may have come between landing and deleting the branch.
    const auto dropped = req.single_branch
                           ? drop_task_branch(root.value, req.task_branch)
                           : git::result<>{};
    return merge_result{
      merge_status::already_merged, target_tip.value, {}, dropped.error};
  }
  if (auto refused = check_target_tree(root.value, req.target)) {
    return std::move(*refused);
  }
  return merge_branch(req, root.value, target_tip.value);
}

} // namespace tdd::exec
