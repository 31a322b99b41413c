#include "cli/run_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>
#include <thread>
#include <utility>

namespace tdd::cli {

namespace {

/// flock(`fd`, `op` | LOCK_NB) through EINTR: 0, or an errno value.
int try_lock(int fd, int op) {
  while (::flock(fd, op | LOCK_NB) != 0) {
    if (errno != EINTR) {
      return errno;
    }
  }
  return 0;
}

} // namespace

std::string run_lock_path(const std::string& db_path) {
  std::error_code ec;
  auto path = std::filesystem::weakly_canonical(db_path, ec);
  if (ec) {
    path = db_path;
  }
  return path.string() + ".lock";
}

std::optional<run_lock> run_lock::acquire(const std::string& db_path,
                                          std::chrono::milliseconds patience,
                                          std::string& error) {
  const auto path = run_lock_path(db_path);
  // O_CLOEXEC: no child may inherit the lock (exec/ also closes every
  // descriptor above 2 in children, and the watchdog closes all of them).
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = "cannot open the run lock " + path + ": "
            + std::generic_category().message(errno);
    return std::nullopt;
  }
  run_lock lock{fd};
  const auto deadline = std::chrono::steady_clock::now() + patience;
  for (;;) {
    const int err = try_lock(fd, LOCK_EX);
    if (err == 0) {
      return lock;
    }
    if (err != EWOULDBLOCK) {
      error
        = "cannot lock " + path + ": " + std::generic_category().message(err);
      return std::nullopt;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return std::nullopt; // held by another process
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
}

run_lock::run_lock(run_lock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)) {}

run_lock& run_lock::operator=(run_lock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

run_lock::~run_lock() {
  if (fd_ >= 0) {
    ::close(fd_); // drops the lock
  }
}

bool run_lock_held(const std::string& db_path) {
  const auto path = run_lock_path(db_path);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    // No file: no run ever locked this database. Any other error: we
    // cannot tell, and a live run is the safe guess (callers then hand
    // changes to it instead of writing behind its back).
    return errno != ENOENT;
  }
  const int err = try_lock(fd, LOCK_SH);
  ::close(fd); // releases the probe's lock at once
  return err != 0;
}

} // namespace tdd::cli
