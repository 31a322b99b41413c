#include "exec/merge_queue.hpp"

#include "git_test_repo.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace git = tdd::exec::git;
using tdd::exec::merge_request;
using tdd::exec::merge_status;
using tdd::exec::merge_task;

namespace {

struct queue_fixture : tdd::test::git_test_repo {
  std::vector<std::string> verified; ///< worktrees reverify ran in
  bool verify_passes = true;

  /// Starts `key` on branch tdd/KEY in worker `worker`'s worktree and
  /// commits `text` to `file` there, as the commit stage does.
  std::string start_task(const std::string& key, const std::string& worker,
                         const std::string& file, const std::string& text) {
    auto wt = worktree(worker);
    REQUIRE(git::add_branch_worktree(repo, wt, "tdd/" + key, "main").ok());
    write(file, text, wt);
    const auto c = git::commit_all(wt, key + ": work", "", key);
    INFO(c.error);
    REQUIRE(c.ok());
    return wt;
  }

  merge_request request(const std::string& key, bool single = false) {
    merge_request req;
    req.repo = repo;
    req.target = "main";
    req.key = key;
    req.title = "title of " + key;
    req.task_branch = "tdd/" + key;
    req.single_branch = single;
    req.reverify = [this](const std::string& wt) {
      verified.push_back(wt);
      return verify_passes;
    };
    return req;
  }

  std::string tip(const std::string& ref = "main") const {
    return git_line(repo, {"rev-parse", ref});
  }

  /// How many commits on `main` carry `TDD-Task: key`.
  int trailers(const std::string& key) const {
    const auto out = git(
      repo, {"log", "--format=%(trailers:key=TDD-Task,valueonly)", "main"});
    int n = 0;
    for (const auto& line : split_lines(out)) {
      n += line == key ? 1 : 0;
    }
    return n;
  }

  static std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    size_t start = 0;
    for (auto nl = text.find('\n'); nl != std::string::npos;
         nl = text.find('\n', start)) {
      lines.push_back(text.substr(start, nl - start));
      start = nl + 1;
    }
    return lines;
  }
};

} // namespace

TEST_CASE_FIXTURE(queue_fixture, "a task merges exactly once") {
  const auto wt = start_task("K-1", "worker_1", "calc.py", "add\n");
  auto req = request("K-1");
  req.title = "Say \"hi\" $(touch pwned) `x`\nTDD-Task: K-9";
  const auto r = merge_task(req);
  INFO(r.message);
  REQUIRE(r.status == merge_status::merged);
  CHECK(r.target_commit == tip());
  CHECK(verified.empty()); // the target had not moved
  CHECK(trailers("K-1") == 1);
  CHECK(git_line(repo, {"log", "-1", "--format=%s", "main"})
        == "Merge tdd/K-1: Say \"hi\" $(touch pwned) `x` TDD-Task: K-9");
  CHECK(git_line(repo, {"log", "-1", "--format=%(trailers)", "main"}).empty());
  CHECK(git_line(repo, {"log", "-1", "--format=%P", "main"}).size() > 80);
  CHECK_FALSE(git::has_task_trailer(repo, "main", "K-9").value);
  CHECK(read("calc.py") == "add\n"); // the user's clean tree followed
  CHECK(git::is_clean(repo).value);
  CHECK(git::branch_exists(repo, "tdd/K-1").value); // branch kept
  CHECK_FALSE(std::filesystem::exists(repo + "/pwned"));

  const auto again = merge_task(req);
  CHECK(again.status == merge_status::already_merged);
  CHECK(again.target_commit == r.target_commit);
  CHECK(tip() == r.target_commit);
  CHECK(trailers("K-1") == 1);
  CHECK(git::is_clean(wt).value);
}

