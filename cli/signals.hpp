#pragma once

// Signals as the CLI's long-running commands (`run`, `serve`) take them:
// blocked in every thread before any thread exists, then waited for by one.

#include <pthread.h>

#include <csignal>

namespace tdd::cli {

/// Blocks SIGINT and SIGTERM in this thread (and every thread it starts)
/// for its lifetime; restores the old mask at the end.
class blocked_signals {
public:
  blocked_signals() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
  }
  ~blocked_signals() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
  blocked_signals(const blocked_signals&) = delete;
  blocked_signals& operator=(const blocked_signals&) = delete;
  const sigset_t& set() const { return set_; }

private:
  sigset_t set_;
  sigset_t old_;
};

} // namespace tdd::cli
