#pragma once

// Helpers for tests that run real child processes: /bin/sh scripts in a
// temporary directory, FIFOs to learn that a child reached a point without
// sleeping, and checks that a process is really gone.

#include "exec/cancellation.hpp"
#include "exec/command.hpp"
#include "store/temp_dir.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

namespace tdd::test {

struct process_fixture {
  temp_dir dir;

  /// Writes an executable `#!/bin/sh` script and returns its path.
  std::string script(const std::string& name, const std::string& body) const {
    auto path = dir.file(name);
    std::ofstream{path} << "#!/bin/sh\n" << body << "\n";
    REQUIRE(::chmod(path.c_str(), 0755) == 0);
    return path;
  }

  /// Runs `body` as a script with `/bin/sh`.
  exec::command_spec sh(const std::string& body) const {
    exec::command_spec spec;
    spec.argv = {"/bin/sh", "-c", body};
    spec.cwd = dir.path().string();
    return spec;
  }

  /// Creates a FIFO a script can `echo ready >` once it got somewhere.
  std::string fifo(const std::string& name) const {
    auto path = dir.file(name);
    REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
    return path;
  }

  std::string read(const std::string& name) const {
    std::ifstream in{dir.file(name)};
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  pid_t read_pid(const std::string& name) const {
    const auto text = read(name);
    REQUIRE_MESSAGE(!text.empty(), name << " was not written");
    return static_cast<pid_t>(std::stol(text));
  }
};

/// Blocks until a writer opened and closed `fifo`, i.e. the child got to
/// its `echo > fifo`; returns what it wrote.
inline std::string await_fifo(const std::string& fifo) {
  std::ifstream in{fifo}; // open() blocks until the writer opens it
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Cancels `cancel` from a thread of its own once the child wrote `fifo`.
inline std::thread
cancel_when_ready(const std::shared_ptr<exec::cancellation>& cancel,
                  const std::string& fifo) {
  return std::thread{[cancel, fifo] {
    await_fifo(fifo);
    cancel->cancel();
  }};
}

/// True if we have no child at all, running or zombie.
inline bool has_no_children() {
  siginfo_t info{};
  return ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == -1
         && errno == ECHILD;
}

/// Parent pid and state letter of `pid` from /proc, or {-1, '?'}.
inline std::pair<pid_t, char> proc_stat(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::string text{std::istreambuf_iterator<char>{in}, {}};
  const auto paren = text.rfind(')');
  if (paren == std::string::npos) {
    return {-1, '?'};
  }
  std::istringstream rest{text.substr(paren + 1)};
  char state = '?';
  pid_t ppid = -1;
  rest >> state >> ppid;
  return {ppid, state};
}

/// Waits (without sleeping: a pidfd wakes us) up to `timeout_ms` for
/// `pid` to die; true if it is gone or a zombie someone else must reap
/// (this sandbox's pid 1 may leave orphans unreaped).
inline bool is_dead(pid_t pid, int timeout_ms = 2000) {
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) {
    return errno == ESRCH;
  }
  pollfd fd{pidfd, POLLIN, 0};
  const int ready = ::poll(&fd, 1, timeout_ms);
  ::close(pidfd);
  if (ready != 1) {
    return false;
  }
  const auto [ppid, state] = proc_stat(pid);
  return ppid != ::getpid() || state == '?';
}

} // namespace tdd::test