TEST_CASE_FIXTURE(queue_fixture, "a moved target: rebase, then re-verify") {
  const auto wt = start_task("K-1", "worker_1", "calc.py", "add\n");
  write("other.py", "someone else\n");
  const auto moved = commit(repo, "elsewhere");

  SUBCASE("verify passes: merged on top of the moved target") {
    const auto r = merge_task(request("K-1"));
    INFO(r.message);
    REQUIRE(r.status == merge_status::merged);
    REQUIRE(verified.size() == 1);
    CHECK(std::filesystem::equivalent(verified[0], wt));
    CHECK(git_line(repo, {"rev-parse", "tdd/K-1~1"}) == moved);
    CHECK(git_line(repo, {"rev-parse", "main^1"}) == moved);
    CHECK(read("calc.py") == "add\n");
    CHECK(read("other.py") == "someone else\n");
  }
  SUBCASE("verify fails: nothing merged") {
    verify_passes = false;
    const auto r = merge_task(request("K-1"));
    CHECK(r.status == merge_status::verify_failed_after_rebase);
    CHECK(tip() == moved);
    CHECK(trailers("K-1") == 0);
    CHECK(git::is_clean(wt).value);
  }
}

TEST_CASE_FIXTURE(queue_fixture, "a conflict blocks, and branch and trees are kept") {
  const auto wt = start_task("K-1", "worker_1", "README", "task's\n");
  const auto task = tip("tdd/K-1");
  write("README", "target's\n");
  const auto moved = commit(repo, "conflicting");
  const auto r = merge_task(request("K-1"));
  CHECK(r.status == merge_status::merge_conflict);
  CHECK(r.conflicts == std::vector<std::string>{"README"});
  CHECK(tip() == moved);
  CHECK(tip("tdd/K-1") == task);
  CHECK(git::current_branch(wt).value == "tdd/K-1");
  CHECK(git::is_clean(wt).value);
  CHECK(git::rebasing_branch(wt).value.empty());
  CHECK(git::is_clean(repo).value);
  CHECK(read("README") == "target's\n");
  CHECK(verified.empty());
}

TEST_CASE_FIXTURE(queue_fixture, "--single-branch lands linear commits") {
  start_task("K-1", "worker_1", "a.py", "a\n");
  start_task("K-2", "worker_2", "b.py", "b\n"); // branched before K-1 lands
  REQUIRE(merge_task(request("K-1", true)).status == merge_status::merged);
  const auto r = merge_task(request("K-2", true));
  INFO(r.message);
  REQUIRE(r.status == merge_status::merged);
  CHECK(verified.size() == 1); // K-2 was rebased onto K-1
  CHECK(git_line(repo, {"rev-list", "--merges", "main"}).empty());
  CHECK(git_line(repo, {"log", "--format=%s", "main"})
        == "K-2: work\nK-1: work\ninitial");
  CHECK(git_line(repo, {"branch", "--list", "tdd/*"}).empty());
  CHECK(trailers("K-1") == 1);
  CHECK(trailers("K-2") == 1);
  CHECK(read("a.py") == "a\n");
  CHECK(read("b.py") == "b\n");
  CHECK(merge_task(request("K-2", true)).status
        == merge_status::already_merged);
}

