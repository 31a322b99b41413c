#include "exec/child_process.hpp"

#include "exec/command.hpp"
#include "exec/process_env.hpp"
#include "exec/watchdog.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <csignal>
#include <utility>
#include <vector>

namespace tdd::exec {

namespace {

using std::chrono::milliseconds;

/// posix_spawnattr_t set up the way every child starts.
class spawn_attributes {
public:
  spawn_attributes() noexcept { ::posix_spawnattr_init(&attr_); }
  spawn_attributes(const spawn_attributes&) = delete;
  spawn_attributes& operator=(const spawn_attributes&) = delete;
  spawn_attributes(spawn_attributes&&) = delete;
  spawn_attributes& operator=(spawn_attributes&&) = delete;
  ~spawn_attributes() { ::posix_spawnattr_destroy(&attr_); }

  /// Own process group (so the group can be killed as a whole); empty
  /// mask and default dispositions, because exec keeps both and our main
  /// blocks SIGINT, SIGTERM and SIGCHLD.
  int configure() noexcept {
    sigset_t none;
    sigset_t all;
    sigemptyset(&none);
    sigfillset(&all);
    const auto flags
      = POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    int rc = ::posix_spawnattr_setsigmask(&attr_, &none);
    if (rc == 0) {
      rc = ::posix_spawnattr_setsigdefault(&attr_, &all);
    }
    if (rc == 0) {
      rc = ::posix_spawnattr_setpgroup(&attr_, 0);
    }
    if (rc == 0) {
      rc = ::posix_spawnattr_setflags(&attr_, static_cast<short>(flags));
    }
    return rc;
  }

  const posix_spawnattr_t* get() const noexcept { return &attr_; }

private:
  posix_spawnattr_t attr_{};
};

/// posix_spawn_file_actions_t: the pipes on 0, 1 and 2, the cwd, and
/// nothing else inherited (an inherited pipe end would keep e.g. the
/// watchdog's pipe open after we die).
class file_actions {
public:
  file_actions() noexcept { ::posix_spawn_file_actions_init(&actions_); }
  file_actions(const file_actions&) = delete;
  file_actions& operator=(const file_actions&) = delete;
  file_actions(file_actions&&) = delete;
  file_actions& operator=(file_actions&&) = delete;
  ~file_actions() { ::posix_spawn_file_actions_destroy(&actions_); }

  int configure(int input, int output, const std::string& cwd) noexcept {
    auto* a = &actions_;
    int rc = ::posix_spawn_file_actions_adddup2(a, input, STDIN_FILENO);
    if (rc == 0) {
      rc = ::posix_spawn_file_actions_adddup2(a, output, STDOUT_FILENO);
    }
    if (rc == 0) {
      rc = ::posix_spawn_file_actions_adddup2(a, output, STDERR_FILENO);
    }
    if (rc == 0 && !cwd.empty()) {
      rc = ::posix_spawn_file_actions_addchdir_np(a, cwd.c_str());
    }
    if (rc == 0) {
      rc = ::posix_spawn_file_actions_addclosefrom_np(a, STDERR_FILENO + 1);
    }
    return rc;
  }

  const posix_spawn_file_actions_t* get() const noexcept { return &actions_; }

private:
  posix_spawn_file_actions_t actions_{};
};

struct pipe_ends {
  unique_fd read;
  unique_fd write;
};

/// Moves `fd` above 2 so that the dup2 actions cannot overwrite one pipe
/// end with another when our own 0, 1 or 2 happen to be closed.
int raise_above_stdio(unique_fd& fd) noexcept {
  if (fd.get() > STDERR_FILENO) {
    return 0;
  }
  const int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
  if (moved < 0) {
    return errno;
  }
  fd.reset(moved);
  return 0;
}

int set_nonblocking(const unique_fd& fd) noexcept {
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) != 0) {
    return errno;
  }
  return 0;
}

/// A close-on-exec pipe; `ours` (the parent's end) is made non-blocking.
int make_pipe(pipe_ends& ends, bool ours_is_read) noexcept {
  std::array<int, 2> fds{-1, -1};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
    return errno;
  }
  ends.read.reset(fds[0]);
  ends.write.reset(fds[1]);
  int err = raise_above_stdio(ends.read);
  if (err == 0) {
    err = raise_above_stdio(ends.write);
  }
  if (err == 0) {
    err = set_nonblocking(ours_is_read ? ends.read : ends.write);
  }
  return err;
}

std::vector<char*> c_strings(std::vector<std::string>& xs) {
  std::vector<char*> result;
  result.reserve(xs.size() + 1);
  for (auto& x : xs) {
    result.push_back(x.data());
  }
  result.push_back(nullptr);
  return result;
}

/// posix_spawn with our attributes and file actions; 0 or an errno value.
int start(const command_spec& spec, const std::string& path,
          std::vector<std::string>& environment, const pipe_ends& input,
          const pipe_ends& output, pid_t& pid) {
  spawn_attributes attributes;
  file_actions actions;
  int rc = attributes.configure();
  if (rc == 0) {
    rc = actions.configure(input.read.get(), output.write.get(), spec.cwd);
  }
  if (rc != 0) {
    return rc;
  }
  auto argv = spec.argv;
  const auto argv_ptrs = c_strings(argv);
  const auto env_ptrs = c_strings(environment);
  return ::posix_spawn(&pid, path.c_str(), actions.get(), attributes.get(),
                       argv_ptrs.data(), env_ptrs.data());
}

