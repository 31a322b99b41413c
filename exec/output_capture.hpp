#pragma once

// Where a child's output goes: appended whole to a log file, and its last
// `limit` bytes kept in memory, so a command printing gigabytes costs
// O(limit) memory.

#include "exec/unique_fd.hpp"

#include <cstddef>
#include <string>

namespace tdd::exec {

class output_capture {
public:
  explicit output_capture(size_t limit) : limit_(limit) {}

  /// Opens `path` for appending (creating it and its parent directories).
  /// Returns "" or why it could not.
  [[nodiscard]] std::string open_log(const std::string& path);

  /// Logs `size` bytes and keeps them in the tail.
  void append(const char* data, size_t size);

  /// The last `limit` bytes appended.
  std::string take_tail();

  /// "" or why writing the log failed (it stopped there).
  const std::string& log_error() const noexcept { return log_error_; }

private:
  void write_log(const char* data, size_t size);

  size_t limit_;
  std::string tail_;
  unique_fd log_;
  std::string log_error_;
};

} // namespace tdd::exec