TEST_CASE_FIXTURE(queue_fixture, "the user's work tree is never harmed") {
  start_task("K-1", "worker_1", "calc.py", "add\n");
  const auto before = tip();

  SUBCASE("checked-out target with uncommitted changes: refused") {
    write("README", "my uncommitted work\n");
    const auto r = merge_task(request("K-1"));
    CHECK(r.status == merge_status::target_dirty);
    CHECK(r.message.find("commit or stash") != std::string::npos);
    CHECK(tip() == before);
    CHECK(read("README") == "my uncommitted work\n");
    CHECK_FALSE(std::filesystem::exists(repo + "/calc.py"));
    CHECK(trailers("K-1") == 0);
  }
  SUBCASE("an untracked file where the task puts one: refused") {
    write("calc.py", "mine, untracked\n");
    const auto r = merge_task(request("K-1"));
    CHECK(r.status == merge_status::target_dirty);
    CHECK(tip() == before);
    CHECK(read("calc.py") == "mine, untracked\n");
    CHECK(trailers("K-1") == 0);
  }
  SUBCASE("the task branch in the user's tree is never rebased there") {
    REQUIRE(git::remove_worktree(repo, worktree("worker_1")).ok());
    git(repo, {"checkout", "--quiet", "tdd/K-1"});
    const auto side = worktree("other");
    REQUIRE(git::add_worktree(repo, side, "main").ok());
    write("other.py", "moved\n", side);
    git(repo, {"update-ref", "refs/heads/main", commit(side, "moved")});
    const auto r = merge_task(request("K-1"));
    CHECK(r.status == merge_status::error);
    CHECK(r.message.find("your work tree") != std::string::npos);
    CHECK(git::current_branch(repo).value == "tdd/K-1");
    CHECK(tip("tdd/K-1") == git_line(repo, {"rev-parse", "HEAD"}));
    CHECK(git_line(repo, {"rev-parse", "HEAD~1"}) == before);
    CHECK(read("calc.py") == "add\n");
    CHECK(verified.empty());
  }
  SUBCASE("target not checked out: only the ref moves") {
    git(repo, {"checkout", "--quiet", "-b", "feature"});
    write("README", "dirty on feature\n");
    const auto r = merge_task(request("K-1"));
    REQUIRE(r.status == merge_status::merged);
    CHECK(tip() == r.target_commit);
    CHECK(git::current_branch(repo).value == "feature");
    CHECK(read("README") == "dirty on feature\n");
    CHECK_FALSE(std::filesystem::exists(repo + "/calc.py"));
  }
}

TEST_CASE_FIXTURE(queue_fixture, "crash leftovers are recovered") {
  SUBCASE("a rebase interrupted in the task worktree") {
    const auto wt = start_task("K-1", "worker_1", "calc.py", "add\n");
    git(repo, {"branch", "side", "main"});
    write("other.py", "moved\n");
    const auto moved = commit(repo, "moved");
    git(wt, {"checkout", "--quiet", "--detach", "side"});
    write("calc.py", "side\n", wt);
    commit(wt, "side conflict");
    git(repo, {"branch", "-f", "side", git_line(wt, {"rev-parse", "HEAD"})});
    git(wt, {"checkout", "--quiet", "tdd/K-1"});
    CHECK_FALSE(git::run(wt, {"-c", "user.name=t", "-c", "user.email=t@t",
                              "rebase", "side"})
                  .ok()); // stopped on a conflict, then "crashed"
    const auto r = merge_task(request("K-1"));
    INFO(r.message);
    REQUIRE(r.status == merge_status::merged);
    CHECK(git_line(repo, {"rev-parse", "main^1"}) == moved);
    CHECK(git::current_branch(wt).value == "tdd/K-1");
    CHECK(git::is_clean(wt).value);
  }
  SUBCASE("no worktree has the branch: a scratch one, removed after") {
    const auto wt = start_task("K-1", "worker_1", "calc.py", "add\n");
    REQUIRE(git::remove_worktree(repo, wt).ok());
    std::filesystem::create_directories(worktree("_merge") + "/stale");
    write("other.py", "moved\n");
    commit(repo, "moved");
    const auto r = merge_task(request("K-1"));
    INFO(r.message);
    REQUIRE(r.status == merge_status::merged);
    REQUIRE(verified.size() == 1);
    CHECK(verified[0].find("_merge") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(worktree("_merge")));
    CHECK(git::list_worktrees(repo).value.size() == 1);
  }
  SUBCASE("rebased before a crash, never re-verified: verified now") {
    const auto base = tip();
    const auto wt = start_task("K-1", "worker_1", "calc.py", "add\n");
    write("other.py", "moved\n");
    commit(repo, "moved");
    git(wt, {"-c", "user.name=t", "-c", "user.email=t@t", "rebase", "--quiet",
             "main"});
    auto req = request("K-1");
    req.verified_base = base;
    verify_passes = false;
    CHECK(merge_task(req).status == merge_status::verify_failed_after_rebase);
    CHECK(verified.size() == 1);
    req.verified_base = tip();
    CHECK(merge_task(req).status == merge_status::merged);
    CHECK(verified.size() == 1);
  }
}
