#pragma once

// Whether a run is alive on a database: `run` holds an exclusive flock on
// `<db path>.lock` for as long as its process lives. The kernel drops the
// lock when the process dies, even by `kill -9`, so unlike the pid recorded
// in `runs` the lock cannot be fooled by a reused pid or a clock.

#include <chrono>
#include <optional>
#include <string>

namespace tdd::cli {

/// `<db path>.lock`, next to the database (resolved through symlinks, so
/// two names of one database share one lock).
std::string run_lock_path(const std::string& db_path);

/// The exclusive run lock, held while the object lives.
class run_lock {
public:
  /// Takes the lock of `db_path`'s database, creating the lock file if
  /// needed. Tries again for up to `patience` while another process holds
  /// it (a probe holds it for microseconds). Returns nullopt with `error`
  /// empty if another process still holds it, with `error` set if the file
  /// cannot be opened or locked.
  [[nodiscard]] static std::optional<run_lock>
  acquire(const std::string& db_path, std::chrono::milliseconds patience,
          std::string& error);

  run_lock(run_lock&& other) noexcept;
  run_lock& operator=(run_lock&& other) noexcept;
  run_lock(const run_lock&) = delete;
  run_lock& operator=(const run_lock&) = delete;
  ~run_lock();

private:
  explicit run_lock(int fd) noexcept : fd_(fd) {}

  int fd_ = -1;
};

/// Whether some process holds the run lock of `db_path`'s database: probes
/// with a shared lock, released at once. No lock file: no run ever took it,
/// so none is alive.
bool run_lock_held(const std::string& db_path);

} // namespace tdd::cli
