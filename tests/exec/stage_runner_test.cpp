#include "exec/stage_runner.hpp"

#include "exec/stage_runner_fixture.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace tdd;
using core::stage;
using test::git_test_repo;

namespace {

/// Commits in `from..to` on the first-parent line.
int commits_between(const std::string& dir, const std::string& from,
                    const std::string& to) {
  return std::stoi(git_test_repo::git_line(
    dir, {"rev-list", "--count", "--first-parent", from + ".." + to}));
}

std::string tree_of(const std::string& dir, const std::string& rev) {
  return git_test_repo::git_line(dir, {"rev-parse", rev + "^{tree}"});
}

} // namespace

TEST_CASE("stage runner: red passes with a failing test and commits it") {
  test::stage_fixture f;
  const auto out = f.run(stage::red, "good");
  INFO(out.message);
  CHECK(out.verdict.passed);
  CHECK(out.verdict.reason.empty());
  CHECK_FALSE(out.verdict.kind.has_value());
  REQUIRE(out.agent.has_value());
  CHECK(out.agent->status == exec::agent_report::outcome::done);
  CHECK(out.verify_ran);
  CHECK_FALSE(out.verify.ok());
  // The work is a WIP commit on the task branch; the tree is clean there.
  CHECK(out.head_commit == f.head());
  CHECK(out.head_commit != f.base_commit);
  CHECK(git_test_repo::git_line(f.worktree, {"symbolic-ref", "HEAD"})
        == "refs/heads/tdd/CALC-1");
  CHECK(f.is_clean());
  CHECK(out.test_blob
        == exec::git::file_blob(f.worktree, "HEAD", "test_calc.sh").value);
  const auto log = f.read_log(stage::red);
  CHECK(log.find("== agent red attempt 1 ==") != std::string::npos);
  CHECK(log.find("== verify ==") != std::string::npos);
  CHECK(log.find("$ sh test_calc.sh") != std::string::npos);
  CHECK(log.find("== result: passed ==") != std::string::npos);
}

TEST_CASE("stage runner: red fails with red_test_passes and resets the tree") {
  test::stage_fixture f;
  const auto out = f.run(stage::red, "passing-test");
  CHECK_FALSE(out.verdict.passed);
  CHECK(out.verdict.reason == core::reason::red_test_passes);
  CHECK(out.verdict.kind == core::failure_kind::task);
  CHECK(out.verify_ran);
  CHECK(out.verify.ok());
  CHECK(out.head_commit == f.base_commit);
  CHECK(f.head() == f.base_commit);
  CHECK(f.is_clean());
  CHECK(out.message.find("red_test_passes") != std::string::npos);
  CHECK(out.test_blob.empty());
}

TEST_CASE("stage runner: red fails with red_test_unchanged and verify does "
          "not run") {
  test::stage_fixture f;
  auto start = f.base_commit;
  std::string mode = "noop";
  std::string why = "test_calc.sh did not change";
  SUBCASE("the agent does nothing") {}
  SUBCASE("the agent deletes the test file") {
    f.repo.write("test_calc.sh", "exit 1\n", f.worktree);
    start = git_test_repo::commit(f.worktree, "an old test");
    mode = "delete-test";
    why = "test_calc.sh does not exist";
  }
  const auto out = f.run(stage::red, mode);
  CHECK_FALSE(out.verdict.passed);
  CHECK(out.verdict.reason == core::reason::red_test_unchanged);
  CHECK(out.verdict.kind == core::failure_kind::task);
  CHECK(out.message.find(why) != std::string::npos);
  CHECK_FALSE(out.verify_ran);
  CHECK(out.test_blob.empty());
  CHECK(f.head() == start);
  CHECK(f.is_clean());
  CHECK(f.read_log(stage::red).find("== verify") == std::string::npos);
}

TEST_CASE("stage runner: green passes with verify and an untouched test") {
  test::stage_fixture f;
  REQUIRE(f.run(stage::red, "good").verdict.passed);
  const auto red_head = f.head();
  const auto out = f.run(stage::green, "good");
  INFO(out.message);
  CHECK(out.verdict.passed);
  CHECK(out.verify.ok());
  CHECK(out.head_commit == f.head());
  CHECK(out.head_commit != red_head);
  CHECK(f.is_clean());
  CHECK(f.repo.read("calc.sh", f.worktree).find("add()") != std::string::npos);
}

