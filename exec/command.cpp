#include "exec/command.hpp"

#include "exec/cancellation.hpp"
#include "exec/child_process.hpp"
#include "exec/output_capture.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <csignal>
#include <optional>
#include <string_view>
#include <vector>

namespace tdd::exec {

namespace {

// The one place in exec/ that reads a clock (STYLE.md "Time").
using steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

/// How long we keep reading after the group was killed: by then only a
/// process that left the group (setsid) can still hold the pipe open.
constexpr milliseconds drain_bound{500};
/// Longest poll() when a child's exit or a cancel has no descriptor.
constexpr milliseconds poll_step{50};
constexpr size_t chunk_size = size_t{64} * 1024;
/// Chunks read per wake-up, so a child that never stops writing cannot
/// keep us from checking deadlines.
constexpr int chunks_per_wakeup = 16;

/// Blocks SIGPIPE in this thread while alive, so that writing to the stdin
/// of a child that exited fails with EPIPE instead of killing us, then
/// swallows the SIGPIPE that left pending.
class sigpipe_guard {
public:
  sigpipe_guard() noexcept {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  sigpipe_guard(const sigpipe_guard&) = delete;
  sigpipe_guard& operator=(const sigpipe_guard&) = delete;
  sigpipe_guard(sigpipe_guard&&) = delete;
  sigpipe_guard& operator=(sigpipe_guard&&) = delete;
  ~sigpipe_guard() {
    if (!was_pending_) {
      const timespec zero{};
      while (sigtimedwait(&pipe_, nullptr, &zero) == SIGPIPE) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

private:
  sigset_t pipe_{};
  sigset_t old_{};
  bool was_pending_ = false;
};

enum class stop_reason { none, timeout, cancel };

/// The wait loop of one command: feeds stdin, reads output, enforces the
/// timeout and the cancellation, and kills what is left of the group.
class command_wait {
public:
  command_wait(const command_spec& spec, child_process& child,
               output_capture& output, steady::time_point start)
      : spec_(spec), child_(child), output_(output), input_(spec.stdin_data) {
    if (spec.timeout.count() > 0) {
      deadline_ = start + spec.timeout;
    }
    if (input_.empty()) {
      child_.close_stdin();
    }
  }

  /// Returns once the child exited, its group was killed and its output
  /// read to the end (or for `drain_bound`).
  void run() {
    while (true) {
      const auto now = steady::now();
      check_deadlines(now);
      check_exit(now);
      if (group_killed_ && (child_.output_fd() < 0 || now >= *drain_until_)) {
        break;
      }
      poll_once(poll_timeout(now));
    }
    read_output(); // whatever a lingering holder of the pipe left in it
    child_.close_output();
  }

  stop_reason reason() const noexcept { return reason_; }

private:
  void check_deadlines(steady::time_point now) {
    if (reason_ == stop_reason::none && !exited_) {
      if (spec_.cancel && spec_.cancel->is_cancelled()) {
        begin_stop(stop_reason::cancel, now);
      } else if (deadline_ && now >= *deadline_) {
        begin_stop(stop_reason::timeout, now);
      }
    }
    if (kill_at_ && !sigkill_sent_ && !exited_ && now >= *kill_at_) {
      child_.signal_group(SIGKILL);
      sigkill_sent_ = true;
    }
  }

  void begin_stop(stop_reason reason, steady::time_point now) {
    reason_ = reason;
    child_.signal_group(SIGTERM);
    child_.close_stdin();
    kill_at_ = now + spec_.kill_grace;
  }

  /// Once the child exited, SIGKILLs the rest of its group: at once after
  /// a normal exit, or when stopping, once the group let go of the pipe
  /// or the grace ran out. The child is still unreaped, so its pid cannot
  /// have been reused for another group.
  void check_exit(steady::time_point now) {
    if (!exited_ && child_.has_exited()) {
      exited_ = true;
      child_.close_stdin();
    }
    if (!exited_ || group_killed_) {
      return;
    }
    if (reason_ == stop_reason::none || child_.output_fd() < 0
        || now >= *kill_at_) {
      child_.signal_group(SIGKILL);
      group_killed_ = true;
      drain_until_ = now + drain_bound;
    }
  }

  int poll_timeout(steady::time_point now) const {
    std::optional<steady::time_point> next;
    const auto consider = [&next](std::optional<steady::time_point> x) {
      if (x && (!next || *x < *next)) {
        next = x;
      }
    };
    if (reason_ == stop_reason::none) {
      consider(deadline_);
    }
    if (!group_killed_) {
      consider(kill_at_);
    }
    consider(drain_until_);
    const bool blind = (!exited_ && child_.exit_fd() < 0)
                       || (reason_ == stop_reason::none && spec_.cancel
                           && spec_.cancel->wait_fd() < 0);
    auto wait
      = next ? std::chrono::ceil<milliseconds>(*next - now) : milliseconds{-1};
    if (blind && (wait.count() < 0 || wait > poll_step)) {
      wait = poll_step;
    }
    return static_cast<int>(std::clamp<milliseconds::rep>(
      wait.count(), next || blind ? 0 : -1, INT_MAX));
  }

  void poll_once(int timeout_ms) {
    // Descriptors we do not need now are -1, which poll() ignores.
    const bool stopping = reason_ != stop_reason::none;
    std::array<pollfd, 4> fds{{
      {child_.output_fd(), POLLIN, 0},
      {exited_ ? -1 : child_.stdin_fd(), POLLOUT, 0},
      {exited_ ? -1 : child_.exit_fd(), POLLIN, 0}, // only to wake us
      {stopping || !spec_.cancel ? -1 : spec_.cancel->wait_fd(), POLLIN, 0},
    }};
    if (::poll(fds.data(), fds.size(), timeout_ms) <= 0) {
      return; // timeout, or EINTR: the loop checks everything again
    }
    if (fds[0].revents != 0) {
      read_output();
    }
    if (fds[1].revents != 0) {
      write_input();
    }
  }

  void read_output() {
    buffer_.resize(chunk_size);
    for (int i = 0; i < chunks_per_wakeup && child_.output_fd() >= 0; ++i) {
      const auto n = ::read(child_.output_fd(), buffer_.data(), chunk_size);
      if (n > 0) {
        output_.append(buffer_.data(), static_cast<size_t>(n));
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && errno == EAGAIN) {
        return;
      } else {
        child_.close_output(); // EOF: nobody holds the write end any more
      }
    }
  }

  void write_input() {
    const auto size = std::min(input_.size(), chunk_size);
    const auto n = ::write(child_.stdin_fd(), input_.data(), size);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      return;
    }
    if (n > 0) {
      input_.remove_prefix(static_cast<size_t>(n));
    }
    if (n <= 0 || input_.empty()) {
      child_.close_stdin(); // done, or EPIPE: the child wants no more
    }
  }

  const command_spec& spec_;
  child_process& child_;
  output_capture& output_;
  std::string_view input_; ///< stdin still to write
  std::vector<char> buffer_;
  std::optional<steady::time_point> deadline_;    ///< from spec.timeout
  std::optional<steady::time_point> kill_at_;     ///< SIGTERM sent + grace
  std::optional<steady::time_point> drain_until_; ///< group SIGKILLed
  stop_reason reason_ = stop_reason::none;
  bool exited_ = false;
  bool sigkill_sent_ = false;
  bool group_killed_ = false;
};

command_result not_started(std::string error) {
  command_result result;
  result.spawn_failed = true;
  result.exit_code = 127; // what a shell reports for "command not found"
  result.error = std::move(error);
  return result;
}

milliseconds elapsed_since(steady::time_point start) {
  return std::chrono::duration_cast<milliseconds>(steady::now() - start);
}

} // namespace

command_result run_command(const command_spec& spec) {
  const auto start = steady::now();
  if (spec.cancel && spec.cancel->is_cancelled()) {
    command_result result;
    result.cancelled = true;
    return result;
  }
  output_capture output{spec.capture_limit};
  if (!spec.log_path.empty()) {
    if (auto why = output.open_log(spec.log_path); !why.empty()) {
      return not_started(std::move(why));
    }
  }
  const sigpipe_guard guard;
  auto spawned = child_process::spawn(spec);
  if (!spawned.child) {
    auto result = not_started(std::move(spawned.error));
    result.duration = elapsed_since(start);
    return result;
  }
  command_wait wait{spec, *spawned.child, output, start};
  wait.run();
  command_result result;
  result.exit_code = spawned.child->reap();
  result.timed_out = wait.reason() == stop_reason::timeout;
  result.cancelled = wait.reason() == stop_reason::cancel;
  result.output = output.take_tail();
  result.error = output.log_error();
  result.duration = elapsed_since(start);
  return result;
}

} // namespace tdd::exec
