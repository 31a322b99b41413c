// system_breaker, declared in circuit_breaker.hpp.

#include "core/circuit_breaker.hpp"

#include <cstdint>
#include <utility>

namespace tdd::core {

system_breaker::system_breaker(system_circuit_settings settings,
                               circuit_snapshot snapshot)
    : circuit_breaker(std::move(snapshot), circuit_level::system),
      settings_(settings) {
  data().identifier = "system";
}

bool system_breaker::is_over_threshold(int registered, int open) const {
  if (registered <= 0 || open <= 0) {
    return false;
  }
  if (open >= registered) {
    return true;
  }
  // Integer cross-multiplication: 1 of 3 is 33.3%, over 33 and under 34.
  const auto percent_met
    = int64_t{open} * 100
      >= int64_t{settings_.failure_threshold_percent} * registered;
  return percent_met && open >= settings_.min_workers;
}

circuit_events system_breaker::update_workers(int registered, int open,
                                              wall_time now) {
  circuit_events out;
  registered_ = registered;
  open_workers_ = open;
  if (state() != circuit_state::closed
      || !is_over_threshold(registered, open)) {
    return out;
  }
  change_state(circuit_state::open, circuit_event_type::threshold_reached,
               event_details{}
                 .add("registered", registered)
                 .add("open", open)
                 .add("threshold_percent", settings_.failure_threshold_percent)
                 .add("min_workers", settings_.min_workers)
                 .text(),
               now, out);
  return out;
}

std::optional<wall_time> system_breaker::next_deadline() const {
  if (state() != circuit_state::open || !settings_.auto_recovery) {
    return std::nullopt;
  }
  return opened_at_or_guess() + settings_.recovery_delay_s;
}

circuit_events system_breaker::tick(wall_time now) {
  circuit_events out;
  const auto due = next_deadline();
  if (!due || now < *due) {
    return out;
  }
  change_state(
    circuit_state::half_open, circuit_event_type::recovery_started,
    event_details{}.add("after_s", settings_.recovery_delay_s.count()).text(),
    now, out);
  return out;
}

bool system_breaker::allow_dispatch() const {
  return state() != circuit_state::open;
}

std::optional<int> system_breaker::max_dispatch_workers() const {
  switch (state()) {
  case circuit_state::closed:
    return std::nullopt;
  case circuit_state::half_open:
    return 1;
  case circuit_state::open:
    return 0;
  }
  return 0;
}

std::optional<wall_time> system_breaker::graceful_deadline() const {
  if (state() != circuit_state::open) {
    return std::nullopt;
  }
  return opened_at_or_guess() + settings_.graceful_shutdown_s;
}

bool system_breaker::is_halted() const {
  return state() == circuit_state::open && !settings_.auto_recovery;
}

circuit_events system_breaker::record_success(wall_time now) {
  circuit_events out;
  if (state() != circuit_state::half_open) {
    return out;
  }
  count_success(now, out);
  if (is_over_threshold(registered_, open_workers_)) {
    return out; // still widespread failure: keep going with one worker
  }
  data().failure_count = 0;
  change_state(circuit_state::closed, circuit_event_type::recovery_succeeded,
               "{}", now, out);
  return out;
}

circuit_events system_breaker::record_failure(failure_kind kind,
                                              std::string_view reason,
                                              wall_time now) {
  circuit_events out;
  if (state() != circuit_state::half_open || kind != failure_kind::worker) {
    return out;
  }
  count_failure(kind, reason, now, out);
  change_state(circuit_state::open, circuit_event_type::recovery_failed,
               event_details{}.add("reason", reason).text(), now, out);
  return out;
}

circuit_events system_breaker::reset(wall_time now) {
  circuit_events out;
  reset_snapshot(now, out);
  return out;
}

} // namespace tdd::core