TEST_CASE("stage runner: green_modified_test when the agent edits the test") {
  test::stage_fixture f;
  REQUIRE(f.run(stage::red, "good").verdict.passed);
  const auto red_head = f.head();
  const auto out = f.run(stage::green, "edit-test");
  CHECK_FALSE(out.verdict.passed);
  CHECK(out.verdict.reason == core::reason::green_modified_test);
  CHECK(out.verdict.kind == core::failure_kind::task);
  CHECK_FALSE(out.verify_ran); // a pass would prove nothing
  CHECK(f.head() == red_head);
  CHECK(f.is_clean());
  CHECK_FALSE(f.in_worktree("calc.sh"));
}

TEST_CASE("stage runner: green_verify_failed when the implementation is "
          "wrong") {
  test::stage_fixture f;
  REQUIRE(f.run(stage::red, "good").verdict.passed);
  const auto red_head = f.head();
  const auto out = f.run(stage::green, "bad-impl");
  CHECK_FALSE(out.verdict.passed);
  CHECK(out.verdict.reason == core::reason::green_verify_failed);
  CHECK(out.verify_ran);
  CHECK(out.verify.output.find("FAIL: add 2 3") != std::string::npos);
  CHECK(f.head() == red_head);
  CHECK(f.is_clean());
}

TEST_CASE("stage runner: verify passes or fails with the output of "
          "verify_all") {
  test::stage_fixture f;
  SUBCASE("pass") {
    f.pass_red_and_green("good");
    const auto green_head = f.head();
    const auto out = f.run(stage::verify, "noop");
    CHECK(out.verdict.passed);
    CHECK_FALSE(out.agent.has_value());
    CHECK(out.head_commit == green_head);
    CHECK(f.read_log(stage::verify).find("$ sh test_all.sh")
          != std::string::npos);
  }
  SUBCASE("fail") {
    f.pass_red_and_green("partial");
    const auto out = f.run(stage::verify, "noop");
    CHECK_FALSE(out.verdict.passed);
    CHECK(out.verdict.reason == core::reason::verify_failed);
    CHECK(out.verdict.kind == core::failure_kind::task);
    CHECK(out.verify.output.find("FAIL: sub 5 3") != std::string::npos);
  }
  SUBCASE("verify_all defaults to verify") {
    f.task.verify_all.clear();
    f.pass_red_and_green("partial");
    CHECK(f.run(stage::verify, "noop").verdict.passed);
  }
  CHECK(f.is_clean());
}

TEST_CASE("stage runner: fix after a failing verify makes it pass") {
  test::stage_fixture f;
  f.pass_red_and_green("partial");
  REQUIRE_FALSE(f.run(stage::verify, "noop").verdict.passed);
  REQUIRE_FALSE(f.failure_output.empty());
  const auto out = f.run(stage::fix, "partial");
  INFO(out.message);
  CHECK(out.verdict.passed);
  CHECK(out.verify.ok());
  CHECK(out.head_commit == f.head());
  CHECK(f.is_clean());
  // The agent got the failure in $TDD_FAILURE_FILE, next to the prompt.
  const auto failure = f.spied("failure");
  CHECK(failure.find("FAIL: sub 5 3") != std::string::npos);
  CHECK(f.spied("env").find("TDD_STAGE=fix\n") != std::string::npos);
  CHECK(f.spied("prompt").find("FAIL: sub 5 3") != std::string::npos);
  CHECK(f.read_log(stage::fix).find("== verify_all ==") != std::string::npos);
}

TEST_CASE("stage runner: fix that fails verify_all again or edits the test") {
  test::stage_fixture f;
  f.pass_red_and_green("partial");
  REQUIRE_FALSE(f.run(stage::verify, "noop").verdict.passed);
  const auto green_head = f.head();
  SUBCASE("verify_all still fails") {
    const auto out = f.run(stage::fix, "bad-impl");
    CHECK(out.verdict.reason == core::reason::verify_failed);
    CHECK(out.verdict.kind == core::failure_kind::task);
  }
  SUBCASE("test file changed") {
    f.red_blob = "0000000000000000000000000000000000000000";
    const auto out = f.run(stage::fix, "good");
    CHECK(out.verdict.reason == core::reason::fix_modified_test);
    CHECK(out.verdict.kind == core::failure_kind::task);
    CHECK_FALSE(out.verify_ran);
  }
  CHECK(f.head() == green_head);
  CHECK(f.is_clean());
}

