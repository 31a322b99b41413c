#include "circuit_test_support.hpp"
#include "core/circuit_breaker.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

using namespace tdd::core;
using namespace std::chrono_literals;
using tdd::test::event_names;
using tdd::test::input;
using tdd::test::row;
using tdd::test::t0;

namespace {

const worker_circuit_settings worker_settings{3, 300s, 3};
const auto worker_deadline = t0 + 300s;

/// A worker circuit in one of the states the table starts from.
worker_breaker make_worker(const std::string& start) {
  auto c = new_circuit(circuit_level::worker, "worker_1");
  if (start == "closed_2_failures") {
    c.failure_count = 2;
    c.consecutive_failures = 2;
  } else if (start == "open" || start == "open_exhausted") {
    c.state = circuit_state::open;
    c.failure_count = 3;
    c.consecutive_failures = 3;
    c.opened_at = t0;
    c.extensions = start == "open" ? 0 : 4;
  } else if (start.rfind("half_open", 0) == 0) {
    c.state = circuit_state::half_open;
    c.failure_count = 3;
    c.consecutive_failures = 3;
    c.opened_at = t0;
    c.half_open_at = worker_deadline;
    c.extensions = start == "half_open_ext3" ? 3 : 0;
  }
  worker_breaker b{worker_settings, c};
  if (start == "half_open_trial") {
    REQUIRE(b.allow(worker_deadline).allowed);
  }
  return b;
}

constexpr auto closed = circuit_state::closed;
constexpr auto open = circuit_state::open;
constexpr auto half_open = circuit_state::half_open;

const std::string opening = "failure_recorded threshold_reached state_change";
const std::string recovering = "recovery_started state_change";
const std::string recovered
  = "success_recorded recovery_succeeded state_change";
const std::string extending
  = "failure_recorded recovery_failed extension_applied state_change";
const std::string exhausting = "failure_recorded recovery_failed state_change";
const std::string resetting = "manual_reset state_change";

/// Fails the worker `n` times at `now`.
void fail(worker_breaker& b, int n, wall_time now) {
  for (int i = 0; i < n; ++i) {
    (void)b.record_failure(failure_kind::worker, "agent_crash", now);
  }
}

} // namespace

TEST_CASE("worker breaker: every state x every input") {
  const std::vector<row> rows{
    {"closed", input::allow_before, closed, "", true},
    {"closed", input::allow_at, closed, "", true},
    {"closed", input::tick_before, closed, ""},
    {"closed", input::tick_at, closed, ""},
    {"closed", input::tick_after, closed, ""},
    {"closed", input::success, closed, "success_recorded"},
    {"closed", input::fail_task, closed, ""},
    {"closed", input::fail_worker, closed, "failure_recorded"},
    {"closed", input::fail_usage, closed, ""},
    {"closed", input::reset, closed, "manual_reset"},
    {"closed_2_failures", input::allow_at, closed, "", true},
    {"closed_2_failures", input::tick_after, closed, ""},
    {"closed_2_failures", input::success, closed, "success_recorded"},
    {"closed_2_failures", input::fail_task, closed, ""},
    {"closed_2_failures", input::fail_worker, open, opening},
    {"closed_2_failures", input::fail_usage, closed, ""},
    {"closed_2_failures", input::reset, closed, "manual_reset"},
    {"open", input::allow_before, open, "", false},
    {"open", input::allow_at, half_open, recovering, true},
    {"open", input::tick_before, open, ""},
    {"open", input::tick_at, half_open, recovering},
    {"open", input::tick_after, half_open, recovering},
    {"open", input::success, open, "success_recorded"},
    {"open", input::fail_task, open, ""},
    {"open", input::fail_worker, open, "failure_recorded"},
    {"open", input::fail_usage, open, ""},
    {"open", input::reset, closed, resetting},
    {"open_exhausted", input::allow_before, open, "", false},
    {"open_exhausted", input::allow_at, open, "", false},
    {"open_exhausted", input::tick_at, open, ""},
    {"open_exhausted", input::tick_after, open, ""},
    {"open_exhausted", input::success, open, "success_recorded"},
    {"open_exhausted", input::fail_worker, open, "failure_recorded"},
    {"open_exhausted", input::fail_task, open, ""},
    {"open_exhausted", input::fail_usage, open, ""},
    {"open_exhausted", input::reset, closed, resetting},
    {"half_open", input::allow_before, half_open, "", true},
    {"half_open", input::allow_at, half_open, "", true},
    {"half_open", input::tick_before, half_open, ""},
    {"half_open", input::tick_at, half_open, ""},
    {"half_open", input::tick_after, half_open, ""},
    {"half_open", input::success, closed, recovered},
    {"half_open", input::fail_task, half_open, ""},
    {"half_open", input::fail_worker, open, extending},
    {"half_open", input::fail_usage, half_open, ""},
    {"half_open", input::reset, closed, resetting},
    {"half_open_trial", input::allow_before, half_open, "", false},
    {"half_open_trial", input::allow_at, half_open, "", false},
    {"half_open_trial", input::tick_after, half_open, ""},
    {"half_open_trial", input::success, closed, recovered},
    {"half_open_trial", input::fail_task, half_open, ""},
    {"half_open_trial", input::fail_worker, open, extending},
    {"half_open_trial", input::fail_usage, half_open, ""},
    {"half_open_trial", input::reset, closed, resetting},
    {"half_open_ext3", input::success, closed, recovered},
    {"half_open_ext3", input::fail_worker, open, exhausting},
    {"half_open_ext3", input::fail_task, half_open, ""},
    {"half_open_ext3", input::reset, closed, resetting},
  };
  tdd::test::run_table<worker_breaker>(rows, make_worker, worker_deadline);
}

