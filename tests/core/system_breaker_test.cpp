#include "circuit_test_support.hpp"
#include "core/circuit_breaker.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <string>
#include <vector>

using namespace tdd::core;
using namespace std::chrono_literals;
using tdd::test::event_names;
using tdd::test::t0;

namespace {

/// 50%, at least 2 workers, auto_recovery after 600 s, 60 s of grace.
system_circuit_settings auto_settings() {
  return {50, 2, true, 600s, 60s};
}

const auto system_deadline = t0 + 600s;

enum class system_input {
  tick_before,
  tick_at,
  tick_after,
  update_below, // 1 of 4 workers open
  update_over,  // 2 of 4 workers open: 50%, and min_workers
  success,
  fail_task,
  fail_worker,
  fail_usage,
  reset,
};

const char* name_of(system_input x) {
  constexpr std::array<const char*, 10> names{
    "tick_before", "tick_at",   "tick_after",  "update_below", "update_over",
    "success",     "fail_task", "fail_worker", "fail_usage",   "reset"};
  return names.at(static_cast<size_t>(x));
}

struct system_row {
  std::string start;
  system_input in;
  circuit_state expected;
  std::string events;
};

/// The system circuit in one of the states the table starts from.
system_breaker make_system(const std::string& start) {
  auto c = new_circuit(circuit_level::system, "system");
  auto settings = auto_settings();
  if (start.rfind("open", 0) == 0) {
    c.state = circuit_state::open;
    c.opened_at = t0;
    settings.auto_recovery = start == "open";
  } else if (start.rfind("half_open", 0) == 0) {
    c.state = circuit_state::half_open;
    c.opened_at = t0;
    c.half_open_at = system_deadline;
  }
  system_breaker b{settings, c};
  (void)b.update_workers(4, start == "half_open_over" ? 3 : 0, t0);
  return b;
}

circuit_events apply(system_breaker& b, system_input in, wall_time now) {
  switch (in) {
  case system_input::tick_before:
  case system_input::tick_at:
  case system_input::tick_after:
    return b.tick(now);
  case system_input::update_below:
    return b.update_workers(4, 1, now);
  case system_input::update_over:
    return b.update_workers(4, 2, now);
  case system_input::success:
    return b.record_success(now);
  case system_input::fail_task:
    return b.record_failure(failure_kind::task, "verify", now);
  case system_input::fail_worker:
    return b.record_failure(failure_kind::worker, "timeout", now);
  case system_input::fail_usage:
    return b.record_failure(failure_kind::usage_limit, "429", now);
  case system_input::reset:
    return b.reset(now);
  }
  return {};
}

wall_time time_of(system_input in) {
  if (in == system_input::tick_at) {
    return system_deadline;
  }
  return in == system_input::tick_after ? system_deadline + 1h
                                        : system_deadline - 1s;
}

constexpr auto closed = circuit_state::closed;
constexpr auto open = circuit_state::open;
constexpr auto half_open = circuit_state::half_open;

const std::string recovering = "recovery_started state_change";
const std::string recovered
  = "success_recorded recovery_succeeded state_change";
const std::string relapsing = "failure_recorded recovery_failed state_change";
const std::string resetting = "manual_reset state_change";

/// Every input, with the same expectation for the ones not listed.
std::vector<system_row> all_inputs(const std::string& start, circuit_state same,
                                   std::vector<system_row> special) {
  std::vector<system_row> out;
  for (int i = 0; i <= static_cast<int>(system_input::reset); ++i) {
    const auto in = static_cast<system_input>(i);
    system_row r{start, in, same, ""};
    for (const auto& s : special) {
      if (s.in == in) {
        r = s;
      }
    }
    out.push_back(r);
  }
  return out;
}

} // namespace

TEST_CASE("system breaker: every state x every input") {
  std::vector<std::vector<system_row>> groups{
    all_inputs("closed", closed,
               {{"closed", system_input::update_over, open,
                 "threshold_reached state_change"},
                {"closed", system_input::reset, closed, "manual_reset"}}),
    all_inputs("open", open,
               {{"open", system_input::tick_at, half_open, recovering},
                {"open", system_input::tick_after, half_open, recovering},
                {"open", system_input::reset, closed, resetting}}),
    all_inputs("open_manual", open,
               {{"open_manual", system_input::reset, closed, resetting}}),
    all_inputs("half_open", half_open,
               {{"half_open", system_input::success, closed, recovered},
                {"half_open", system_input::fail_worker, open, relapsing},
                {"half_open", system_input::reset, closed, resetting}}),
    all_inputs(
      "half_open_over", half_open,
      {{"half_open_over", system_input::success, half_open, "success_recorded"},
       {"half_open_over", system_input::fail_worker, open, relapsing},
       {"half_open_over", system_input::reset, closed, resetting}}),
  };
  for (const auto& rows : groups) {
    for (const auto& r : rows) {
      CAPTURE(r.start);
      CAPTURE(name_of(r.in));
      auto b = make_system(r.start);
      const auto before = b.state();
      const auto now = time_of(r.in);
      const auto events = apply(b, r.in, now);
      CHECK(b.state() == r.expected);
      CHECK(event_names(events) == r.events);
      tdd::test::check_events(events, now, before, b.state());
    }
  }
}