TEST_CASE("stage runner: refactor keeps work that passes verify_all") {
  test::stage_fixture f;
  f.pass_red_and_green();
  REQUIRE(f.run(stage::verify, "noop").verdict.passed);
  const auto verified = f.head();
  const auto out = f.run(stage::refactor, "good");
  CHECK(out.verdict.passed);
  CHECK(out.verdict.reason.empty());
  CHECK(out.head_commit == f.head());
  CHECK(out.head_commit != verified);
  CHECK(git_test_repo::git_line(f.worktree, {"rev-parse", "HEAD~1"})
        == verified);
  CHECK(f.in_worktree("NOTES"));
  CHECK(f.is_clean());
}

TEST_CASE("stage runner: refactor revert restores the tree exactly") {
  test::stage_fixture f;
  f.pass_red_and_green();
  REQUIRE(f.run(stage::verify, "noop").verdict.passed);
  const auto verified = f.head();
  const auto calc = f.repo.read("calc.sh", f.worktree);
  const auto out = f.run(stage::refactor, "break");
  INFO(out.message);
  CHECK(out.verdict.passed);
  CHECK(out.verdict.reason == core::reason::refactor_reverted);
  CHECK(out.verdict.restore_tree);
  CHECK_FALSE(out.verify.ok());
  CHECK(out.head_commit == verified);
  CHECK(f.head() == verified);
  CHECK(f.is_clean()); // junk/ is gone, README is back
  CHECK_FALSE(f.in_worktree("junk"));
  CHECK(f.in_worktree("README"));
  CHECK(f.repo.read("calc.sh", f.worktree) == calc);
  CHECK(f.read_log(stage::refactor)
          .find("== result: passed: "
                "refactor_reverted ==")
        != std::string::npos);
}

TEST_CASE("stage runner: commit makes exactly one task commit with the "
          "trailer") {
  test::stage_fixture f;
  f.pass_red_and_green("partial");
  REQUIRE_FALSE(f.run(stage::verify, "noop").verdict.passed);
  REQUIRE(f.run(stage::fix, "partial").verdict.passed);
  REQUIRE(f.run(stage::refactor, "good").verdict.passed);
  const auto final_tree = tree_of(f.worktree, "HEAD");
  CHECK(commits_between(f.worktree, f.base_commit, "HEAD") == 4);
  const auto out = f.run(stage::commit, "noop");
  INFO(out.message);
  CHECK(out.verdict.passed);
  CHECK_FALSE(out.agent.has_value());
  CHECK(out.head_commit == f.head());
  CHECK(commits_between(f.worktree, f.base_commit, "tdd/CALC-1") == 1);
  CHECK(git_test_repo::git_line(f.worktree, {"rev-parse", "HEAD~1"})
        == f.base_commit);
  CHECK(tree_of(f.worktree, "HEAD") == final_tree);
  CHECK(git_test_repo::git(f.worktree, {"log", "-1", "--format=%B"})
        == "Add two numbers\n\nTDD-Task: CALC-1\n\n");
  CHECK(exec::git::has_task_trailer(f.worktree, "HEAD", "CALC-1").value);
  CHECK(f.is_clean());
  SUBCASE("run again (a crash before it was recorded): nothing changes") {
    const auto again = f.run(stage::commit, "noop");
    CHECK(again.verdict.passed);
    CHECK(again.head_commit == out.head_commit);
  }
  SUBCASE("a crash between squash and commit is finished next time") {
    git_test_repo::git(f.worktree, {"reset", "--soft", f.base_commit});
    const auto again = f.run(stage::commit, "noop");
    CHECK(again.verdict.passed);
    CHECK(commits_between(f.worktree, f.base_commit, "HEAD") == 1);
    CHECK(tree_of(f.worktree, "HEAD") == final_tree);
  }
}