TEST_CASE("worker breaker counts consecutive worker failures only") {
  worker_breaker b{worker_settings,
                   new_circuit(circuit_level::worker, "n1.worker_2")};
  fail(b, 2, t0);
  // A task failure neither counts nor resets the run of worker failures.
  CHECK(b.record_failure(failure_kind::task, "red_test_passes", t0).empty());
  CHECK(b.snapshot().consecutive_failures == 2);
  (void)b.record_success(t0 + 1s);
  CHECK(b.snapshot().consecutive_failures == 0);
  CHECK(b.snapshot().failure_count == 2); // since the circuit last closed
  fail(b, 2, t0 + 2s);
  CHECK(b.state() == closed);
  const auto events
    = b.record_failure(failure_kind::worker, "timeout", t0 + 3s);
  CHECK(event_names(events) == opening);
  const auto details = nlohmann::json::parse(events[1].details);
  CHECK(details["consecutive_failures"] == 3);
  CHECK(details["pause_s"] == 300);
  CHECK(b.snapshot().opened_at == t0 + 3s);
  CHECK(b.next_deadline() == t0 + 3s + 300s);
}

TEST_CASE("worker pause doubles up to max_extensions, then stays open") {
  worker_breaker b{worker_settings,
                   new_circuit(circuit_level::worker, "worker_1")};
  fail(b, 3, t0);
  auto now = t0;
  for (const auto pause : {300s, 600s, 1200s, 2400s}) {
    CAPTURE(pause.count());
    CHECK(b.current_pause() == pause);
    CHECK(b.next_deadline() == now + pause);
    CHECK(b.tick(now + pause - 1s).empty());
    now += pause;
    const auto a = b.allow(now);
    REQUIRE(a.allowed);
    CHECK(b.state() == half_open);
    const auto events = b.record_failure(failure_kind::worker, "crash", now);
    CHECK(b.state() == open);
    CHECK(b.snapshot().opened_at == now);
    if (pause < 2400s) {
      CHECK(event_names(events) == extending);
      const auto details = nlohmann::json::parse(events[2].details);
      CHECK(details["extensions"] == b.snapshot().extensions);
      CHECK(details["pause_s"] == (pause * 2).count());
    } else {
      CHECK(event_names(events) == exhausting);
    }
  }
  CHECK(b.is_exhausted());
  CHECK(b.snapshot().extensions == 4);
  CHECK_FALSE(b.next_deadline().has_value());
  CHECK(b.tick(now + 24h * 365).empty());
  CHECK_FALSE(b.allow(now + 24h * 365).allowed);
  CHECK(event_names(b.reset(now + 1h)) == resetting);
  CHECK(b.snapshot().extensions == 0);
  CHECK_FALSE(b.is_exhausted());
  fail(b, 3, now + 2h);
  CHECK(b.next_deadline() == now + 2h + 300s);
}

