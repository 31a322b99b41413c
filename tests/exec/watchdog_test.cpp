// The watchdog (exec/watchdog.hpp): what `orchestrator run` started dies
// with it, however it ends.

#include "exec/watchdog.hpp"

#include "exec/child_process.hpp"
#include "exec/command.hpp"
#include "exec/process_fixture.hpp"

#include <dirent.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <csignal>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace tdd;
using namespace std::chrono_literals;
using test::process_fixture;

namespace {

/// Script lines that start a `sleep 300` daemon in a session of its own
/// (so no group kill reaches it), which writes its pid to daemon.pid, and
/// wait (up to 5 s) until it did.
const std::string start_daemon
  = "setsid /bin/sh -c 'echo $$ > daemon.tmp; mv daemon.tmp daemon.pid; "
    "exec sleep 300' < /dev/null > /dev/null 2>&1 &\n"
    "n=0; while [ ! -s daemon.pid ] && [ $n -lt 500 ]; do\n"
    "  sleep 0.01; n=$((n + 1))\n"
    "done\n";

/// The forked owner of a watchdog: starts one, spawns `spec` through
/// child_process, waits until the script wrote `ready`, reports 'r' on
/// `report` and waits to be killed. Exits 10+ if something fails.
[[noreturn]] void own_watchdog(int report, const exec::command_spec& spec,
                               const std::string& ready) {
  std::string error;
  const auto dog = exec::watchdog::start(error);
  if (!dog) {
    ::_exit(10);
  }
  auto spawned = exec::child_process::spawn(spec);
  if (!spawned.child) {
    ::_exit(11);
  }
  test::await_fifo(ready);
  const std::string line = std::to_string(dog->pid()) + "\n";
  const char ok = 'r';
  if (::write(report, line.data(), line.size())
        != static_cast<ssize_t>(line.size())
      || ::write(report, &ok, 1) != 1) {
    ::_exit(12);
  }
  for (;;) {
    ::pause();
  }
}

/// Where each descriptor of process `pid` points ("socket:[N]", a path).
std::vector<std::string> open_files(pid_t pid) {
  std::vector<std::string> out;
  const auto dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    return out;
  }
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') {
      continue;
    }
    std::array<char, 4096> target{};
    const auto link = dir + "/" + e->d_name;
    const auto n = ::readlink(link.c_str(), target.data(), target.size() - 1);
    out.emplace_back(target.data(), n > 0 ? static_cast<size_t>(n) : 0);
  }
  ::closedir(d);
  return out;
}

/// Polls `condition` every 10 ms for up to `limit`: for a state of another
/// process that nothing tells us about.
template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

} // namespace