std::string spawn_error(const command_spec& spec, int err) {
  if (!spec.cwd.empty()) {
    // chdir and exec failures both come back as ENOENT: tell them apart.
    if (auto why = check_directory(spec.cwd); !why.empty()) {
      return why;
    }
  }
  const auto quoted = "program \"" + spec.argv.front() + "\"";
  switch (err) {
  case ENOENT:
    return quoted + " not found";
  case EACCES:
    return quoted + " is not executable: " + error_text(err);
  case ENOEXEC:
    return quoted + " has an unknown format (no #! line?)";
  default:
    return "cannot start " + quoted + ": " + error_text(err);
  }
}

int exit_code(int status) noexcept {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status)) {
    return 128 + WTERMSIG(status);
  }
  return -1;
}

} // namespace

spawn_result child_process::spawn(const command_spec& spec) {
  if (spec.argv.empty()) {
    return {std::nullopt, "empty command"};
  }
  auto environment = make_environment(spec);
  const auto program = find_program(spec.argv[0], environment, spec.cwd);
  if (program.path.empty()) {
    return {std::nullopt, program.error};
  }
  if (auto why = spec.cwd.empty() ? "" : check_directory(spec.cwd);
      !why.empty()) {
    return {std::nullopt, why};
  }
  pipe_ends input;
  pipe_ends output;
  int rc = make_pipe(input, false);
  if (rc == 0) {
    rc = make_pipe(output, true);
  }
  if (rc != 0) {
    return {std::nullopt, "cannot create a pipe: " + error_text(rc)};
  }
  pid_t pid = -1;
  rc = start(spec, program.path, environment, input, output, pid);
  if (rc != 0) {
    return {std::nullopt, spawn_error(spec, rc)};
  }
  if (spec.watched) {
    watch_group(pid); // its pid is its group id
  }
  return {child_process{pid, std::move(input.write), std::move(output.read),
                        spec.kill_grace},
          ""};
}

child_process::child_process(pid_t pid, unique_fd stdin_fd, unique_fd output_fd,
                             milliseconds grace) noexcept
    : pid_(pid), stdin_(std::move(stdin_fd)), output_(std::move(output_fd)),
      // -1 on kernels without pidfds (< 5.3): then we poll with a timeout.
      pidfd_(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))),
      grace_(grace) {}

child_process::child_process(child_process&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), exited_(other.exited_),
      lost_(other.lost_), stdin_(std::move(other.stdin_)),
      output_(std::move(other.output_)), pidfd_(std::move(other.pidfd_)),
      grace_(other.grace_) {}

child_process& child_process::operator=(child_process&& other) noexcept {
  if (this != &other) {
    terminate(grace_);
    pid_ = std::exchange(other.pid_, -1);
    exited_ = other.exited_;
    lost_ = other.lost_;
    stdin_ = std::move(other.stdin_);
    output_ = std::move(other.output_);
    pidfd_ = std::move(other.pidfd_);
    grace_ = other.grace_;
  }
  return *this;
}

child_process::~child_process() {
  terminate(grace_);
}

bool child_process::has_exited() noexcept {
  if (exited_ || pid_ < 0) {
    return true;
  }
  siginfo_t info{};
  int rc = 0;
  do {
    rc = ::waitid(P_PID, static_cast<id_t>(pid_), &info,
                  WEXITED | WNOHANG | WNOWAIT);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    // ECHILD: SIGCHLD is ignored and the kernel reaped the child. Its pid
    // may be reused now, so we must not signal that group any more.
    unwatch_group(pid_);
    lost_ = true;
    exited_ = true;
    return true;
  }
  exited_ = info.si_pid != 0;
  return exited_;
}

void child_process::signal_group(int sig) const noexcept {
  if (pid_ > 0 && !lost_) {
    ::kill(-pid_, sig); // ESRCH: nobody left, which is fine
  }
}

int child_process::reap() noexcept {
  if (pid_ < 0) {
    return -1;
  }
  // Before waitpid: until the zombie is reaped its pid, the group id,
  // cannot be reused, so the watchdog never kills a stranger's group.
  unwatch_group(pid_);
  int status = 0;
  pid_t rc = 0;
  do {
    rc = ::waitpid(pid_, &status, 0);
  } while (rc < 0 && errno == EINTR);
  pid_ = -1;
  exited_ = true;
  return rc < 0 ? -1 : exit_code(status);
}

bool child_process::wait_exit(milliseconds timeout) noexcept {
  // No clock here (STYLE.md "Time"): this only serves the abnormal path,
  // where a wait cut short by EINTR merely means an earlier SIGKILL.
  if (has_exited()) {
    return true;
  }
  if (pidfd_.is_open()) {
    pollfd fd{pidfd_.get(), POLLIN, 0};
    ::poll(&fd, 1,
           static_cast<int>(
             std::clamp<milliseconds::rep>(timeout.count(), 0, INT_MAX)));
    return has_exited();
  }
  constexpr milliseconds step{10}; // no pidfd: look again every 10 ms
  for (auto left = timeout; left.count() > 0; left -= step) {
    ::poll(nullptr, 0, static_cast<int>(step.count()));
    if (has_exited()) {
      return true;
    }
  }
  return false;
}

void child_process::terminate(milliseconds grace) noexcept {
  if (pid_ < 0) {
    return;
  }
  close_stdin();
  if (!has_exited()) {
    signal_group(SIGTERM);
    wait_exit(grace);
  }
  signal_group(SIGKILL); // also what is left after the child itself exited
  reap();
}

} // namespace tdd::exec
