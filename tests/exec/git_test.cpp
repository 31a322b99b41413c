#include "exec/git.hpp"

#include "git_test_repo.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace git = tdd::exec::git;
using tdd::test::git_test_repo;

namespace {

/// `count` trailer values `TDD-Task: key` reachable from `rev`.
int trailer_count(const std::string& dir, const std::string& rev,
                  const std::string& key) {
  const auto out = git_test_repo::git(
    dir, {"log", "--format=%(trailers:key=TDD-Task,valueonly)", rev});
  int n = 0;
  for (size_t at = out.find(key + "\n"); at != std::string::npos;
       at = out.find(key + "\n", at + 1)) {
    n += at == 0 || out[at - 1] == '\n' ? 1 : 0;
  }
  return n;
}

} // namespace

TEST_CASE_FIXTURE(git_test_repo, "git queries: root, branch, commits") {
  std::filesystem::create_directories(repo + "/sub");
  const auto root = git::top_level(repo + "/sub");
  REQUIRE(root.ok());
  CHECK(std::filesystem::equivalent(root.value, repo));
  CHECK(git::current_branch(repo).value == "main");
  const auto head = git::resolve_commit(repo, "main");
  REQUIRE(head.ok());
  CHECK(head.value.size() >= 40);
  CHECK(git::resolve_commit(repo, "HEAD").value == head.value);
  const auto missing = git::resolve_commit(repo, "no-such-branch");
  CHECK_FALSE(missing.ok());
  CHECK(missing.error.find("no-such-branch") != std::string::npos);
  CHECK_FALSE(git::resolve_commit(repo, "--all").ok());

  REQUIRE(git::create_branch(repo, "tdd/K-1", "main").ok());
  CHECK(git::branch_exists(repo, "tdd/K-1").value);
  CHECK_FALSE(git::create_branch(repo, "tdd/K-1", "main").ok());
  const auto second = commit(repo, "second");
  CHECK(git::is_ancestor(repo, head.value, second).value);
  CHECK_FALSE(git::is_ancestor(repo, second, head.value).value);
  CHECK(git::merge_base(repo, "tdd/K-1", "main").value == head.value);
  REQUIRE(git::delete_branch(repo, "tdd/K-1").ok());
  CHECK_FALSE(git::branch_exists(repo, "tdd/K-1").value);

  git(repo, {"checkout", "--quiet", "--detach"});
  CHECK(git::current_branch(repo).value.empty());
}

TEST_CASE_FIXTURE(git_test_repo, "failures carry git's own message") {
  const auto r = git::run(repo, {"rev-parse", "--verify", "nope^{commit}"});
  CHECK_FALSE(r.ok());
  CHECK(r.error.find("git rev-parse: exit") == 0);
  CHECK(r.error.find("fatal") != std::string::npos);
  const auto outside = git::current_branch(home);
  CHECK_FALSE(outside.ok());
  CHECK(outside.error.find("not a git repository") != std::string::npos);
}

TEST_CASE_FIXTURE(git_test_repo, "is_clean ignores untracked files only") {
  CHECK(git::is_clean(repo).value);
  write("new.txt", "untracked\n");
  CHECK(git::is_clean(repo).value);
  write("README", "edited\n");
  CHECK_FALSE(git::is_clean(repo).value);
  git(repo, {"add", "README"});
  CHECK_FALSE(git::is_clean(repo).value);
}

TEST_CASE_FIXTURE(git_test_repo, "update_ref is a compare-and-swap") {
  const auto first = git_line(repo, {"rev-parse", "HEAD"});
  const auto second = commit(repo, "second");
  CHECK(git::update_ref(repo, "refs/heads/side", first, "").ok());
  CHECK_FALSE(git::update_ref(repo, "refs/heads/side", second, "").ok());
  CHECK_FALSE(git::update_ref(repo, "refs/heads/side", second, second).ok());
  CHECK(git::resolve_commit(repo, "side").value == first);
  CHECK(git::update_ref(repo, "refs/heads/side", second, first).ok());
  CHECK(git::resolve_commit(repo, "side").value == second);
}