TEST_CASE("worker breaker: a successful trial closes and forgets extensions") {
  auto b = make_worker("half_open_ext3");
  REQUIRE(b.allow(worker_deadline).allowed);
  CHECK(event_names(b.record_success(worker_deadline + 5s)) == recovered);
  CHECK(b.snapshot().extensions == 0);
  CHECK(b.snapshot().failure_count == 0);
  CHECK(b.snapshot().consecutive_failures == 0);
  CHECK(b.current_pause() == 300s);
}

TEST_CASE("worker breaker with max_extensions 0 gives one trial") {
  worker_breaker b{{2, 60s, 0}, new_circuit(circuit_level::worker, "w")};
  fail(b, 2, t0);
  CHECK(b.allow(t0 + 60s).allowed);
  CHECK(event_names(b.record_failure(failure_kind::worker, "x", t0 + 61s))
        == exhausting);
  CHECK(b.is_exhausted());
  CHECK(b.snapshot().extensions == 1);
}

TEST_CASE("worker breaker: task and usage failures end a trial, no verdict") {
  auto b = make_worker("half_open_trial");
  CHECK(b.record_failure(failure_kind::task, "verify", t0 + 400s).empty());
  CHECK(b.allow(t0 + 401s).allowed);
  CHECK(b.record_failure(failure_kind::usage_limit, "", t0 + 402s).empty());
  CHECK(b.allow(t0 + 403s).allowed);
  CHECK(b.state() == half_open);
  CHECK(b.snapshot().extensions == 0);
}

TEST_CASE("worker breaker restored mid-pause continues the doubled timer") {
  auto c = new_circuit(circuit_level::worker, "worker_3");
  c.state = circuit_state::open;
  c.extensions = 2;
  c.opened_at = t0;
  worker_breaker b{worker_settings, c};
  CHECK(b.current_pause() == 1200s);
  CHECK(b.next_deadline() == t0 + 1200s);
  CHECK(b.tick(t0 + 1199s).empty());
  const auto events = b.tick(t0 + 1200s);
  CHECK(event_names(events) == recovering);
  CHECK(nlohmann::json::parse(events[0].details)["after_s"] == 1200);
  // A restart forgets the trial that was in flight: one may start.
  c.state = circuit_state::half_open;
  worker_breaker restarted{worker_settings, c};
  CHECK_FALSE(restarted.has_trial_in_flight());
  CHECK(restarted.allow(t0 + 1300s).allowed);
}

TEST_CASE("lowering max_extensions exhausts a circuit past it") {
  auto c = new_circuit(circuit_level::worker, "worker_3");
  c.state = circuit_state::open;
  c.extensions = 3;
  c.opened_at = t0;
  CHECK(worker_breaker{{3, 300s, 3}, c}.next_deadline() == t0 + 2400s);
  CHECK(worker_breaker{{3, 300s, 2}, c}.is_exhausted());
  CHECK_FALSE(worker_breaker{{3, 300s, 2}, c}.next_deadline().has_value());
}

TEST_CASE("worker pause saturates instead of overflowing") {
  auto c = new_circuit(circuit_level::worker, "worker_3");
  c.state = circuit_state::open;
  c.extensions = 60;
  c.opened_at = t0;
  worker_breaker b{{3, 300s, 100}, c};
  CHECK(b.current_pause() == 24h * 3653); // ten years
  CHECK(b.next_deadline() == t0 + 24h * 3653);
}
