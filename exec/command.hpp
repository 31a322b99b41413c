#pragma once

// Running one child process to completion. Blocking: call it from a
// detached actor or a thread of its own, never from an event-based actor.

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace tdd::exec {

class cancellation;

/// What to run and how.
struct command_spec {
  /// Program and arguments, run WITHOUT a shell (argv[0] is looked up in
  /// PATH when it has no '/'). For a user's shell command pass
  /// {"/bin/sh", "-c", text}.
  std::vector<std::string> argv;
  std::string cwd;                        ///< "" = inherit
  std::map<std::string, std::string> env; ///< added to / overriding ours
  std::vector<std::string> env_remove;    ///< removed from ours
  std::string stdin_data;                 ///< written to stdin, then closed
  std::string log_path; ///< "" = no log; else stdout+stderr appended, whole
  /// Output bytes kept in memory (the tail).
  size_t capture_limit = size_t{64} * 1024;
  std::chrono::milliseconds timeout{0};         ///< 0 = none
  std::chrono::milliseconds kill_grace{10'000}; ///< SIGTERM, then SIGKILL
  /// Lets another thread stop the command (shutdown, lease lost).
  std::shared_ptr<cancellation> cancel;
  /// Whether the watchdog (exec/watchdog.hpp) kills it if we die, and it
  /// carries the session marker. False for git: killed mid-write it leaves
  /// the user's index locked or a fast-forward half applied, and it ends on
  /// its own within moments anyway.
  bool watched = true;
};

/// How it ended.
struct command_result {
  int exit_code = -1;        ///< exit status, or 128 + signal number
  bool timed_out = false;    ///< killed because `timeout` passed
  bool cancelled = false;    ///< killed through `cancel`
  bool spawn_failed = false; ///< could not start (see `error`)
  std::string error;         ///< why it could not start, e.g. "not found"
                             ///< (or, with a started command, why the log
                             ///< stopped being written)
  std::string output;        ///< last `capture_limit` bytes of stdout+stderr
  std::chrono::milliseconds duration{0};

  bool ok() const {
    return !spawn_failed && !timed_out && !cancelled && exit_code == 0;
  }
};

/// Runs `spec` in its own process group and waits for it; on timeout or
/// cancellation the whole group gets SIGTERM, then SIGKILL after
/// `kill_grace`. No process of the group survives the call.
///
/// Details: the child inherits no descriptor but its stdin (a pipe fed
/// `stdin_data`) and one pipe for stdout+stderr; it starts with an empty
/// signal mask and default dispositions whatever the caller blocked or
/// ignored. Once it exited, whatever is left of its group is SIGKILLed
/// (at once, or after the grace when stopping), and output is read until
/// EOF or for at most 0.5 s more (a process that left the group). Not
/// started (`spawn_failed`, exit_code 127): program not found or not
/// executable, bad cwd, log not writable. Already cancelled: returns at
/// once with `cancelled`, nothing started.
command_result run_command(const command_spec& spec);

} // namespace tdd::exec
