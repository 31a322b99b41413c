// prepare_worktree on a real repository: where a task, fresh or resumed,
// starts in a worker's worktree. A resumed stage restarts from the commit
// it recorded as its start, whatever the killed attempt left on top.

#include "actors/worker_git.hpp"

#include "exec/git_test_repo.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

using tdd::worktree_start;
using tdd::test::git_test_repo;

namespace fs = std::filesystem;

namespace {

struct fixture : git_test_repo {
  std::string wt = worktree("worker_1");

  static tdd::core::task_spec task() {
    tdd::core::task_spec t;
    t.key = "A";
    t.title = "Task A";
    t.test_file = "tests/A.sh";
    t.impl_file = "lib/A.sh";
    return t;
  }

  /// prepare_worktree for task A in `dir` (default: worker_1's worktree).
  worktree_start prepare(bool resume, const std::string& start_commit = {},
                         const std::string& dir = {}) const {
    auto w = tdd::prepare_worktree(repo, dir.empty() ? wt : dir, "main", task(),
                                   resume, start_commit);
    INFO(w.error);
    REQUIRE(w.error.empty());
    return w;
  }

  /// Writes `path` in the worktree and commits everything.
  std::string commit_file(const std::string& path, const std::string& text,
                          const std::string& subject) const {
    write(path, text, wt);
    return commit(wt, subject);
  }

  std::string tip() const {
    return git_line(repo, {"rev-parse", "refs/heads/tdd/A"});
  }

  /// `git status --porcelain` in the worktree, untracked files included.
  std::string status() const { return git(wt, {"status", "--porcelain"}); }
};

} // namespace

TEST_CASE_FIXTURE(fixture, "prepare: a resumed stage restarts from its "
                           "recorded start, without the killed attempt") {
  const auto fresh = prepare(false);
  CHECK_FALSE(fresh.resumed);
  CHECK(fresh.head == git_line(repo, {"rev-parse", "main"}));
  const auto red = commit_file("tests/A.sh", "the test\n", "red WIP");
  // The run died in green: its WIP commit is there, its verdict is not;
  // the agent of a later attempt left a change and a new file behind.
  commit_file("lib/A.sh", "echo first try\n", "green WIP, never judged");
  write("lib/A.sh", "echo half done\n", wt);
  write("lib/stray.sh", "echo stray\n", wt);

  const auto w = prepare(true, red);
  CHECK(w.resumed);
  CHECK(w.note.empty());
  CHECK(w.head == red);
  CHECK(tip() == red); // the branch itself moved back
  CHECK(status().empty());
  CHECK_FALSE(fs::exists(fs::path{wt} / "lib"));
  CHECK(w.red_blob == git_line(wt, {"rev-parse", red + ":tests/A.sh"}));

  // Resuming again at the same point changes nothing.
  const auto again = prepare(true, red);
  CHECK(again.head == red);
  CHECK(again.note.empty());
}

TEST_CASE_FIXTURE(fixture, "prepare: a commit stage that died while squashing "
                           "resumes at its recorded start") {
  const auto base = prepare(false).head;
  const auto wip = commit_file("tests/A.sh", "the test\n", "refactor WIP");
  // The commit stage's `reset --soft` to the base ran, its commit did not:
  // the tip went back to the base, the work is only in the index.
  git(wt, {"reset", "--soft", "--quiet", base});
  REQUIRE(tip() == base);

  const auto w = prepare(true, wip);
  CHECK(w.note.empty());
  CHECK(w.head == wip);
  CHECK(tip() == wip);
  CHECK(read("tests/A.sh", wt) == "the test\n");
  CHECK(status().empty());
}

TEST_CASE_FIXTURE(fixture, "prepare: a rewritten branch keeps its tip and "
                           "says why") {
  const auto base = prepare(false).head;
  const auto wip = commit_file("tests/A.sh", "the test\n", "refactor WIP");
  // The task commit replaced the WIP chain (a squash on the base), as
  // the commit stage or a rebase in the merge queue leave it.
  git(wt, {"reset", "--soft", "--quiet", base});
  const auto task_commit = commit(wt, "Task A");

  const auto w = prepare(true, wip);
  CHECK(w.head == task_commit);
  CHECK(tip() == task_commit);
  CHECK(w.note.find("is not on tdd/A") != std::string::npos);
}

TEST_CASE_FIXTURE(fixture, "prepare: without a usable recorded commit a "
                           "resume keeps the tip and says why") {
  prepare(false);
  const auto wip = commit_file("tests/A.sh", "the test\n", "red WIP");
  write("lib/stray.sh", "echo stray\n", wt);

  const auto none = prepare(true);
  CHECK(none.head == wip);
  CHECK(none.note.find("no start commit recorded") != std::string::npos);
  CHECK(status().empty()); // still clean

  const auto gone = prepare(true, std::string(40, '0'));
  CHECK(gone.head == wip);
  CHECK(gone.note.find("is gone") != std::string::npos);
}

TEST_CASE_FIXTURE(fixture, "prepare: a branch held by a worktree deleted by "
                           "hand is taken over") {
  // worker_2's worktree exists (it ran A before worker_1 took A over).
  const auto other = worktree("worker_2");
  prepare(false, {}, other);
  prepare(true);
  const auto wip = commit_file("tests/A.sh", "the test\n", "red WIP");
  fs::remove_all(wt);

  const auto w = prepare(true, wip, other);
  CHECK(w.head == wip);
  CHECK(git_line(other, {"rev-parse", "--abbrev-ref", "HEAD"}) == "tdd/A");
  // The stale registration of worker_1 is gone with the directory.
  const auto list = git(repo, {"worktree", "list", "--porcelain"});
  CHECK(list.find("worker_1") == std::string::npos);
}