TEST_CASE_FIXTURE(process_fixture,
                  "watchdog: kill -9 of its owner kills the recorded group "
                  "and every process with the marker") {
  const auto ready = fifo("ready");
  // bg: in the group, without the marker (env -i): only the group kill
  // reaches it. The daemon: out of the group, with the marker: only the
  // scan of /proc reaches it.
  const auto spec
    = sh("env -i /bin/sleep 300 > /dev/null 2>&1 & echo $! > bg.pid\n"
         + start_daemon + "echo $$ > main.pid\necho > ready\nsleep 300\n");
  std::array<int, 2> report{-1, -1};
  REQUIRE(::pipe2(report.data(), O_CLOEXEC) == 0);
  const pid_t owner = ::fork();
  REQUIRE(owner >= 0);
  if (owner == 0) {
    ::close(report[0]);
    own_watchdog(report[1], spec, ready);
  }
  ::close(report[1]);
  std::string text;
  std::array<char, 64> buf{};
  for (ssize_t n = 1; n > 0 && text.find('r') == std::string::npos;) {
    n = ::read(report[0], buf.data(), buf.size());
    text.append(buf.data(), n > 0 ? static_cast<size_t>(n) : 0);
  }
  ::close(report[0]);
  const bool started = text.find('r') != std::string::npos;
  ::kill(owner, SIGKILL); // also on failure: nothing may outlive the test
  int status = 0;
  REQUIRE(::waitpid(owner, &status, 0) == owner);
  REQUIRE_MESSAGE(started, "owner exited " << WEXITSTATUS(status));
  const auto dog = static_cast<pid_t>(std::stol(text));
  for (const auto& file : {"main.pid", "bg.pid", "daemon.pid"}) {
    CAPTURE(file);
    CHECK(test::is_dead(read_pid(file), 10'000));
  }
  CHECK(test::is_dead(dog, 10'000)); // and it exits itself
}

TEST_CASE_FIXTURE(process_fixture,
                  "watchdog: children get the session marker, which no "
                  "spec can change") {
  auto spec = sh("printf %s \"$TDD_ORCHESTRATOR_SESSION\"");
  spec.env_remove = {exec::session_variable};
  CHECK(exec::run_command(spec).output.empty());
  std::string error;
  auto dog = exec::watchdog::start(error);
  REQUIRE_MESSAGE(dog, error);
  CHECK(dog->token().rfind(std::to_string(::getpid()) + "-", 0) == 0);
  CHECK(exec::session_token() == dog->token());
  CHECK(exec::run_command(spec).output == dog->token());
  spec.env_remove.clear();
  spec.env[exec::session_variable] = "forged";
  CHECK(exec::run_command(spec).output == dog->token());
  // Unwatched commands (git) carry no marker: the watchdog spares them.
  auto unwatched = sh("printf %s \"$TDD_ORCHESTRATOR_SESSION\"");
  unwatched.watched = false;
  CHECK(exec::run_command(unwatched).output.empty());
  dog.reset();
  CHECK(exec::session_token().empty());
  spec.env.clear();
  spec.env_remove = {exec::session_variable};
  CHECK(exec::run_command(spec).output.empty());
}

TEST_CASE_FIXTURE(process_fixture,
                  "watchdog: a normal end kills what left its group and "
                  "reaps the watchdog") {
  std::string error;
  auto dog = exec::watchdog::start(error);
  REQUIRE_MESSAGE(dog, error);
  const pid_t pid = dog->pid();
  const auto result = exec::run_command(sh(start_daemon));
  REQUIRE_MESSAGE(result.ok(), result.output);
  const auto daemon = read_pid("daemon.pid");
  CHECK_FALSE(test::is_dead(daemon, 0)); // the group kill missed it
  dog.reset();
  CHECK(test::is_dead(daemon, 5'000));
  CHECK(::kill(pid, 0) == -1); // reaped: not even a zombie is left
  CHECK(errno == ESRCH);
  CHECK(test::has_no_children());
}

TEST_CASE_FIXTURE(process_fixture,
                  "watchdog: keeps no descriptor of ours but its socket") {
  const auto held = dir.file("held");
  const int fd = ::open(held.c_str(), O_RDWR | O_CREAT, 0600); // inheritable
  REQUIRE(fd >= 0);
  std::string error;
  auto dog = exec::watchdog::start(error);
  ::close(fd);
  REQUIRE_MESSAGE(dog, error);
  // It closes them right after the fork; nothing tells us when.
  const auto only_its_own = [&] {
    const auto files = open_files(dog->pid());
    int sockets = 0;
    int others = 0;
    for (const auto& f : files) {
      sockets += f.rfind("socket:", 0) == 0 ? 1 : 0;
      others += f != "/dev/null" && f.rfind("socket:", 0) != 0 ? 1 : 0;
    }
    return files.size() == 4 && sockets == 1 && others == 0;
  };
  CHECK(eventually(only_its_own, 5s));
  CAPTURE(open_files(dog->pid()).size());
}

TEST_CASE_FIXTURE(process_fixture,
                  "watchdog: one at a time, before any thread, and a dead one "
                  "is no SIGPIPE") {
  std::string error;
  auto dog = exec::watchdog::start(error);
  REQUIRE_MESSAGE(dog, error);
  CHECK_FALSE(exec::watchdog::start(error));
  CHECK(error.find("already") != std::string::npos);

  // A dead watchdog: recording the next child fails with EPIPE, quietly.
  REQUIRE(::kill(dog->pid(), SIGKILL) == 0);
  siginfo_t info{}; // wait until it is a zombie, leave it to the destructor
  REQUIRE(
    ::waitid(P_PID, static_cast<id_t>(dog->pid()), &info, WEXITED | WNOWAIT)
    == 0);
  CHECK(exec::run_command(sh("exit 0")).ok());
  dog.reset();

  std::promise<void> release;
  std::thread other{[done = release.get_future()] { done.wait(); }};
  error.clear();
  CHECK_FALSE(exec::watchdog::start(error));
  CHECK(error.find("before any thread") != std::string::npos);
  release.set_value();
  other.join();
}