TEST_CASE("system threshold: percent, min_workers, all open, none") {
  struct threshold_case {
    int percent;
    int min_workers;
    int registered;
    int open;
    bool expected;
  };
  const std::vector<threshold_case> cases{
    {50, 2, 0, 0, false},   {50, 2, 0, 3, false}, // nobody registered
    {50, 2, 1, 0, false},   {50, 2, 1, 1, true},  // all open beats min
    {50, 2, 2, 1, false},   {50, 2, 2, 2, true},  // 50% but 1 < min
    {50, 2, 3, 1, false},   {50, 2, 3, 2, true},  // 66%
    {50, 2, 4, 2, true},    {50, 2, 5, 2, false}, // exactly 50%; 40%
    {50, 2, 10, 4, false},  {50, 2, 10, 5, true}, //
    {33, 1, 3, 1, true},    {34, 1, 3, 1, false}, // 33.3%: no rounding
    {1, 1, 1000, 10, true}, {1, 1, 1000, 9, false},
    {100, 1, 4, 3, false},  {100, 1, 4, 4, true},
    {50, 5, 4, 3, false},   {50, 5, 4, 4, true}, // min above registered
  };
  for (const auto& c : cases) {
    CAPTURE(c.percent);
    CAPTURE(c.min_workers);
    CAPTURE(c.registered);
    CAPTURE(c.open);
    system_breaker b{{c.percent, c.min_workers, false, 600s, 60s},
                     new_circuit(circuit_level::system, "system")};
    CHECK(b.is_over_threshold(c.registered, c.open) == c.expected);
    (void)b.update_workers(c.registered, c.open, t0);
    CHECK((b.state() == open) == c.expected);
  }
}

TEST_CASE("system breaker: dispatch limits and deadlines per state") {
  auto closed_b = make_system("closed");
  CHECK(closed_b.allow_dispatch());
  CHECK_FALSE(closed_b.max_dispatch_workers().has_value());
  CHECK_FALSE(closed_b.graceful_deadline().has_value());
  CHECK_FALSE(closed_b.next_deadline().has_value());
  CHECK_FALSE(closed_b.is_halted());
  auto open_b = make_system("open");
  CHECK_FALSE(open_b.allow_dispatch());
  CHECK(open_b.max_dispatch_workers() == 0);
  CHECK(open_b.graceful_deadline() == t0 + 60s);
  CHECK(open_b.next_deadline() == system_deadline);
  CHECK_FALSE(open_b.is_halted());
  auto manual = make_system("open_manual");
  CHECK(manual.is_halted());
  CHECK_FALSE(manual.next_deadline().has_value());
  CHECK(manual.graceful_deadline() == t0 + 60s);
  CHECK(manual.tick(t0 + 24h * 365).empty());
  auto half = make_system("half_open");
  CHECK(half.allow_dispatch());
  CHECK(half.max_dispatch_workers() == 1);
  CHECK_FALSE(half.graceful_deadline().has_value());
  CHECK_FALSE(half.is_halted());
}

TEST_CASE("system breaker: half_open closes once workers are below it") {
  auto b = make_system("half_open_over");
  CHECK(event_names(b.record_success(t0 + 700s)) == "success_recorded");
  CHECK(b.state() == half_open);
  CHECK(b.update_workers(4, 1, t0 + 710s).empty());
  CHECK(b.state() == half_open); // counts alone never close it
  CHECK(event_names(b.record_success(t0 + 720s)) == recovered);
  CHECK(b.allow_dispatch());
  // Closed again, the same counts that were over the threshold reopen it.
  CHECK(event_names(b.update_workers(4, 3, t0 + 730s))
        == "threshold_reached state_change");
}

TEST_CASE("system breaker: a failed trial reopens and restarts the delay") {
  auto b = make_system("half_open");
  const auto failed_at = t0 + 900s;
  (void)b.record_failure(failure_kind::worker, "agent_crash", failed_at);
  CHECK(b.state() == open);
  CHECK(b.snapshot().opened_at == failed_at);
  CHECK(b.graceful_deadline() == failed_at + 60s);
  CHECK(b.next_deadline() == failed_at + 600s);
  CHECK(b.tick(failed_at + 599s).empty());
  CHECK(event_names(b.tick(failed_at + 600s)) == recovering);
}

TEST_CASE("system breaker opens with the counts in its details") {
  system_breaker b{auto_settings(), new_circuit(circuit_level::system, "x")};
  CHECK(b.snapshot().identifier == "system");
  CHECK(b.update_workers(3, 1, t0).empty());
  const auto events = b.update_workers(3, 2, t0 + 1s);
  REQUIRE(events.size() == 2);
  const auto details = nlohmann::json::parse(events[0].details);
  CHECK(details["registered"] == 3);
  CHECK(details["open"] == 2);
  CHECK(details["threshold_percent"] == 50);
  CHECK(details["min_workers"] == 2);
  CHECK(b.snapshot().opened_at == t0 + 1s);
  // Recovering workers do not close an open system circuit.
  CHECK(b.update_workers(3, 0, t0 + 2s).empty());
  CHECK(b.state() == open);
}

TEST_CASE("system breaker restored mid-open continues its recovery delay") {
  auto c = new_circuit(circuit_level::system, "system");
  c.state = circuit_state::open;
  c.opened_at = t0;
  system_breaker b{auto_settings(), c}; // restarted at t0 + 100 s
  CHECK(b.tick(t0 + 100s).empty());
  CHECK(b.next_deadline() == t0 + 600s);
  CHECK(b.graceful_deadline() == t0 + 60s);
  CHECK(event_names(b.tick(t0 + 600s)) == recovering);
  // Restored half_open without counts: a success closes it.
  CHECK(event_names(b.record_success(t0 + 601s)) == recovered);
}
