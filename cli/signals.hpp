#pragma once

// Signals as the CLI's long-running commands (`run`, `serve`) take them:
// blocked in every thread before any thread exists, then waited for by one.

#include <pthread.h>

#include <atomic>
#include <csignal>
#include <ctime>
#include <functional>
#include <thread>

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

/// One thread waits for the blocked signals in `set` and calls `on_signal`
/// for each, until destroyed.
class signal_forwarder {
public:
  signal_forwarder(const sigset_t& set, std::function<void()> on_signal)
      : thread_([this, set, f = std::move(on_signal)] {
          timespec timeout{0, 200'000'000};
          while (!stop_) {
            if (sigtimedwait(&set, nullptr, &timeout) > 0) {
              f();
            }
          }
        }) {}
  ~signal_forwarder() {
    stop_ = true;
    thread_.join();
  }
  signal_forwarder(const signal_forwarder&) = delete;
  signal_forwarder& operator=(const signal_forwarder&) = delete;

private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

} // namespace tdd::cli