TEST_CASE_FIXTURE(git_test_repo, "worktrees: add, list, find, reset, remove") {
  const auto head = git_line(repo, {"rev-parse", "HEAD"});
  const auto w1 = worktree("worker_1");
  const auto w2 = worktree("worker_2");
  REQUIRE(git::add_worktree(repo, w1, "main").ok());
  REQUIRE(git::add_branch_worktree(repo, w2, "tdd/K-2", "main").ok());
  const auto all = git::list_worktrees(repo);
  REQUIRE(all.ok());
  REQUIRE(all.value.size() == 3);
  CHECK(std::filesystem::equivalent(all.value[0].path, repo));
  CHECK(all.value[0].branch == "main");
  CHECK(all.value[1].branch.empty());
  CHECK(all.value[1].head == head);
  CHECK(all.value[2].branch == "tdd/K-2");
  CHECK(std::filesystem::equivalent(git::main_worktree(w2).value, repo));
  const auto holder = git::worktree_of_branch(repo, "tdd/K-2");
  REQUIRE(holder.value.has_value());
  CHECK(std::filesystem::equivalent(*holder.value, w2));
  CHECK_FALSE(git::worktree_of_branch(repo, "nope").value.has_value());
  CHECK(git::is_clean(repo).value);

  write("README", "changed\n", w2);
  write("junk/file", "x", w2);
  REQUIRE(git::reset_hard(w2, head).ok());
  CHECK(read("README", w2) == "hello\n");
  CHECK_FALSE(std::filesystem::exists(w2 + "/junk"));

  REQUIRE(git::detach_head(w2).ok());
  CHECK(git::current_branch(w2).value.empty());
  REQUIRE(git::remove_worktree(repo, w2).ok());
  CHECK_FALSE(std::filesystem::exists(w2));
  std::filesystem::remove_all(w1); // as if a crash lost it
  CHECK(git::list_worktrees(repo).value[1].prunable);
  REQUIRE(git::prune_worktrees(repo).ok());
  CHECK(git::list_worktrees(repo).value.size() == 1);
}

TEST_CASE_FIXTURE(git_test_repo, "file blobs tell whether a file changed") {
  const auto start = git_line(repo, {"rev-parse", "HEAD"});
  const auto blob = git::file_blob(repo, start, "README");
  REQUIRE(blob.ok());
  CHECK(blob.value == git_line(repo, {"rev-parse", "HEAD:README"}));
  CHECK(git::worktree_file_blob(repo, "README").value == blob.value);
  CHECK(git::file_blob(repo, start, "tests/t.py").value.empty());
  CHECK(git::worktree_file_blob(repo, "tests/t.py").value.empty());
  CHECK_FALSE(git::worktree_file_changed(repo, "README", start).value);
  CHECK_FALSE(git::worktree_file_changed(repo, "tests/t.py", start).value);

  write("tests/t.py", "def test(): assert False\n"); // untracked, new
  CHECK(git::worktree_file_changed(repo, "tests/t.py", start).value);
  CHECK(git::file_blob(repo, start, "tests").value.empty()); // no dir
  const auto red_end = commit(repo, "red");
  const auto red_blob = git::file_blob(repo, red_end, "tests/t.py").value;
  CHECK(git::worktree_file_blob(repo, "tests/t.py").value == red_blob);
  write("tests/t.py", "def test(): assert True\n");
  CHECK(git::worktree_file_blob(repo, "tests/t.py").value != red_blob);
  CHECK(git::worktree_file_changed(repo, "tests/t.py", red_end).value);
  std::filesystem::remove(repo + "/README");
  CHECK(git::worktree_file_changed(repo, "README", red_end).value);
  CHECK_FALSE(git::file_blob(repo, "nope", "README").ok());
}

TEST_CASE_FIXTURE(git_test_repo, "commits work without any git identity") {
  write("calc.py", "x = 1\n");
  const auto c = git::commit_all(repo, "K-1: add", "", "K-1");
  INFO(c.error);
  REQUIRE(c.ok());
  CHECK(c.value == git_line(repo, {"rev-parse", "HEAD"}));
  CHECK(git_line(repo, {"log", "-1", "--format=%an <%ae>|%cn <%ce>"})
        == "tdd-orchestrator <tdd-orchestrator@localhost>|"
           "tdd-orchestrator <tdd-orchestrator@localhost>");
  CHECK(git::is_clean(repo).value);

  // A configured identity wins over the fallback, the environment over both.
  git(repo, {"config", "user.name", "Dev"});
  git(repo, {"config", "user.email", "dev@example.com"});
  write("calc.py", "x = 2\n");
  REQUIRE(git::commit_all(repo, "two", "", "K-2").ok());
  CHECK(git_line(repo, {"log", "-1", "--format=%an <%ae>"})
        == "Dev <dev@example.com>");
  env.set("GIT_AUTHOR_NAME", "Env Author");
  write("calc.py", "x = 3\n");
  REQUIRE(git::commit_all(repo, "three", "", "K-3").ok());
  CHECK(git_line(repo, {"log", "-1", "--format=%an|%cn"}) == "Env Author|Dev");

  const auto nothing = git::commit_all(repo, "empty", "", "K-4");
  CHECK_FALSE(nothing.ok());
  CHECK(nothing.error.find("nothing to commit") != std::string::npos);
  write("calc.py", "x = 4\n");
  CHECK_FALSE(git::commit_all(repo, "bad", "", "K 5\nTDD-Task: X").ok());
}

