#pragma once

// The watchdog (ARCHITECTURE.md "Shutdown and signals"): a small process
// forked by `orchestrator run` that outlives it. Every agent, verify and git
// command runs in a process group of its own, so neither a `kill -9` of the
// orchestrator nor one of its process group reaches them. The watchdog learns
// each group from the orchestrator (exec::child_process reports them) over a
// socket; when the socket reaches EOF (the orchestrator exited or died) it
// SIGKILLs every group still recorded, then every process whose environment
// holds this session's marker (TDD_ORCHESTRATOR_SESSION=<token>): those that
// left their group (setsid, daemons) or started just before they were
// recorded.

#include <sys/types.h>

#include <optional>
#include <string>

namespace tdd::exec {

/// The variable every child gets while a watchdog runs; its value is the
/// session's token ("<orchestrator pid>-<16 random hex digits>").
inline constexpr const char* session_variable = "TDD_ORCHESTRATOR_SESSION";

/// Owner of the watchdog process. At most one is active per process; while
/// it is, exec::child_process reports every group it starts and reaps, and
/// every child gets the session marker in its environment.
class watchdog {
public:
  /// Forks the watchdog. Call it while this process has a single thread
  /// (fork copies only the calling thread, and the watchdog uses malloc);
  /// refuses otherwise, or when a watchdog is already active.
  [[nodiscard]] static std::optional<watchdog> start(std::string& error);

  watchdog(watchdog&& other) noexcept;
  watchdog& operator=(watchdog&&) = delete;
  watchdog(const watchdog&) = delete;
  watchdog& operator=(const watchdog&) = delete;

  /// Closes our end of the socket: the watchdog kills whatever of the
  /// session is left (normally nothing) and exits; waits for it.
  ~watchdog();

  /// The watchdog's pid; -1 once moved from.
  pid_t pid() const noexcept { return pid_; }

  /// The marker value children get.
  const std::string& token() const noexcept { return token_; }

private:
  watchdog(pid_t pid, std::string token) noexcept;

  pid_t pid_ = -1;
  std::string token_;
};

/// Tells the active watchdog (if any) about a process group we started.
void watch_group(pid_t pgid) noexcept;

/// Tells the active watchdog (if any) to forget a group. Call it before
/// reaping the group's leader: until then its pid cannot be reused.
void unwatch_group(pid_t pgid) noexcept;

/// The active watchdog's token, "" when none is active.
std::string session_token();

} // namespace tdd::exec
