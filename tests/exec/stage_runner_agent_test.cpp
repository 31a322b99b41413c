// The stage runner and its agent: what reaches the agent, and what its
// failures, timeouts and cancellation do to an attempt.

#include "exec/cancellation.hpp"
#include "exec/process_fixture.hpp"
#include "exec/stage_runner.hpp"
#include "exec/stage_runner_fixture.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <string>

using namespace tdd;
using core::stage;
using test::git_test_repo;

TEST_CASE("stage runner: the agent gets the prompt and its environment") {
  test::stage_fixture f;
  REQUIRE(f.run(stage::red, "good").verdict.passed);
  const auto prompt = f.spied("prompt");
  CHECK(prompt.find("# Task CALC-1: Add two numbers") != std::string::npos);
  CHECK(f.spied("stdin") == prompt);
  // The prompt file sits in the worktree's git directory, outside the
  // tree, and is gone afterwards.
  auto path = f.spied("prompt_path");
  REQUIRE(!path.empty());
  path.pop_back();
  const auto git_dir
    = git_test_repo::git_line(f.worktree, {"rev-parse", "--absolute-git-dir"});
  CHECK(std::filesystem::path{path}.parent_path() == git_dir);
  CHECK(path.rfind(f.worktree + "/", 0) != 0);
  CHECK_FALSE(std::filesystem::exists(path));
  const auto env = f.spied("env");
  CHECK(env.find("TDD_STAGE=red\n") != std::string::npos);
  CHECK(env.find("TDD_TASK_KEY=CALC-1\n") != std::string::npos);
  CHECK(env.find("TDD_ATTEMPT=1\n") != std::string::npos);
  CHECK(env.find("TDD_TEST_FILE=test_calc.sh\n") != std::string::npos);
  CHECK(env.find("TDD_IMPL_FILE=calc.sh\n") != std::string::npos);
  CHECK(env.find("TDD_WORKTREE=" + f.worktree + "\n") != std::string::npos);
  CHECK(env.find("TDD_FAILURE_FILE") == std::string::npos);
}

TEST_CASE("stage runner: agent exit 75 is a usage limit with retry_after") {
  test::stage_fixture f;
  const auto out = f.run(stage::red, "limit");
  CHECK(out.usage_limit);
  REQUIRE(out.retry_after.has_value());
  CHECK(out.retry_after->count() == 42);
  CHECK_FALSE(out.verdict.passed);
  CHECK(out.verdict.kind == core::failure_kind::usage_limit);
  CHECK(out.verdict.reason == core::reason::usage_limit);
  CHECK_FALSE(out.verify_ran);
  CHECK_FALSE(out.fatal);
  CHECK(f.head() == f.base_commit);
  CHECK(f.is_clean()); // the test it wrote is gone: the call is redone
}

TEST_CASE(
  "stage runner: agent exit 1 is a worker failure and verify does not run") {
  test::stage_fixture f;
  const auto out = f.run(stage::red, "fail");
  CHECK_FALSE(out.verdict.passed);
  CHECK(out.verdict.kind == core::failure_kind::worker);
  CHECK(out.verdict.reason == core::reason::agent_error);
  CHECK_FALSE(out.usage_limit);
  CHECK_FALSE(out.fatal);
  CHECK_FALSE(out.verify_ran);
  CHECK(out.message.find("boom: the agent failed") != std::string::npos);
  CHECK(f.head() == f.base_commit);
  CHECK(f.is_clean());
  const auto log = f.read_log(stage::red);
  CHECK(log.find("boom: the agent failed") != std::string::npos);
  CHECK(log.find("== verify") == std::string::npos);
  CHECK(log.find("== result: failed: agent_error (worker) ==")
        != std::string::npos);
}

TEST_CASE("stage runner: a missing agent program is fatal") {
  test::stage_fixture f;
  auto req = f.request(stage::red, "good");
  std::string error;
  req.agent = *exec::parse_agent("cmd:/nonexistent/agent {stage}", error);
  const auto out = exec::run_stage(req);
  CHECK(out.fatal);
  CHECK(out.verdict.kind == core::failure_kind::worker);
  CHECK_FALSE(out.message.empty());
  CHECK_FALSE(out.verify_ran);
}

TEST_CASE("stage runner: agent timeout kills its whole process group") {
  test::stage_fixture f;
  auto req = f.request(stage::green, "hang");
  req.timeout = std::chrono::seconds{1};
  const auto out = exec::run_stage(req);
  CHECK(out.verdict.reason == core::reason::agent_timeout);
  CHECK(out.verdict.kind == core::failure_kind::worker);
  CHECK_FALSE(out.verify_ran);
  REQUIRE(out.agent.has_value());
  CHECK(out.agent->message.find("timed out") != std::string::npos);
  const auto child = f.spied("child");
  REQUIRE_FALSE(child.empty());
  CHECK(test::is_dead(static_cast<pid_t>(std::stol(child))));
  CHECK(out.duration < std::chrono::seconds{5});
}

TEST_CASE(
  "stage runner: cancellation stops the attempt and nothing is counted") {
  test::stage_fixture f;
  auto req = f.request(stage::red, "hang");
  req.cancel = std::make_shared<exec::cancellation>();
  SUBCASE("before it starts") {
    req.cancel->cancel();
    const auto out = exec::run_stage(req);
    CHECK(out.cancelled);
    CHECK_FALSE(out.agent.has_value());
    CHECK(f.spied("calls").empty());
    CHECK_FALSE(out.verdict.kind.has_value());
  }
  SUBCASE("while the agent runs") {
    const auto ready = f.spy + "/ready";
    REQUIRE(::mkfifo(ready.c_str(), 0600) == 0);
    auto canceller = test::cancel_when_ready(req.cancel, ready);
    const auto out = exec::run_stage(req);
    canceller.join();
    CHECK(out.cancelled);
    CHECK_FALSE(out.verdict.passed);
    CHECK_FALSE(out.verdict.kind.has_value());
    CHECK(out.verdict.reason.empty());
    CHECK_FALSE(out.verify_ran);
    CHECK(test::is_dead(static_cast<pid_t>(std::stol(f.spied("child")))));
    CHECK(out.head_commit == f.base_commit);
    CHECK(f.read_log(stage::red).find("== result: cancelled ==")
          != std::string::npos);
  }
  CHECK(f.head() == f.base_commit);
  CHECK(f.is_clean());
}

TEST_CASE("stage runner: task text with quotes and $(...) is never run") {
  test::stage_fixture f;
  const std::string title = "Add \"two\" 'numbers' $(touch pwned) `touch "
                            "pwned2`; touch pwned3";
  f.task.title = title;
  f.task.goal = "$(touch pwned) \"; touch pwned3; echo '";
  f.task.acceptance = {"`touch pwned2`", "$(touch pwned)"};
  f.pass_red_and_green();
  REQUIRE(f.run(stage::verify, "noop").verdict.passed);
  REQUIRE(f.run(stage::commit, "noop").verdict.passed);
  CHECK(f.spied("prompt").find(f.task.goal) != std::string::npos);
  CHECK(git_test_repo::git_line(f.worktree, {"log", "-1", "--format=%s"})
        == title);
  for (const auto* name : {"pwned", "pwned2", "pwned3"}) {
    CAPTURE(name);
    CHECK_FALSE(f.in_worktree(name));
    CHECK_FALSE(std::filesystem::exists(f.repo.base + "/" + name));
    CHECK_FALSE(std::filesystem::exists(f.repo.repo + "/" + name));
    CHECK_FALSE(std::filesystem::exists(name));
  }
}
