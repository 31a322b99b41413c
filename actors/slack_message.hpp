#pragma once

// The body of a Slack message (Block Kit) for one notification: a `text`
// fallback (what phones and screen readers show) and `blocks` (a header
// and a section of fields). Built with nlohmann::json, so task text and
// reasons, whatever bytes they hold, are escaped as JSON; Slack's own
// control sequences (`<!channel>`, `<url|text>`) are escaped too, so a task
// title cannot mention everyone.

#include "core/notify_policy.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tdd {

/// One notification as the notifier decided it. Fields that do not apply
/// to the event stay empty / 0.
struct slack_notification {
  core::notify_event event = core::notify_event::run_started;
  /// The throttle key: `run:ID` for run events, a circuit's display id
  /// (`worker:worker_2`, `system`), `stage` for a stage batch.
  std::string subject;
  int64_t run_id = 0;
  std::string outcome; ///< run_finished: complete, blocked, halted, ...
  std::string detail;  ///< the run's description or a reason; any bytes
  int32_t tasks_total = 0;
  int32_t tasks_complete = 0;
  int32_t tasks_blocked = 0;
  int64_t invocations = 0; ///< agent calls settled so far
  int64_t cost_micros = 0;
  std::optional<std::chrono::milliseconds> duration; ///< run_finished
  int32_t failures = 0; ///< circuits: failures counted when it changed
  std::vector<std::string> circuits; ///< stage batch: display ids, in order
};

/// At most this many stage circuits are named in one message; the rest are
/// counted ("and 12 more").
constexpr size_t slack_max_named_circuits = 20;

/// The JSON body to POST to the webhook (compact, valid UTF-8: invalid
/// bytes become U+FFFD).
std::string slack_message(const slack_notification& x);

/// "45s", "2m 5s", "1h 3m".
std::string format_duration(std::chrono::milliseconds d);

} // namespace tdd