TEST_CASE_FIXTURE(git_test_repo, "task text in commit messages is literal") {
  const std::string title
    = "# Fix \"quotes\" 'single' $(touch pwned) `touch pwned2` $HOME\n"
      "TDD-Task: FORGED\r\n\\n end";
  const std::string body = "goal: $(rm -rf /)\n\nTDD-Task: FORGED-TOO";
  write("calc.py", "x = 1\n");
  REQUIRE(git::commit_all(repo, title, body, "K-1").ok());
  CHECK(git_line(repo, {"log", "-1", "--format=%s"}) == git::one_line(title));
  CHECK(git::one_line(title)
        == "# Fix \"quotes\" 'single' $(touch pwned) `touch pwned2` $HOME "
           "TDD-Task: FORGED \\n end");
  CHECK(git(repo, {"log", "-1", "--format=%B"})
        == git::task_commit_message(title, body, "K-1") + "\n");
  CHECK(git::task_commit_message("s", "", "K-1") == "s\n\nTDD-Task: K-1\n");
  CHECK(
    git_line(repo, {"log", "-1", "--format=%(trailers:key=TDD-Task,valueonly)"})
    == "K-1");
  CHECK_FALSE(git::has_task_trailer(repo, "HEAD", "FORGED").value);
  CHECK_FALSE(git::has_task_trailer(repo, "HEAD", "FORGED-TOO").value);
  CHECK_FALSE(std::filesystem::exists(repo + "/pwned"));
  CHECK_FALSE(std::filesystem::exists(repo + "/pwned2"));
}

TEST_CASE_FIXTURE(git_test_repo, "has_task_trailer matches keys exactly") {
  write("a", "1");
  REQUIRE(git::commit_all(repo, "task ten", "", "KEY-10").ok());
  commit(repo, "mentions TDD-Task: KEY-1 in the subject");
  CHECK(git::has_task_trailer(repo, "main", "KEY-10").value);
  CHECK_FALSE(git::has_task_trailer(repo, "main", "KEY-1").value);
  CHECK_FALSE(git::has_task_trailer(repo, "main~2", "KEY-10").value);
  CHECK(trailer_count(repo, "main", "KEY-10") == 1);
  CHECK_FALSE(git::has_task_trailer(repo, "main", "bad key").ok());
}

TEST_CASE_FIXTURE(git_test_repo, "rebase: clean, or conflict aborted") {
  const auto w = worktree("worker_1");
  REQUIRE(git::add_branch_worktree(repo, w, "tdd/K-1", "main").ok());
  write("calc.py", "task\n", w);
  const auto task = git::commit_all(w, "task", "", "K-1").value;
  write("other.py", "other\n");
  const auto moved = commit(repo, "unrelated");
  const auto clean = git::rebase(w, "main");
  INFO(clean.error);
  REQUIRE(clean.ok());
  CHECK_FALSE(clean.value.conflict);
  CHECK(git_line(w, {"rev-parse", "HEAD~1"}) == moved);

  const auto rebased = git_line(w, {"rev-parse", "HEAD"});
  write("calc.py", "conflicting\n");
  commit(repo, "conflicting");
  const auto conflict = git::rebase(w, "main");
  REQUIRE(conflict.ok());
  CHECK(conflict.value.conflict);
  CHECK(conflict.value.paths == std::vector<std::string>{"calc.py"});
  CHECK(git::current_branch(w).value == "tdd/K-1");
  CHECK(git_line(w, {"rev-parse", "HEAD"}) == rebased);
  CHECK(git::is_clean(w).value);
  CHECK(git::rebasing_branch(w).value.empty());
  CHECK(task != rebased);
}

TEST_CASE_FIXTURE(git_test_repo, "a rebase left by a crash is found and "
                                 "aborted") {
  const auto w = worktree("worker_1");
  REQUIRE(git::add_branch_worktree(repo, w, "tdd/K-1", "main").ok());
  write("calc.py", "task\n", w);
  const auto task = git::commit_all(w, "task", "", "K-1").value;
  write("calc.py", "conflicting\n");
  commit(repo, "conflicting");
  CHECK_FALSE(
    git::run(w, {"-c", "user.name=t", "-c", "user.email=t@t", "rebase", "main"})
      .ok());
  CHECK(git::rebasing_branch(w).value == "tdd/K-1");
  const auto holder = git::worktree_of_branch(repo, "tdd/K-1");
  REQUIRE(holder.value.has_value());
  CHECK(std::filesystem::equivalent(*holder.value, w));
  REQUIRE(git::abort_in_progress(w).ok());
  CHECK(git::rebasing_branch(w).value.empty());
  CHECK(git::current_branch(w).value == "tdd/K-1");
  CHECK(git_line(w, {"rev-parse", "HEAD"}) == task);
  CHECK(git::is_clean(w).value);
  CHECK(git::abort_in_progress(w).ok()); // nothing left: a no-op
}

