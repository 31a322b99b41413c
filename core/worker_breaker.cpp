// worker_breaker, declared in circuit_breaker.hpp.

#include "core/circuit_breaker.hpp"

#include <algorithm>
#include <utility>

namespace tdd::core {

namespace {

/// Pauses saturate here: a time_point in nanoseconds overflows ~292 years
/// after the epoch, and a 10-year pause is "until reset" in practice.
constexpr std::chrono::seconds max_pause = std::chrono::hours{24 * 3653};

/// Enough doublings to pass max_pause from 1 s, few enough not to overflow.
constexpr int max_doublings = 30;

} // namespace

worker_breaker::worker_breaker(worker_circuit_settings settings,
                               circuit_snapshot snapshot)
    : trial_breaker(std::move(snapshot), circuit_level::worker),
      settings_(settings) {}

std::chrono::seconds worker_breaker::current_pause() const {
  const auto doublings
    = std::clamp(std::min(snapshot().extensions, settings_.max_extensions), 0,
                 max_doublings);
  return std::min(settings_.pause_s * (int64_t{1} << doublings), max_pause);
}

bool worker_breaker::is_exhausted() const {
  return state() == circuit_state::open
         && snapshot().extensions > settings_.max_extensions;
}

std::optional<wall_time> worker_breaker::next_deadline() const {
  if (state() != circuit_state::open || is_exhausted()) {
    return std::nullopt;
  }
  return opened_at_or_guess() + current_pause();
}

circuit_events worker_breaker::tick(wall_time now) {
  return half_open_when_due(next_deadline(), current_pause(), now);
}

admission worker_breaker::allow(wall_time now) {
  return admit(tick(now));
}

circuit_events worker_breaker::record_success(wall_time now) {
  circuit_events out;
  count_success(now, out);
  if (state() != circuit_state::half_open) {
    return out;
  }
  end_trial();
  data().failure_count = 0;
  data().extensions = 0;
  change_state(circuit_state::closed, circuit_event_type::recovery_succeeded,
               "{}", now, out);
  return out;
}

circuit_events worker_breaker::record_failure(failure_kind kind,
                                              std::string_view reason,
                                              wall_time now) {
  circuit_events out;
  if (kind != failure_kind::worker) {
    end_trial(); // the worker did its job: no verdict
    return out;
  }
  count_failure(kind, reason, now, out);
  if (state() == circuit_state::half_open) {
    fail_trial(reason, now, out);
    return out;
  }
  const auto failures = snapshot().consecutive_failures;
  if (state() == circuit_state::closed
      && failures >= settings_.max_consecutive_failures) {
    change_state(
      circuit_state::open, circuit_event_type::threshold_reached,
      event_details{}
        .add("consecutive_failures", failures)
        .add("max_consecutive_failures", settings_.max_consecutive_failures)
        .add("pause_s", current_pause().count())
        .text(),
      now, out);
  }
  return out;
}

void worker_breaker::fail_trial(std::string_view reason, wall_time now,
                                circuit_events& out) {
  end_trial();
  auto& c = data();
  const bool can_extend = c.extensions < settings_.max_extensions;
  c.extensions = can_extend ? c.extensions + 1 : settings_.max_extensions + 1;
  note_change(circuit_event_type::recovery_failed, circuit_state::open,
              event_details{}
                .add("reason", reason)
                .add("until", can_extend ? "pause" : "reset")
                .text(),
              now, out);
  if (can_extend) {
    note_change(circuit_event_type::extension_applied, circuit_state::open,
                event_details{}
                  .add("extensions", c.extensions)
                  .add("pause_s", current_pause().count())
                  .text(),
                now, out);
  }
  move_to(circuit_state::open, circuit_event_type::recovery_failed, now, out);
}

circuit_events worker_breaker::reset(wall_time now) {
  circuit_events out;
  end_trial();
  reset_snapshot(now, out);
  return out;
}

} // namespace tdd::core
