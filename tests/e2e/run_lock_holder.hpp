#pragma once

// Plays a live `orchestrator run` for commands that ask whether one is
// alive (status, tasks retry, circuits reset): holds the run lock of a
// database (cli/run_lock.hpp) the way `run` does.

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <string>

namespace tdd::test {

class run_lock_holder {
public:
  /// Takes the exclusive lock on `<db_path>.lock`; fails the test if
  /// another process holds it.
  explicit run_lock_holder(const std::string& db_path)
      : fd_(::open((db_path + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC,
                   0600)) {
    REQUIRE(fd_ >= 0);
    REQUIRE(::flock(fd_, LOCK_EX | LOCK_NB) == 0);
  }
  ~run_lock_holder() { ::close(fd_); }
  run_lock_holder(const run_lock_holder&) = delete;
  run_lock_holder& operator=(const run_lock_holder&) = delete;

private:
  int fd_;
};

} // namespace tdd::test
