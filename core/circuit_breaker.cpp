#include "core/circuit_breaker.hpp"

#include <algorithm>
#include <cstdint>
#include <utility>

namespace tdd::core {

namespace {

/// Drops changes older than the flapping window.
void prune_changes(std::vector<wall_time>& xs, wall_time now) {
  const auto cutoff = now - flapping_window;
  xs.erase(std::remove_if(xs.begin(), xs.end(),
                          [cutoff](wall_time t) { return t < cutoff; }),
           xs.end());
}

/// Keeps opened_at and half_open_at meaningful for the state entered:
/// opened_at while not closed, half_open_at while half_open.
void stamp_entry(circuit_snapshot& c, circuit_state to, wall_time now) {
  switch (to) {
  case circuit_state::open:
    c.opened_at = now;
    c.half_open_at.reset();
    return;
  case circuit_state::half_open:
    c.half_open_at = now;
    return;
  case circuit_state::closed:
    c.opened_at.reset();
    c.half_open_at.reset();
    return;
  }
}

} // namespace

// -- free functions -----------------------------------------------------------

bool is_flapping(const circuit_snapshot& c, wall_time now) {
  const auto cutoff = now - flapping_window;
  const auto changes
    = std::count_if(c.recent_changes.begin(), c.recent_changes.end(),
                    [&](wall_time t) { return t >= cutoff && t <= now; });
  return changes > flapping_max_changes;
}

circuit_snapshot new_circuit(circuit_level level, std::string identifier) {
  circuit_snapshot out;
  out.level = level;
  out.identifier = std::move(identifier);
  return out;
}

// -- circuit_breaker ----------------------------------------------------------

circuit_breaker::circuit_breaker(circuit_snapshot snapshot, circuit_level level)
    : snapshot_(std::move(snapshot)) {
  snapshot_.level = level;
}

void circuit_breaker::note(circuit_event_type type, std::string details,
                           wall_time now, circuit_events& out) const {
  out.push_back(
    {type, snapshot_.state, snapshot_.state, std::move(details), now});
}

void circuit_breaker::note_change(circuit_event_type type, circuit_state to,
                                  std::string details, wall_time now,
                                  circuit_events& out) const {
  out.push_back({type, snapshot_.state, to, std::move(details), now});
}

void circuit_breaker::move_to(circuit_state to, circuit_event_type cause,
                              wall_time now, circuit_events& out) {
  const auto from = snapshot_.state;
  // Flapping as of the previous change, not as of `now`: between two changes
  // of a steady flapper the window may briefly hold only 5, and that should
  // not announce it again on every change.
  const bool was_flapping
    = snapshot_.last_change_at
      && core::is_flapping(snapshot_, *snapshot_.last_change_at);
  snapshot_.state = to;
  snapshot_.last_change_at = now;
  stamp_entry(snapshot_, to, now);
  prune_changes(snapshot_.recent_changes, now);
  snapshot_.recent_changes.push_back(now);
  out.push_back({circuit_event_type::state_change, from, to,
                 event_details{}.add("cause", to_string(cause)).text(), now});
  if (was_flapping || !is_flapping(now)) {
    return;
  }
  const auto window = std::chrono::seconds{flapping_window};
  out.push_back(
    {circuit_event_type::flapping_detected, to, to,
     event_details{}
       .add("changes", static_cast<int64_t>(snapshot_.recent_changes.size()))
       .add("window_s", window.count())
       .text(),
     now});
}

void circuit_breaker::change_state(circuit_state to, circuit_event_type cause,
                                   std::string details, wall_time now,
                                   circuit_events& out) {
  note_change(cause, to, std::move(details), now, out);
  move_to(to, cause, now, out);
}

void circuit_breaker::count_failure(failure_kind kind, std::string_view reason,
                                    wall_time now, circuit_events& out) {
  ++snapshot_.failure_count;
  ++snapshot_.consecutive_failures;
  snapshot_.last_failure_at = now;
  note(circuit_event_type::failure_recorded,
       event_details{}
         .add("kind", to_string(kind))
         .add("reason", reason)
         .add("failure_count", snapshot_.failure_count)
         .add("consecutive_failures", snapshot_.consecutive_failures)
         .text(),
       now, out);
}

void circuit_breaker::count_success(wall_time now, circuit_events& out) {
  ++snapshot_.success_count;
  snapshot_.consecutive_failures = 0;
  note(circuit_event_type::success_recorded,
       event_details{}.add("success_count", snapshot_.success_count).text(),
       now, out);
}

wall_time circuit_breaker::opened_at_or_guess() const {
  return snapshot_.opened_at.value_or(
    snapshot_.last_change_at.value_or(wall_time{}));
}

void circuit_breaker::reset_snapshot(wall_time now, circuit_events& out) {
  const auto details
    = event_details{}
        .add("failure_count", snapshot_.failure_count)
        .add("consecutive_failures", snapshot_.consecutive_failures)
        .add("extensions", snapshot_.extensions)
        .text();
  snapshot_.failure_count = 0;
  snapshot_.consecutive_failures = 0;
  snapshot_.extensions = 0;
  if (snapshot_.state == circuit_state::closed) {
    note(circuit_event_type::manual_reset, details, now, out);
    return;
  }
  change_state(circuit_state::closed, circuit_event_type::manual_reset, details,
               now, out);
}

// -- stage_breaker ------------------------------------------------------------

stage_breaker::stage_breaker(stage_circuit_settings settings,
                             circuit_snapshot snapshot)
    : trial_breaker(std::move(snapshot), circuit_level::stage),
      settings_(settings) {}

std::optional<wall_time> stage_breaker::next_deadline() const {
  if (state() != circuit_state::open) {
    return std::nullopt;
  }
  return opened_at_or_guess() + settings_.recovery_timeout_s;
}

circuit_events trial_breaker::half_open_when_due(std::optional<wall_time> due,
                                                 std::chrono::seconds after,
                                                 wall_time now) {
  circuit_events out;
  if (!due || now < *due) {
    return out;
  }
  end_trial();
  change_state(circuit_state::half_open, circuit_event_type::recovery_started,
               event_details{}.add("after_s", after.count()).text(), now, out);
  return out;
}

admission trial_breaker::admit(circuit_events events) {
  admission out{false, std::move(events)};
  if (state() == circuit_state::closed) {
    out.allowed = true;
  } else if (state() == circuit_state::half_open && !trial_in_flight_) {
    trial_in_flight_ = true;
    out.allowed = true;
  }
  return out;
}

circuit_events stage_breaker::tick(wall_time now) {
  return half_open_when_due(next_deadline(), settings_.recovery_timeout_s, now);
}

admission stage_breaker::allow(wall_time now) {
  return admit(tick(now));
}

circuit_events stage_breaker::record_success(wall_time now) {
  circuit_events out;
  count_success(now, out);
  if (state() == circuit_state::open) {
    return out; // a late outcome: only a trial or a reset closes
  }
  data().failure_count = 0;
  if (state() == circuit_state::half_open) {
    end_trial();
    change_state(circuit_state::closed, circuit_event_type::recovery_succeeded,
                 "{}", now, out);
  }
  return out;
}

circuit_events stage_breaker::record_failure(failure_kind kind,
                                             std::string_view reason,
                                             wall_time now) {
  circuit_events out;
  if (kind != failure_kind::task) {
    end_trial(); // no verdict on the stage: it may try again
    return out;
  }
  count_failure(kind, reason, now, out);
  if (state() == circuit_state::half_open) {
    end_trial();
    change_state(circuit_state::open, circuit_event_type::recovery_failed,
                 event_details{}.add("reason", reason).text(), now, out);
    return out;
  }
  const auto failures = snapshot().failure_count;
  if (state() == circuit_state::closed && failures >= settings_.max_failures) {
    change_state(circuit_state::open, circuit_event_type::threshold_reached,
                 event_details{}
                   .add("failure_count", failures)
                   .add("max_failures", settings_.max_failures)
                   .text(),
                 now, out);
  }
  return out;
}

circuit_events stage_breaker::reset(wall_time now) {
  circuit_events out;
  end_trial();
  reset_snapshot(now, out);
  return out;
}

} // namespace tdd::core