TEST_CASE_FIXTURE(git_test_repo, "merges: --no-ff, conflicts, descendants") {
  const auto w = worktree("_merge");
  REQUIRE(git::create_branch(repo, "tdd/K-1", "main").ok());
  REQUIRE(git::add_worktree(repo, w, "main").ok());
  git(repo, {"checkout", "--quiet", "tdd/K-1"});
  write("calc.py", "task\n");
  const auto task = git::commit_all(repo, "task", "", "K-1").value;
  git(repo, {"checkout", "--quiet", "main"});
  const auto base = git_line(repo, {"rev-parse", "main"});

  const auto subject = std::string{"Merge tdd/K-1: say \"hi\" $(x)"};
  REQUIRE(git::merge_no_ff(w, "tdd/K-1", subject).ok());
  CHECK(git_line(w, {"log", "-1", "--format=%P|%s"})
        == base + " " + task + "|" + subject);

  const auto merge = git::merge_descendant(repo, base, task, subject);
  REQUIRE(merge.ok());
  CHECK(git_line(repo, {"log", "-1", "--format=%P|%B", merge.value})
        == base + " " + task + "|" + subject);
  CHECK(git_line(repo, {"rev-parse", merge.value + "^{tree}"})
        == git_line(repo, {"rev-parse", task + "^{tree}"}));
  CHECK(git_line(repo, {"rev-parse", "main"}) == base); // no ref moved
  // Swapped on purpose: base does not descend from task.
  const auto swapped = git::merge_descendant(
    repo, task, base, subject); // NOLINT(readability-suspicious-call-argument)
  CHECK_FALSE(swapped.ok());

  git(w, {"checkout", "--quiet", "--detach", "main"});
  write("calc.py", "other\n", w);
  commit(w, "conflicting");
  const auto conflict = git::merge_no_ff(w, "tdd/K-1", subject);
  REQUIRE(conflict.ok());
  CHECK(conflict.value.conflict);
  CHECK(conflict.value.paths == std::vector<std::string>{"calc.py"});
  CHECK(git::is_clean(w).value);
  CHECK(read("calc.py", w) == "other\n");
}

TEST_CASE_FIXTURE(git_test_repo, "advance_branch never loses user changes") {
  const auto old = git_line(repo, {"rev-parse", "main"});
  REQUIRE(git::create_branch(repo, "side", "main").ok());
  git(repo, {"checkout", "--quiet", "side"});
  write("calc.py", "new\n");
  const auto next = commit(repo, "next");
  git(repo, {"checkout", "--quiet", "main"});

  SUBCASE("not checked out: the ref moves, no tree is touched") {
    git(repo, {"checkout", "--quiet", "side"});
    git(repo, {"branch", "--quiet", "-f", "main", old});
    write("README", "user edit\n");
    CHECK_FALSE(git::advance_branch(repo, "main", next, next).ok());
    REQUIRE(git::advance_branch(repo, "main", old, next).value
            == git::advance_outcome::advanced);
    CHECK(git_line(repo, {"rev-parse", "main"}) == next);
    CHECK(read("README") == "user edit\n");
  }
  SUBCASE("checked out and clean: fast-forwarded with its files") {
    REQUIRE(git::advance_branch(repo, "main", old, next).value
            == git::advance_outcome::advanced);
    CHECK(git_line(repo, {"rev-parse", "main"}) == next);
    CHECK(read("calc.py") == "new\n");
    CHECK(git::is_clean(repo).value);
  }
  SUBCASE("checked out and dirty: refused, untouched") {
    write("README", "user edit\n");
    CHECK(git::advance_branch(repo, "main", old, next).value
          == git::advance_outcome::tree_dirty);
    CHECK(git_line(repo, {"rev-parse", "main"}) == old);
    CHECK(read("README") == "user edit\n");
  }
  SUBCASE("an untracked file in the way: refused, untouched") {
    write("calc.py", "mine\n");
    CHECK(git::advance_branch(repo, "main", old, next).value
          == git::advance_outcome::tree_dirty);
    CHECK(git_line(repo, {"rev-parse", "main"}) == old);
    CHECK(read("calc.py") == "mine\n");
  }
}
