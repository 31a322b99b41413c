#pragma once

// Gives freed heap memory back to the system now and then, for processes
// that run for hours (`run`, `worker`).
//
// Every blocking job runs on a thread of its own (actors/blocking_job.hpp),
// and glibc gives threads their own malloc arenas. Memory freed in an arena
// stays in the process unless it is at the arena's top, so the resident
// set crept up with every task (about 8 KB a task with 16 workers in
// bench/store) while the live heap stayed near 8 MB. malloc_trim(0)
// releases the free pages of every arena; it takes a few milliseconds.

#include <malloc.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace tdd::cli {

/// Calls malloc_trim(0) every `every` on a thread of its own, until
/// destroyed.
class memory_trimmer {
public:
  explicit memory_trimmer(std::chrono::milliseconds every
                          = std::chrono::seconds{10})
      : thread_([this, every] {
          std::unique_lock<std::mutex> guard{mutex_};
          while (!cv_.wait_for(guard, every, [this] { return stop_; })) {
            guard.unlock();
            malloc_trim(0);
            guard.lock();
          }
        }) {}
  ~memory_trimmer() {
    {
      std::lock_guard<std::mutex> guard{mutex_};
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  memory_trimmer(const memory_trimmer&) = delete;
  memory_trimmer& operator=(const memory_trimmer&) = delete;

private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_; ///< last: starts once the members above exist
};

} // namespace tdd::cli
