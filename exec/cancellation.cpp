#include "exec/cancellation.hpp"

#include <sys/eventfd.h>

#include <cstdint>

namespace tdd::exec {

cancellation::cancellation()
    : event_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

void cancellation::cancel() noexcept {
  if (cancelled_.exchange(true)) {
    return;
  }
  if (event_.is_open()) {
    // Nobody ever reads the counter: it stays non-zero, so every waiter,
    // present or future, sees the descriptor readable.
    uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(event_.get(), &one, sizeof one);
  }
}

bool cancellation::is_cancelled() const noexcept {
  return cancelled_.load();
}

} // namespace tdd::exec
