#pragma once

// One child process in its own process group, with a pipe for its stdin
// and one pipe for its stdout and stderr together. The object owns the
// pid and every pipe end: if it goes away before the child was reaped, it
// terminates the whole group (SIGTERM, grace, SIGKILL) and reaps it.

#include "exec/unique_fd.hpp"

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>

namespace tdd::exec {

struct command_spec;
struct spawn_result;

class child_process {
public:
  /// Starts `spec.argv` (no shell) in `spec.cwd` with our environment plus
  /// `spec.env` minus `spec.env_remove`, in a new process group, with
  /// default signal dispositions and an empty signal mask. Inherits no
  /// descriptor but the two pipes.
  [[nodiscard]] static spawn_result spawn(const command_spec& spec);

  child_process(child_process&& other) noexcept;
  child_process& operator=(child_process&& other) noexcept;
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  ~child_process();

  pid_t pid() const noexcept { return pid_; }

  /// Write end of the child's stdin (non-blocking), -1 once closed.
  int stdin_fd() const noexcept { return stdin_.get(); }
  void close_stdin() noexcept { stdin_.reset(); }

  /// Read end of the child's stdout+stderr (non-blocking), -1 once closed.
  int output_fd() const noexcept { return output_.get(); }
  void close_output() noexcept { output_.reset(); }

  /// Becomes readable when the child exits (a pidfd); -1 if the kernel
  /// has none, then callers poll `has_exited()` on a short timeout.
  int exit_fd() const noexcept { return pidfd_.get(); }

  /// True once the child exited. Does not reap it: while the zombie
  /// exists its pid (= the group id) cannot be reused, so signalling the
  /// group stays safe until `reap()`.
  bool has_exited() noexcept;

  /// Sends `sig` to every process of the child's group, if not reaped.
  void signal_group(int sig) const noexcept;

  /// Waits for the child and reaps it; returns its exit status, 128 +
  /// signal number, or -1 if someone else reaped it (SIGCHLD ignored).
  int reap() noexcept;

  /// SIGTERM to the group, waits up to `grace` for the child, SIGKILL to
  /// the group, reaps. For abnormal exits; `run_command` does its own.
  void terminate(std::chrono::milliseconds grace) noexcept;

private:
  child_process(pid_t pid, unique_fd stdin_fd, unique_fd output_fd,
                std::chrono::milliseconds grace) noexcept;

  /// Blocks until the child exited or `timeout` passed.
  bool wait_exit(std::chrono::milliseconds timeout) noexcept;

  pid_t pid_ = -1; ///< -1 once reaped (or moved from)
  bool exited_ = false;
  bool lost_ = false; ///< reaped behind our back: status unknown
  unique_fd stdin_;
  unique_fd output_;
  unique_fd pidfd_;
  std::chrono::milliseconds grace_;
};

/// A started child, or why it could not start.
struct spawn_result {
  std::optional<child_process> child;
  std::string error; ///< e.g. `program "claude" not found in PATH`
};

} // namespace tdd::exec
