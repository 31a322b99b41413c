#pragma once

// A flag another thread sets to stop a running command (shutdown, lease
// lost). It also owns an eventfd that becomes readable on cancel, so a
// thread blocked in poll() wakes at once instead of at its next timeout.

#include "exec/unique_fd.hpp"

#include <atomic>

namespace tdd::exec {

class cancellation {
public:
  cancellation();
  cancellation(const cancellation&) = delete;
  cancellation& operator=(const cancellation&) = delete;
  cancellation(cancellation&&) = delete;
  cancellation& operator=(cancellation&&) = delete;
  ~cancellation() = default;

  /// Requests cancellation; idempotent, safe from any thread.
  void cancel() noexcept;

  /// True once `cancel()` was called.
  bool is_cancelled() const noexcept;

  /// A descriptor that becomes (and stays) readable after `cancel()`, for
  /// poll(); -1 if the eventfd could not be created, in which case waiters
  /// must also check `is_cancelled()` on a short timeout.
  int wait_fd() const noexcept { return event_.get(); }

private:
  std::atomic<bool> cancelled_{false};
  unique_fd event_;
};

} // namespace tdd::exec
