// Timeouts, cancellation and the process-group kill of exec::run_command.

#include "exec/cancellation.hpp"
#include "exec/command.hpp"
#include "exec/process_fixture.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <thread>

using namespace tdd;
using namespace std::chrono_literals;
using test::process_fixture;

namespace {

using steady = std::chrono::steady_clock;

// A script that starts a background sleeper holding the output pipe,
// records both pids, tells the test it is ready, then runs `then`.
std::string with_grandchild(const std::string& then) {
  return "sleep 30 & echo $! > bg.pid; echo $$ > main.pid; " + then;
}

} // namespace

TEST_CASE_FIXTURE(process_fixture, "a timeout kills the whole group") {
  auto spec = sh(with_grandchild("echo started; sleep 30"));
  spec.timeout = 300ms;
  spec.kill_grace = 2s;
  const auto result = exec::run_command(spec);
  CHECK(result.timed_out);
  CHECK_FALSE(result.cancelled);
  CHECK_FALSE(result.ok());
  CHECK(result.exit_code == 128 + SIGTERM);
  CHECK(result.output == "started\n");
  CHECK(result.duration >= 300ms);
  CHECK(result.duration < 300ms + 2s);
  CHECK(test::is_dead(read_pid("main.pid")));
  CHECK(test::is_dead(read_pid("bg.pid")));
  CHECK(test::has_no_children());
}

TEST_CASE_FIXTURE(process_fixture, "SIGTERM ignored: SIGKILL after the grace") {
  const auto ready = fifo("ready");
  auto spec = sh("trap '' TERM; " + with_grandchild("echo > ready; sleep 30"));
  spec.kill_grace = 200ms;
  spec.cancel = std::make_shared<exec::cancellation>();
  auto canceller = test::cancel_when_ready(spec.cancel, ready);
  const auto result = exec::run_command(spec);
  canceller.join();
  CHECK(result.cancelled);
  CHECK(result.exit_code == 128 + SIGKILL);
  CHECK(result.duration >= 200ms);
  CHECK(result.duration < 1500ms);
  CHECK(test::is_dead(read_pid("main.pid")));
  CHECK(test::is_dead(read_pid("bg.pid"))); // ignored TERM too (inherited)
  CHECK(test::has_no_children());
}

TEST_CASE_FIXTURE(process_fixture, "cancellation from another thread is "
                                   "quick") {
  const auto ready = fifo("ready");
  auto spec = sh("echo > ready; sleep 30");
  spec.cancel = std::make_shared<exec::cancellation>();
  steady::time_point cancelled_at;
  std::thread canceller{[&] {
    test::await_fifo(ready);
    cancelled_at = steady::now();
    spec.cancel->cancel();
  }};
  const auto result = exec::run_command(spec);
  const auto returned_at = steady::now();
  canceller.join();
  CHECK(result.cancelled);
  CHECK_FALSE(result.timed_out);
  CHECK(result.exit_code == 128 + SIGTERM);
  CHECK(returned_at - cancelled_at < 300ms);
}

TEST_CASE_FIXTURE(process_fixture, "cancelled before the start: not run") {
  auto spec = sh("echo ran > ran.txt");
  spec.cancel = std::make_shared<exec::cancellation>();
  spec.cancel->cancel();
  spec.cancel->cancel(); // idempotent
  CHECK(spec.cancel->is_cancelled());
  const auto result = exec::run_command(spec);
  CHECK(result.cancelled);
  CHECK_FALSE(result.spawn_failed);
  CHECK(read("ran.txt").empty());
}

TEST_CASE_FIXTURE(process_fixture, "a finished command's background "
                                   "processes are killed") {
  SUBCASE("holding the output pipe") {
    const auto result = exec::run_command(sh(with_grandchild("echo done")));
    CHECK(result.ok());
    CHECK(result.output == "done\n");
    CHECK(result.duration < 1s);
  }
  SUBCASE("with its output elsewhere") {
    const auto result = exec::run_command(
      sh("sleep 30 >/dev/null 2>&1 & echo $! > bg.pid; exit 0"));
    CHECK(result.ok());
  }
  CHECK(test::is_dead(read_pid("bg.pid")));
  CHECK(test::has_no_children());
}

TEST_CASE_FIXTURE(process_fixture, "a process that left the group cannot "
                                   "hold us past the drain bound") {
  auto spec = sh("setsid sh -c 'echo $$ > escaped.pid; sleep 5' & "
                 "while [ ! -s escaped.pid ]; do :; done; echo done");
  const auto result = exec::run_command(spec);
  CHECK(result.ok());
  CHECK(result.output == "done\n");
  CHECK(result.duration < 1500ms);
  const auto escaped = read_pid("escaped.pid");
  ::kill(escaped, SIGKILL); // out of our reach by design: clean up here
  CHECK(test::is_dead(escaped));
}

TEST_CASE_FIXTURE(process_fixture, "the child starts with an empty signal "
                                   "mask and default dispositions") {
  // Like the orchestrator's main: SIGINT, SIGTERM and SIGCHLD blocked in
  // the calling thread. Ignored SIGUSR1 would be inherited through exec.
  const auto ready = fifo("ready");
  auto spec = sh("grep -E '^Sig(Blk|Ign)' /proc/self/status; "
                 "echo > ready; sleep 30");
  spec.kill_grace = 5s; // a child deaf to SIGTERM would cost 5 s
  spec.cancel = std::make_shared<exec::cancellation>();
  exec::command_result result;
  auto* const old_usr1 = ::signal(SIGUSR1, SIG_IGN);
  std::thread caller{[&] {
    sigset_t blocked;
    sigemptyset(&blocked);
    for (const int sig : {SIGINT, SIGTERM, SIGCHLD}) {
      sigaddset(&blocked, sig);
    }
    ::pthread_sigmask(SIG_BLOCK, &blocked, nullptr);
    result = exec::run_command(spec);
  }};
  test::await_fifo(ready);
  spec.cancel->cancel();
  caller.join();
  const bool restored = ::signal(SIGUSR1, old_usr1) == SIG_IGN;
  CHECK(restored);
  CHECK(result.exit_code == 128 + SIGTERM);
  CHECK(result.duration < 2s);
  const auto lines = result.output;
  REQUIRE(lines.rfind("SigBlk:\t", 0) == 0);
  const auto ign = lines.find("SigIgn:\t");
  REQUIRE(ign != std::string::npos);
  CHECK(std::stoull(lines.substr(8, 16), nullptr, 16) == 0);
  // glibc's posix_spawn leaves its two internal real-time signals (32 and
  // 33) ignored; every standard signal must be back to its default.
  const auto ignored = std::stoull(lines.substr(ign + 8, 16), nullptr, 16);
  CHECK((ignored & 0x7fffffffULL) == 0);
}
