#include "exec/output_capture.hpp"

#include "exec/process_env.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

namespace tdd::exec {

std::string output_capture::open_log(const std::string& path) {
  const auto parent = std::filesystem::path{path}.parent_path();
  std::error_code ec;
  if (!parent.empty()) {
    std::filesystem::create_directories(parent, ec);
  }
  if (ec) {
    return "cannot create " + parent.string() + ": " + ec.message();
  }
  log_.reset(
    ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!log_.is_open()) {
    return "cannot open log " + path + ": " + error_text(errno);
  }
  return "";
}

void output_capture::append(const char* data, size_t size) {
  write_log(data, size);
  if (limit_ == 0) {
    return;
  }
  if (size >= limit_) {
    tail_.assign(data + (size - limit_), limit_);
    return;
  }
  tail_.append(data, size);
  // Trim only when twice the limit: amortized O(1) per byte.
  if (tail_.size() >= 2 * limit_) {
    tail_.erase(0, tail_.size() - limit_);
  }
}

std::string output_capture::take_tail() {
  if (tail_.size() > limit_) {
    tail_.erase(0, tail_.size() - limit_);
  }
  return std::move(tail_);
}

void output_capture::write_log(const char* data, size_t size) {
  while (log_.is_open() && size > 0) {
    const auto n = ::write(log_.get(), data, size);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      log_error_ = "writing the log failed: " + error_text(errno);
      log_.reset(); // a full disk must not stop the command: stop logging
      return;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
}

} // namespace tdd::exec
