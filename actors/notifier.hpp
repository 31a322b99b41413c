#pragma once

// The Slack notifier (SPEC.md 6). It turns progress events of the run and
// circuit changes of the hub into Slack messages, throttles them per
// (event, subject), paces requests to 1 per second, gathers stage circuit
// openings into one message per minute, retries as core/notify_policy.hpp
// says, and records every notification in the store (sent, throttled or
// failed). A failure is logged and recorded, never more: the run does not
// wait for Slack.
//
// Posting is synchronous (the poster blocks until Slack answers or the
// timeout), so production spawns the notifier `caf::detached`: a hanging
// Slack then holds only this thread. All waiting (pacing, backoff, the
// batch window, the stop deadline) is on the actor clock, so tests run it
// on the test coordinator with a fake poster and virtual time.

#include "actors/circuit_common.hpp"
#include "actors/slack_message.hpp"
#include "core/notify_policy.hpp"
#include "exec/http_post.hpp"
#include "messages/circuit_actors.hpp"
#include "messages/circuit_change.hpp"
#include "messages/monitoring.hpp"
#include "messages/progress.hpp"
#include "messages/store_actor.hpp"

#include <caf/actor_clock.hpp>
#include <caf/replies_to.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/timespan.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace tdd {

/// The notifier. Its handle converts to circuit_listener_actor, which is
/// what the hub forwards changes to.
using notifier_actor = caf::typed_actor<
  /// A step of the run, forwarded by the CLI's progress actor: run start
  /// and finish, and halts (outcome `budget` or `system_circuit`).
  caf::reacts_to<atom::progress, progress_event>,
  /// A circuit changed (forwarded by the circuit hub): openings,
  /// recoveries, flapping.
  caf::reacts_to<atom::changed, circuit_change>,
  /// Internal: a send, a retry or the end of a stage batch window is due.
  caf::reacts_to<atom::tick>,
  /// Sends the stage batch and the queue (paced as always) until the stop
  /// deadline; what cannot start in time is recorded `failed` with error
  /// "shutdown". Replies true when nothing was given up. Whatever arrives
  /// afterwards is recorded as given up at once.
  caf::replies_to<atom::stop>::with<bool>>;

/// Posts one JSON body to Slack. Blocking.
using slack_poster
  = std::function<exec::http_post_result(const std::string& body)>;

struct notifier_config {
  /// The webhook URL: a secret, never logged or recorded. Used only when
  /// `poster` is empty (then each body goes to exec::http_post).
  std::string webhook;
  /// Replaces the HTTP request (tests).
  slack_poster poster;
  exec::http_timeouts timeouts;
  std::chrono::seconds throttle{300};
  int64_t run_id = 0;
  store_actor store; ///< where records go; null: nowhere (tests)
  /// Wall time when the notifier starts: records are stamped from it and
  /// the actor clock. The composition root passes system_clock::now().
  core::wall_time wall_start;
  /// How long `stop` keeps sending.
  caf::timespan stop_deadline = std::chrono::seconds{10};
  /// The longest one post can take (the poster's total timeout): after
  /// `stop`, a try starts only if it ends before the deadline.
  caf::timespan post_budget = std::chrono::seconds{5};
};

struct notifier_state {
  static inline constexpr const char* name = "notifier";

  /// A notification waiting to be sent (or tried again).
  struct pending {
    slack_notification note;
    std::string payload;
    int32_t tries = 0;
    caf::actor_clock::time_point not_before; ///< backoff, Retry-After
    std::string error;                       ///< of the last try
  };

  notifier_config config;
  wall_anchor clock;
  core::notify_throttle throttle{std::chrono::seconds{300}};
  core::notify_pacer pacer;
  core::stage_batch batch;
  std::deque<pending> queue;
  std::optional<caf::timestamp> run_started_at;
  /// When the earliest pending tick fires; later ones are then harmless.
  std::optional<caf::actor_clock::time_point> timer_at;
  /// Set by `stop`: no try starts that could end after it.
  std::optional<caf::actor_clock::time_point> deadline;
  std::vector<caf::typed_response_promise<bool>> stop_waiters;
  bool stopped = false; ///< `stop` was answered
  bool gave_up = false; ///< something was recorded failed at shutdown
  /// The last records, for tests and debugging (the store has them all).
  std::deque<notification_record> recent;
};

/// Records kept in `notifier_state::recent`.
constexpr size_t notifier_recent_records = 256;

/// Notifications waiting at most; more are recorded failed ("queue full").
/// A hanging Slack takes some 18 s per message (3 tries, 5 s each, and the
/// backoff), while throttling bounds what arrives: this is never reached
/// unless Slack is down for a long run.
constexpr size_t notifier_max_queue = 500;

notifier_actor::behavior_type
notifier(notifier_actor::stateful_pointer<notifier_state> self,
         notifier_config config);

} // namespace tdd
