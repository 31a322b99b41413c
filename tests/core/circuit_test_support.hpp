#pragma once

// Table-driven checks shared by the circuit breaker tests: a row names a
// start state, one input and the expected state and event types.

#include "core/circuit_breaker.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace tdd::test {

using namespace std::chrono_literals;

/// Far from the epoch, so "a deadline already due" is never an accident.
inline const core::wall_time t0 = core::wall_time{} + 24h * 365 * 50;

/// "failure_recorded threshold_reached state_change" ("" for none).
inline std::string event_names(const core::circuit_events& xs) {
  std::string out;
  for (const auto& x : xs) {
    out += (out.empty() ? "" : " ") + core::to_string(x.type);
  }
  return out;
}

/// Every event is stamped `now`, carries a JSON object, and a state_change
/// leads from `before` to the final state with nothing skipped.
inline void check_events(const core::circuit_events& xs, core::wall_time now,
                         core::circuit_state before,
                         core::circuit_state after) {
  auto state = before;
  for (const auto& x : xs) {
    CAPTURE(core::to_string(x.type));
    CHECK(x.at == now);
    const auto details = nlohmann::json::parse(x.details, nullptr, false);
    CHECK_MESSAGE(details.is_object(), x.details);
    if (x.type == core::circuit_event_type::state_change) {
      CHECK(x.from == state);
      CHECK(x.from != x.to);
      state = x.to;
    }
  }
  CHECK(state == after);
}

/// The inputs every stage and worker breaker takes. `before`/`at`/`after`
/// are relative to the open circuit's deadline; the others happen 1 s
/// before it.
enum class input {
  allow_before,
  allow_at,
  tick_before,
  tick_at,
  tick_after,
  success,
  fail_task,
  fail_worker,
  fail_usage,
  reset,
};

inline const char* name_of(input x) {
  constexpr std::array<const char*, 10> names{
    "allow_before", "allow_at",  "tick_before", "tick_at",    "tick_after",
    "success",      "fail_task", "fail_worker", "fail_usage", "reset"};
  return names.at(static_cast<size_t>(x));
}

struct row {
  std::string start; ///< a name the test's `make` function knows
  input in;
  core::circuit_state expected;
  std::string events;
  bool allowed = false; ///< for allow_*: the admission; else ignored
};

/// When `in` happens, given the open circuit's deadline.
inline core::wall_time time_of(input in, core::wall_time deadline) {
  if (in == input::allow_at || in == input::tick_at) {
    return deadline;
  }
  return in == input::tick_after ? deadline + 1h : deadline - 1s;
}

/// Applies `in` at `time_of(in, deadline)`; returns the events and, for
/// allow_*, the admission in `allowed`.
template <class Breaker>
core::circuit_events apply(Breaker& b, input in, core::wall_time deadline,
                           bool& allowed) {
  const auto now = time_of(in, deadline);
  switch (in) {
  case input::allow_before:
  case input::allow_at: {
    auto a = b.allow(now);
    allowed = a.allowed;
    return a.events;
  }
  case input::tick_before:
  case input::tick_at:
  case input::tick_after:
    return b.tick(now);
  case input::success:
    return b.record_success(now);
  case input::fail_task:
    return b.record_failure(core::failure_kind::task, "red_test_passes", now);
  case input::fail_worker:
    return b.record_failure(core::failure_kind::worker, "timeout", now);
  case input::fail_usage:
    return b.record_failure(core::failure_kind::usage_limit, "limit", now);
  case input::reset:
    return b.reset(now);
  }
  return {};
}

/// Runs every row: `make(start)` builds the breaker, `deadline` is when its
/// open circuit may half-open.
template <class Breaker>
void run_table(const std::vector<row>& rows,
               const std::function<Breaker(const std::string&)>& make,
               core::wall_time deadline) {
  for (const auto& r : rows) {
    CAPTURE(r.start);
    CAPTURE(name_of(r.in));
    auto b = make(r.start);
    const auto before = b.state();
    bool allowed = false;
    const auto events = apply(b, r.in, deadline, allowed);
    CHECK(b.state() == r.expected);
    CHECK(event_names(events) == r.events);
    if (r.in == input::allow_before || r.in == input::allow_at) {
      CHECK(allowed == r.allowed);
    }
    check_events(events, time_of(r.in, deadline), before, b.state());
  }
}

} // namespace tdd::test
