#pragma once

// What the Slack notifier decides (SPEC.md 6), as pure functions of the
// time passed in: which notification is throttled, when the next HTTP
// request may start (1 per second in total), how stage circuit openings
// are gathered into one message per minute, and when a failed request is
// tried again. The notifier actor (actors/notifier.hpp) does the I/O and
// feeds these its actor clock, so tests run on virtual time.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tdd::core {

/// Every kind of notification; `to_string` is the `notifications.event`
/// column.
enum class notify_event : uint8_t {
  run_started,
  run_finished,
  circuit_opened,        ///< a worker or the system circuit
  circuit_recovered,     ///< a worker or the system circuit closed again
  stage_circuits_opened, ///< one message for the stage circuits of a window
  system_halt,
  budget_exhausted,
  flapping,
};

std::string to_string(notify_event x);

/// Monotonic time, as the actor clock gives it.
using notify_time = std::chrono::steady_clock::time_point;

/// At most one notification per `window` for the same (event, subject).
/// The window starts at the notification that went through; throttled ones
/// do not extend it, so a circuit that keeps opening is reported again as
/// soon as the window is over.
class notify_throttle {
public:
  explicit notify_throttle(std::chrono::seconds window);

  /// True when (event, subject) may be sent at `now` (its window starts
  /// over); false when it is throttled.
  [[nodiscard]] bool admit(notify_event event, const std::string& subject,
                           notify_time now);

private:
  /// Forgets windows that are over, so a run with many stage circuits
  /// does not grow the map forever.
  void prune(notify_time now);

  std::chrono::seconds window_;
  std::map<std::pair<notify_event, std::string>, notify_time> last_;
};

/// The global pacing: one HTTP request per `interval` at most, whatever it
/// carries (retries included).
class notify_pacer {
public:
  explicit notify_pacer(std::chrono::milliseconds interval
                        = std::chrono::seconds{1});

  /// The earliest time a request wanted at `wanted` may start.
  notify_time earliest(notify_time wanted) const;

  /// A request ended at `at`: the next one waits `interval` from there.
  void note_request(notify_time at);

private:
  std::chrono::milliseconds interval_;
  std::optional<notify_time> last_;
};

/// Stage circuits that opened, gathered into one message per window: the
/// first opening starts a window and the message goes out when it ends.
class stage_batch {
public:
  explicit stage_batch(std::chrono::seconds window = std::chrono::seconds{60});

  /// Adds a circuit (its display id); a repeat within the window is kept
  /// once.
  void add(const std::string& circuit, notify_time now);

  /// When the gathered circuits are due; nullopt when none are gathered.
  std::optional<notify_time> due_at() const;

  bool is_due(notify_time now) const;

  /// The gathered circuits in the order they opened; empties the batch.
  std::vector<std::string> take();

private:
  std::chrono::seconds window_;
  std::optional<notify_time> started_;
  std::vector<std::string> circuits_;
};

/// Tries per notification (HTTP requests), the first included.
constexpr int notify_max_tries = 3;

/// Retry-After is obeyed within these bounds: a Slack that asks for an hour
/// would otherwise hold back every other notification that long.
constexpr std::chrono::seconds retry_after_min{1};
constexpr std::chrono::seconds retry_after_max{300};

/// 2xx: Slack took the message.
bool is_delivered(int status);

/// The wait a 429 asks for: `retry_after_s` clamped to [1, 300] seconds,
/// 1 second when absent.
std::chrono::seconds retry_after_delay(std::optional<int> retry_after_s);

/// Try number `tries` (1-based) failed with `status` (0: no response). The
/// wait before the next try (1 s after the first, 2 s after the second, a
/// 429's Retry-After instead), or nullopt to give up: after
/// notify_max_tries, and at once for a 4xx other than 408 and 429 (a bad
/// webhook or payload does not get better by asking again).
std::optional<std::chrono::seconds>
retry_delay(int tries, int status, std::optional<int> retry_after_s);

/// The delay-seconds form of a Retry-After header value ("30", blanks
/// around allowed); nullopt for anything else (an HTTP date, a sign, a
/// fraction). Huge values saturate at INT32_MAX.
std::optional<int> parse_retry_after(std::string_view value);

} // namespace tdd::core
