#pragma once

// Owner of one file descriptor: closed when the owner goes away, so no
// error path in exec/ can leak a pipe end into the next child.

#include <unistd.h>

#include <utility>

namespace tdd::exec {

class unique_fd {
public:
  unique_fd() noexcept = default;
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  unique_fd(unique_fd&& other) noexcept : fd_(other.release()) {}
  unique_fd& operator=(unique_fd&& other) noexcept {
    reset(other.release());
    return *this;
  }
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  ~unique_fd() { reset(); }

  /// The descriptor, or -1; still owned by this object.
  int get() const noexcept { return fd_; }
  bool is_open() const noexcept { return fd_ >= 0; }

  /// Gives up ownership without closing.
  int release() noexcept { return std::exchange(fd_, -1); }

  /// Closes the current descriptor (if any) and owns `fd` instead.
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) {
      ::close(fd_); // nothing useful to do on error: the fd is gone anyway
    }
    fd_ = fd;
  }

private:
  int fd_ = -1;
};

} // namespace tdd::exec
