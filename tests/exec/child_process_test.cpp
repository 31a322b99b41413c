#include "exec/child_process.hpp"

#include "exec/command.hpp"
#include "exec/process_fixture.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <string>
#include <utility>

using namespace tdd;
using namespace std::chrono_literals;
using test::process_fixture;

TEST_CASE_FIXTURE(process_fixture, "child_process: the destructor "
                                   "terminates and reaps the group") {
  const auto ready = fifo("ready");
  auto spec = sh("sleep 30 & echo $! > bg.pid; echo > ready; sleep 30");
  spec.kill_grace = 2s;
  pid_t pid = -1;
  {
    auto spawned = exec::child_process::spawn(spec);
    REQUIRE(spawned.child);
    CHECK(spawned.error.empty());
    pid = spawned.child->pid();
    CHECK(::getpgid(pid) == pid); // its own group
    test::await_fifo(ready);
    CHECK_FALSE(spawned.child->has_exited());
    auto moved = std::move(*spawned.child); // ownership moves with it
    CHECK(moved.pid() == pid);
    CHECK(spawned.child->pid() == -1);
  }
  CHECK(test::is_dead(pid));
  CHECK(test::is_dead(read_pid("bg.pid")));
  CHECK(test::has_no_children());
}

TEST_CASE_FIXTURE(process_fixture, "child_process: reap reports the exit") {
  auto spawned = exec::child_process::spawn(sh("exit 7"));
  REQUIRE(spawned.child);
  CHECK(spawned.child->reap() == 7);
  CHECK(spawned.child->pid() == -1);
  CHECK(spawned.child->has_exited());
  CHECK(test::has_no_children());
}

TEST_CASE_FIXTURE(process_fixture, "child_process: terminate escalates to "
                                   "SIGKILL") {
  const auto ready = fifo("ready");
  auto spawned
    = exec::child_process::spawn(sh("trap '' TERM; echo > ready; sleep 30"));
  REQUIRE(spawned.child);
  test::await_fifo(ready);
  spawned.child->terminate(100ms);
  CHECK(spawned.child->pid() == -1);
  CHECK(test::has_no_children());
}

TEST_CASE("child_process: an empty argv does not start") {
  const auto spawned = exec::child_process::spawn(exec::command_spec{});
  CHECK_FALSE(spawned.child);
  CHECK(spawned.error == "empty command");
}
