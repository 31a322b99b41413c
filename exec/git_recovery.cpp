#include "exec/git_recovery.hpp"

#include "exec/git_internal.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace tdd::exec::git {

namespace {

namespace fs = std::filesystem;
using internal::failure;
using internal::success;

fs::path canonical_or_as_is(const fs::path& p) {
  std::error_code ec;
  auto out = fs::weakly_canonical(p, ec);
  return ec ? p.lexically_normal() : out;
}

/// Whether `inner` is strictly below `outer` (both canonical).
bool is_below(const fs::path& inner, const fs::path& outer) {
  const auto rel = inner.lexically_relative(outer);
  return !rel.empty() && rel != "." && *rel.begin() != "..";
}

/// Whether the private git directory `admin` belongs to a worktree under
/// `worktrees_dir`: its `gitdir` file names `<worktree>/.git`.
bool is_ours(const fs::path& admin, const fs::path& worktrees_dir) {
  std::ifstream in{admin / "gitdir"};
  std::string line;
  if (!std::getline(in, line) || line.empty()) {
    return false;
  }
  return is_below(canonical_or_as_is(fs::path{line}.parent_path()),
                  worktrees_dir);
}

/// A `locked` marker of a `git worktree add` that never finished.
bool is_unfinished_add(const fs::path& file) {
  std::ifstream in{file};
  std::string reason;
  std::getline(in, reason);
  return reason == "initializing";
}

/// The `*.lock` files in `dir` (and below it when `recursive`).
void add_locks(const fs::path& dir, bool recursive,
               std::vector<std::string>& out) {
  std::error_code ec;
  const auto take = [&out](const fs::directory_entry& e) {
    std::error_code type_ec;
    if (e.path().extension() == ".lock" && e.is_regular_file(type_ec)) {
      out.push_back(e.path().string());
    }
  };
  if (!recursive) {
    for (fs::directory_iterator it{dir, ec}, end; !ec && it != end;
         it.increment(ec)) {
      take(*it);
    }
    return;
  }
  for (fs::recursive_directory_iterator it{dir, ec}, end; !ec && it != end;
       it.increment(ec)) {
    take(*it);
  }
}

} // namespace

result<std::vector<std::string>>
orchestrator_lock_files(const std::string& repo_root,
                        const std::string& worktrees_dir) {
  const auto common = internal::call(
    repo_root, {"rev-parse", "--path-format=absolute", "--git-common-dir"});
  if (!common.error.empty()) {
    return failure<std::vector<std::string>>(common.error);
  }
  const fs::path git_dir{internal::trim_newlines(common.output)};
  const auto ours = canonical_or_as_is(worktrees_dir);
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it{git_dir / "worktrees", ec}, end;
       !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (!it->is_directory(type_ec) || !is_ours(it->path(), ours)) {
      continue;
    }
    add_locks(it->path(), false, out);
    if (const auto marker = it->path() / "locked"; is_unfinished_add(marker)) {
      out.push_back(marker.string());
    }
  }
  add_locks(git_dir / "refs" / "heads" / "tdd", true, out);
  std::sort(out.begin(), out.end());
  return success(std::move(out));
}

result<> clear_in_progress(const std::string& dir) {
  if (abort_in_progress(dir)) {
    return {};
  }
  for (const char* command : {"rebase", "merge", "cherry-pick", "revert"}) {
    (void)internal::call(dir, {command, "--quit"});
  }
  const auto paths
    = internal::call(dir, {"rev-parse", "--git-path", "rebase-merge",
                           "--git-path", "rebase-apply"});
  if (!paths.error.empty()) {
    return failure<std::monostate>(paths.error);
  }
  for (const auto& line : internal::split(paths.output, '\n')) {
    const fs::path state{line};
    std::error_code ec;
    fs::remove_all(state.is_absolute() ? state : fs::path{dir} / state, ec);
  }
  return abort_in_progress(dir);
}

} // namespace tdd::exec::git
