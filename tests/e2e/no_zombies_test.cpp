// SPEC.md 8 "No zombies": after any exit of `orchestrator run`, no process
// it started is left running: not the agents, not their background
// children, not a daemon that left the agent's process group (setsid). The
// scripted agent's `procs` action records all three (tests/e2e/scripts/
// agent.sh); the watchdog (exec/watchdog.hpp) is what catches the daemon.

#include "e2e/crash_support.hpp"
#include "e2e/run_repo.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <string>
#include <vector>

using tdd::test::recorded_pids;
using tdd::test::run_repo;
using tdd::test::survivors;
using tdd::test::task_def;

namespace {

/// Checks that `r`'s agents recorded processes and none of them is alive.
void check_no_survivors(run_repo& r) {
  const auto pids = recorded_pids(r);
  CHECK_FALSE(pids.empty());
  CHECK(survivors(pids).empty());
}

/// Every task of `keys` complete, landed as exactly one commit with its
/// trailer on main, and no attempt left without an outcome.
void check_completed_once(run_repo& r, const std::vector<std::string>& keys) {
  const auto statuses = r.statuses();
  for (const auto& key : keys) {
    CAPTURE(key);
    CHECK(statuses.at(key) == "complete");
    CHECK(tdd::test::task_commits(r, key) == 1);
  }
  CHECK(r.sql("SELECT count(*) FROM attempts WHERE outcome = ''") == "0\n");
}

/// Ctrl-C (or SIGTERM) to the orchestrator while both agents hang: exit
/// 130, nothing left, and --resume completes each task once.
void interrupt_and_resume(int sig) {
  run_repo r({{"A", "Task A"}, {"B", "Task B"}});
  r.scenario({"*:red:*=procs hang"});
  auto bg = r.start({"--workers", "2"});
  REQUIRE_MESSAGE(tdd::test::wait_for_hang(r, {"A", "B"}), bg.output());
  bg.signal(sig); // the orchestrator only, as `kill -INT pid` does
  const auto res = bg.wait(std::chrono::seconds{60});
  recorded_pids(r); // the fixture kills them if a REQUIRE stops the test
  REQUIRE_MESSAGE(res, bg.output());
  CHECK_MESSAGE(res->code == 130, run_repo::dump(*res));
  check_no_survivors(r);

  r.scenario({"*:*:*=procs good"});
  const auto resumed = r.run({"--workers", "2", "--resume"});
  recorded_pids(r);
  REQUIRE_MESSAGE(resumed.code == 0, run_repo::dump(resumed));
  check_completed_once(r, {"A", "B"});
  check_no_survivors(r);
}

} // namespace

TEST_CASE("no zombies: a run that completes (exit 0) leaves nothing") {
  run_repo r({{"A", "Task A"}, {"B", "Task B"}});
  r.scenario({"*:*:*=procs good"});
  const auto res = r.run({"--workers", "2"});
  recorded_pids(r);
  REQUIRE_MESSAGE(res.code == 0, run_repo::dump(res));
  check_no_survivors(r);
  // red, green and refactor of each task: agent, child and daemon each.
  CHECK(recorded_pids(r).size() == 18);
}

TEST_CASE("no zombies: a run with a blocked task (exit 1) leaves nothing") {
  run_repo r({task_def{"A", "Task A"}});
  r.scenario({"A:red:*=procs red_passes"});
  const auto res
    = r.run({"--workers", "1"}, {{"TDD_CIRCUIT_STAGE_MAX_FAILURES", "2"}});
  REQUIRE_MESSAGE(res.code == 1, run_repo::dump(res));
  CHECK(r.statuses().at("A") == "blocked");
  check_no_survivors(r);
}

TEST_CASE("no zombies: a budget halt (exit 3) leaves nothing") {
  run_repo r({{"A", "Task A"}, {"B", "Task B"}});
  r.scenario({"*:*:*=procs good"});
  const auto res = r.run({"--workers", "2", "--max-invocations", "2"});
  recorded_pids(r);
  REQUIRE_MESSAGE(res.code == 3, run_repo::dump(res));
  check_no_survivors(r);
}

TEST_CASE("no zombies: SIGINT (exit 130) leaves nothing, --resume "
          "completes each task once") {
  interrupt_and_resume(SIGINT);
}

TEST_CASE("no zombies: SIGTERM (exit 130) leaves nothing, --resume "
          "completes each task once") {
  interrupt_and_resume(SIGTERM);
}

TEST_CASE("no zombies: kill -9 of the orchestrator's process group while "
          "agents hang leaves nothing") {
  run_repo r({{"A", "Task A"}, {"B", "Task B"}});
  r.scenario({"*:red:*=procs hang"});
  auto bg = r.start({"--workers", "2"});
  REQUIRE_MESSAGE(tdd::test::wait_for_hang(r, {"A", "B"}), bg.output());
  // Agents run in groups of their own: this kill reaches none of them,
  // and the orchestrator can do nothing about it. The watchdog can.
  bg.signal(SIGKILL, true);
  const auto res = bg.wait(std::chrono::seconds{10});
  recorded_pids(r);
  REQUIRE(res);
  CHECK(res->code == 128 + SIGKILL);
  check_no_survivors(r);
}
