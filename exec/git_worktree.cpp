// Worktrees, their recovery after a crash, and file identities.

#include "exec/git.hpp"
#include "exec/git_internal.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>

namespace tdd::exec::git {

using internal::call;
using internal::failure;
using internal::success;
using internal::trim_newlines;

namespace fs = std::filesystem;

namespace {

result<> done(const internal::call_result& r) {
  if (!r.error.empty()) {
    return failure<std::monostate>(r.error);
  }
  return {};
}

/// A path argument git cannot mistake for an option.
std::string path_arg(const std::string& path) {
  return !path.empty() && path.front() == '-' ? "./" + path : path;
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

/// Applies one line of `worktree list --porcelain` to `wt`.
void parse_worktree_line(std::string_view line, worktree_info& wt) {
  constexpr std::string_view heads = "refs/heads/";
  if (starts_with(line, "HEAD ")) {
    wt.head = std::string{line.substr(5)};
  } else if (starts_with(line, "branch ")) {
    auto ref = line.substr(7);
    if (starts_with(ref, heads)) {
      ref.remove_prefix(heads.size());
    }
    wt.branch = std::string{ref};
  } else if (line == "bare") {
    wt.bare = true;
  } else if (starts_with(line, "locked")) {
    wt.locked = true;
  } else if (starts_with(line, "prunable")) {
    wt.prunable = true;
  }
}

/// Whether `name` (MERGE_HEAD, CHERRY_PICK_HEAD, …) exists in `dir`.
result<bool> has_pseudo_ref(const std::string& dir, const std::string& name) {
  const auto r = call(dir, {"rev-parse", "--quiet", "--verify", name});
  if (r.ran && (r.exit_code == 0 || r.exit_code == 1)) {
    return success(r.exit_code == 0);
  }
  return failure<bool>(r.error);
}

/// The state directories of a rebase in `dir` (merge and apply backends).
result<std::vector<fs::path>> rebase_dirs(const std::string& dir) {
  const auto r = run(dir, {"rev-parse", "--git-path", "rebase-merge",
                           "--git-path", "rebase-apply"});
  if (!r) {
    return failure<std::vector<fs::path>>(r.error);
  }
  std::vector<fs::path> dirs;
  for (const auto& line : internal::split(r.value, '\n')) {
    const fs::path p{line};
    dirs.push_back(p.is_absolute() ? p : fs::path{dir} / p);
  }
  return success(std::move(dirs));
}

} // namespace

result<std::vector<worktree_info>> list_worktrees(const std::string& dir) {
  const auto r = run(dir, {"worktree", "list", "--porcelain"});
  if (!r) {
    return failure<std::vector<worktree_info>>(r.error);
  }
  std::vector<worktree_info> all;
  std::istringstream lines{r.value};
  std::string line;
  while (std::getline(lines, line)) {
    if (starts_with(line, "worktree ")) {
      all.emplace_back();
      all.back().path = line.substr(9);
    } else if (!all.empty()) {
      parse_worktree_line(line, all.back());
    }
  }
  return success(std::move(all));
}

result<std::string> main_worktree(const std::string& dir) {
  const auto all = list_worktrees(dir);
  if (!all) {
    return failure<std::string>(all.error);
  }
  if (all.value.empty() || all.value.front().bare) {
    return failure<std::string>("repository has no main work tree: " + dir);
  }
  return success(all.value.front().path);
}

result<std::optional<std::string>>
worktree_of_branch(const std::string& dir, const std::string& branch) {
  const auto all = list_worktrees(dir);
  if (!all) {
    return failure<std::optional<std::string>>(all.error);
  }
  for (const auto& wt : all.value) {
    if (wt.bare || wt.prunable) {
      continue;
    }
    if (wt.branch == branch) {
      return success(std::optional<std::string>{wt.path});
    }
    if (!wt.branch.empty()) {
      continue;
    }
    // Detached: maybe a rebase of `branch` that a crash interrupted.
    const auto rebasing = rebasing_branch(wt.path);
    if (!rebasing) {
      return failure<std::optional<std::string>>(rebasing.error);
    }
    if (rebasing.value == branch) {
      return success(std::optional<std::string>{wt.path});
    }
  }
  return success(std::optional<std::string>{});
}

result<> add_worktree(const std::string& dir, const std::string& path,
                      const std::string& rev) {
  return done(call(dir, {"worktree", "add", "--quiet", "--detach",
                         path_arg(path), path_arg(rev)}));
}

result<> add_branch_worktree(const std::string& dir, const std::string& path,
                             const std::string& branch,
                             const std::string& start) {
  if (start.empty()) {
    return done(call(
      dir, {"worktree", "add", "--quiet", path_arg(path), path_arg(branch)}));
  }
  return done(call(dir, {"worktree", "add", "--quiet", "-b", branch,
                         path_arg(path), path_arg(start)}));
}

result<> remove_worktree(const std::string& dir, const std::string& path) {
  const auto r = call(dir, {"worktree", "remove", "--force", path_arg(path)});
  std::error_code ec;
  if (!r.error.empty() && !fs::exists(path, ec)) {
    // Already gone from disk: only git's record is left.
    return prune_worktrees(dir);
  }
  return done(r);
}

result<> prune_worktrees(const std::string& dir) {
  return done(call(dir, {"worktree", "prune"}));
}

result<> reset_hard(const std::string& dir, const std::string& rev) {
  const auto reset = call(dir, {"reset", "--hard", "--quiet", path_arg(rev)});
  if (!reset.error.empty()) {
    return failure<std::monostate>(reset.error);
  }
  return done(call(dir, {"clean", "-f", "-d", "--quiet"}));
}

result<> detach_head(const std::string& dir) {
  return done(call(dir, {"checkout", "--quiet", "--detach"}));
}

result<std::string> rebasing_branch(const std::string& dir) {
  const auto dirs = rebase_dirs(dir);
  if (!dirs) {
    return failure<std::string>(dirs.error);
  }
  for (const auto& state : dirs.value) {
    std::ifstream in{state / "head-name"};
    std::string ref;
    if (in && std::getline(in, ref)) {
      constexpr std::string_view heads = "refs/heads/";
      if (starts_with(ref, heads)) {
        ref.erase(0, heads.size());
      }
      return success(std::move(ref));
    }
  }
  return success(std::string{});
}

result<> abort_in_progress(const std::string& dir) {
  const auto dirs = rebase_dirs(dir);
  if (!dirs) {
    return failure<std::monostate>(dirs.error);
  }
  std::error_code ec;
  for (const auto& state : dirs.value) {
    if (fs::is_directory(state, ec)) {
      return done(call(dir, {"rebase", "--abort"}));
    }
  }
  for (const auto& [head, command] : {std::pair{"MERGE_HEAD", "merge"},
                                      {"CHERRY_PICK_HEAD", "cherry-pick"},
                                      {"REVERT_HEAD", "revert"}}) {
    const auto found = has_pseudo_ref(dir, head);
    if (!found) {
      return failure<std::monostate>(found.error);
    }
    if (found.value) {
      return done(call(dir, {command, "--abort"}));
    }
  }
  return {};
}

result<std::string> file_blob(const std::string& dir, const std::string& rev,
                              const std::string& path) {
  if (rev.empty() || rev.front() == '-') {
    return failure<std::string>("not a revision: \"" + rev + "\"");
  }
  const auto r = run(dir, {"ls-tree", "-z", "--full-tree", rev, "--", path});
  if (!r) {
    return failure<std::string>(r.error);
  }
  // "<mode> blob <id>\t<path>\0"; a directory shows as a tree: no file.
  const auto tab = r.value.find('\t');
  const auto fields = internal::split(r.value.substr(0, tab), ' ');
  if (tab == std::string::npos || fields.size() != 3 || fields[1] != "blob") {
    return success(std::string{});
  }
  return success(fields[2]);
}

result<std::string> worktree_file_blob(const std::string& dir,
                                       const std::string& path) {
  const auto file = fs::path{dir} / path;
  std::error_code ec;
  const auto status = fs::symlink_status(file, ec);
  if (ec || !fs::exists(status) || fs::is_directory(status)) {
    return success(std::string{});
  }
  result<std::string> r;
  if (fs::is_symlink(status)) {
    // git stores a symlink as a blob holding its target.
    r = run(dir, {"hash-object", "--stdin"},
            fs::read_symlink(file, ec).string());
  } else {
    r = run(dir, {"hash-object", "--", path_arg(path)});
  }
  r.value = trim_newlines(std::move(r.value));
  return r;
}

result<bool> worktree_file_changed(const std::string& dir,
                                   const std::string& path,
                                   const std::string& since_rev) {
  const auto before = file_blob(dir, since_rev, path);
  if (!before) {
    return failure<bool>(before.error);
  }
  const auto now = worktree_file_blob(dir, path);
  if (!now) {
    return failure<bool>(now.error);
  }
  return success(before.value != now.value);
}

} // namespace tdd::exec::git
