// What a killed run leaves in git: lock files of killed git commands, and
// a rebase killed while it wrote its state. Only the orchestrator's own
// worktrees and task branches are cleaned, never the user's.

#include "exec/git_recovery.hpp"

#include "exec/git_test_repo.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using tdd::test::git_test_repo;

namespace git = tdd::exec::git;
namespace fs = std::filesystem;

namespace {

struct fixture : git_test_repo {
  std::string worktrees = repo + "/.orchestrator/worktrees";

  /// Adds a detached worktree at `path` and returns its private git dir.
  std::string add_worktree(const std::string& path) const {
    git(repo, {"worktree", "add", "--quiet", "--detach", path, "main"});
    return git_line(path, {"rev-parse", "--absolute-git-dir"});
  }

  static std::string touch(const std::string& path,
                           const std::string& text = {}) {
    fs::create_directories(fs::path{path}.parent_path());
    std::ofstream{path} << text;
    return path;
  }

  std::vector<std::string> locks() const {
    const auto found = git::orchestrator_lock_files(repo, worktrees);
    INFO(found.error);
    REQUIRE(found.ok());
    return found.value;
  }
};

} // namespace

TEST_CASE_FIXTURE(fixture, "recovery: the locks of killed git commands in "
                           "the orchestrator's worktrees and task branches") {
  const auto ours = add_worktree(worktrees + "/worker_1");
  const auto theirs = add_worktree(base + "/elsewhere");
  CHECK(locks().empty());

  const auto index = touch(ours + "/index.lock");
  const auto head = touch(ours + "/HEAD.lock");
  const auto branch = touch(repo + "/.git/refs/heads/tdd/A.lock");
  // The user's: a git they run may hold these right now.
  touch(repo + "/.git/index.lock");
  touch(repo + "/.git/refs/heads/main.lock");
  touch(theirs + "/index.lock");
  CHECK(locks() == std::vector<std::string>{branch, head, index});
}

TEST_CASE_FIXTURE(fixture, "recovery: a worktree add that never finished "
                           "counts as a leftover lock") {
  const auto ours = add_worktree(worktrees + "/worker_1");
  touch(ours + "/locked", "kept on purpose\n");
  CHECK(locks().empty()); // a lock someone gave a reason for stays
  const auto unfinished = touch(ours + "/locked", "initializing\n");
  CHECK(locks() == std::vector<std::string>{unfinished});
}

TEST_CASE_FIXTURE(fixture, "recovery: a rebase killed while it wrote its "
                           "state is cleared") {
  const auto wt = worktrees + "/worker_1";
  const auto admin = add_worktree(wt);
  // What `git rebase` had written when it was killed: git can neither
  // abort it nor start another rebase.
  touch(admin + "/rebase-merge/interactive");
  REQUIRE_FALSE(git::abort_in_progress(wt).ok());

  const auto cleared = git::clear_in_progress(wt);
  INFO(cleared.error);
  CHECK(cleared.ok());
  CHECK_FALSE(fs::exists(admin + "/rebase-merge"));
  CHECK(git::abort_in_progress(wt).ok());
  CHECK(git(wt, {"status", "--porcelain"}).empty());
}

TEST_CASE_FIXTURE(fixture, "recovery: a rebase stopped on a conflict is "
                           "aborted, the branch as before") {
  const auto wt = worktrees + "/worker_1";
  add_worktree(wt);
  git(wt, {"checkout", "--quiet", "-b", "tdd/A"});
  write("README", "A's line\n", wt);
  const auto before = commit(wt, "A");
  write("README", "main's line\n");
  commit(repo, "main");
  const auto r = git::run(wt, {"-c", "user.name=T", "-c",
                               "user.email=t@example.com", "rebase", "main"});
  REQUIRE_FALSE(r.ok()); // stopped on the conflict

  CHECK(git::clear_in_progress(wt).ok());
  CHECK(git_line(wt, {"rev-parse", "HEAD"}) == before);
  CHECK(git_line(wt, {"rev-parse", "--abbrev-ref", "HEAD"}) == "tdd/A");
}
