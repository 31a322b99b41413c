#include "core/circuit_breaker.hpp"

#include "circuit_test_support.hpp"

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

const stage_circuit_settings stage_settings{3, 300s};
const auto stage_deadline = t0 + 300s;

/// A stage circuit in one of the states the table starts from.
stage_breaker make_stage(const std::string& start) {
  auto c = new_circuit(circuit_level::stage, "CALC-1:green");
  if (start == "closed_2_failures") {
    c.failure_count = 2;
    c.consecutive_failures = 2;
  } else if (start == "open") {
    c.state = circuit_state::open;
    c.failure_count = 3;
    c.consecutive_failures = 3;
    c.opened_at = t0;
  } else if (start.rfind("half_open", 0) == 0) {
    c.state = circuit_state::half_open;
    c.failure_count = 3;
    c.opened_at = t0;
    c.half_open_at = stage_deadline;
  }
  stage_breaker b{stage_settings, c};
  if (start == "half_open_trial") {
    REQUIRE(b.allow(stage_deadline).allowed);
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
const std::string relapsing = "failure_recorded recovery_failed state_change";
const std::string resetting = "manual_reset state_change";

} // namespace

TEST_CASE("stage breaker: every state x every input") {
  const std::vector<row> rows{
    {"closed", input::allow_before, closed, "", true},
    {"closed", input::allow_at, closed, "", true},
    {"closed", input::tick_before, closed, ""},
    {"closed", input::tick_at, closed, ""},
    {"closed", input::tick_after, closed, ""},
    {"closed", input::success, closed, "success_recorded"},
    {"closed", input::fail_task, closed, "failure_recorded"},
    {"closed", input::fail_worker, closed, ""},
    {"closed", input::fail_usage, closed, ""},
    {"closed", input::reset, closed, "manual_reset"},
    {"closed_2_failures", input::allow_at, closed, "", true},
    {"closed_2_failures", input::tick_after, closed, ""},
    {"closed_2_failures", input::success, closed, "success_recorded"},
    {"closed_2_failures", input::fail_task, open, opening},
    {"closed_2_failures", input::fail_worker, closed, ""},
    {"closed_2_failures", input::fail_usage, closed, ""},
    {"closed_2_failures", input::reset, closed, "manual_reset"},
    {"open", input::allow_before, open, "", false},
    {"open", input::allow_at, half_open, recovering, true},
    {"open", input::tick_before, open, ""},
    {"open", input::tick_at, half_open, recovering},
    {"open", input::tick_after, half_open, recovering},
    {"open", input::success, open, "success_recorded"},
    {"open", input::fail_task, open, "failure_recorded"},
    {"open", input::fail_worker, open, ""},
    {"open", input::fail_usage, open, ""},
    {"open", input::reset, closed, resetting},
    {"half_open", input::allow_before, half_open, "", true},
    {"half_open", input::allow_at, half_open, "", true},
    {"half_open", input::tick_before, half_open, ""},
    {"half_open", input::tick_at, half_open, ""},
    {"half_open", input::tick_after, half_open, ""},
    {"half_open", input::success, closed, recovered},
    {"half_open", input::fail_task, open, relapsing},
    {"half_open", input::fail_worker, half_open, ""},
    {"half_open", input::fail_usage, half_open, ""},
    {"half_open", input::reset, closed, resetting},
    {"half_open_trial", input::allow_before, half_open, "", false},
    {"half_open_trial", input::allow_at, half_open, "", false},
    {"half_open_trial", input::tick_after, half_open, ""},
    {"half_open_trial", input::success, closed, recovered},
    {"half_open_trial", input::fail_task, open, relapsing},
    {"half_open_trial", input::fail_worker, half_open, ""},
    {"half_open_trial", input::fail_usage, half_open, ""},
    {"half_open_trial", input::reset, closed, resetting},
  };
  tdd::test::run_table<stage_breaker>(rows, make_stage, stage_deadline);
}

TEST_CASE("stage breaker opens at max_failures with the counters kept") {
  stage_breaker b{stage_settings, new_circuit(circuit_level::stage, "K:red")};
  CHECK(b.snapshot().level == circuit_level::stage);
  CHECK(event_names(b.record_failure(failure_kind::task, "x", t0))
        == "failure_recorded");
  CHECK(event_names(b.record_failure(failure_kind::task, "x", t0 + 1s))
        == "failure_recorded");
  CHECK_FALSE(b.next_deadline().has_value());
  const auto events = b.record_failure(failure_kind::task, "x", t0 + 2s);
  REQUIRE(events.size() == 3);
  CHECK(events[1].from == closed);
  CHECK(events[1].to == open);
  const auto details = nlohmann::json::parse(events[1].details);
  CHECK(details["failure_count"] == 3);
  CHECK(details["max_failures"] == 3);
  CHECK(nlohmann::json::parse(events[2].details)["cause"]
        == "threshold_reached");
  const auto& s = b.snapshot();
  CHECK(s.failure_count == 3);
  CHECK(s.consecutive_failures == 3);
  CHECK(s.opened_at == t0 + 2s);
  CHECK(s.last_failure_at == t0 + 2s);
  CHECK(s.last_change_at == t0 + 2s);
  CHECK(b.next_deadline() == t0 + 2s + 300s);
}

TEST_CASE("stage breaker: a success in closed zeroes the failures") {
  stage_breaker b{stage_settings, new_circuit(circuit_level::stage, "K:red")};
  (void)b.record_failure(failure_kind::task, "x", t0);
  (void)b.record_failure(failure_kind::task, "x", t0);
  (void)b.record_success(t0);
  CHECK(b.snapshot().failure_count == 0);
  CHECK(b.snapshot().success_count == 1);
  (void)b.record_failure(failure_kind::task, "x", t0);
  (void)b.record_failure(failure_kind::task, "x", t0);
  CHECK(b.state() == closed);
}

TEST_CASE("stage breaker recovers after exactly recovery_timeout_s") {
  auto b = make_stage("open");
  CHECK(b.tick(stage_deadline - 1s).empty());
  CHECK_FALSE(b.allow(stage_deadline - 1s).allowed);
  CHECK(b.state() == open);
  const auto a = b.allow(stage_deadline);
  CHECK(a.allowed);
  CHECK(event_names(a.events) == recovering);
  CHECK(b.snapshot().half_open_at == stage_deadline);
  CHECK(b.snapshot().opened_at == t0);
  CHECK(b.has_trial_in_flight());
  CHECK_FALSE(b.allow(stage_deadline + 1s).allowed);
  CHECK(event_names(b.record_success(stage_deadline + 2s)) == recovered);
  CHECK(b.snapshot().failure_count == 0);
  CHECK_FALSE(b.snapshot().opened_at.has_value());
  CHECK_FALSE(b.snapshot().half_open_at.has_value());
  CHECK(b.allow(stage_deadline + 3s).allowed);
}

TEST_CASE("stage breaker: a failed trial reopens with a fresh timeout") {
  auto b = make_stage("half_open_trial");
  const auto failed_at = stage_deadline + 50s;
  (void)b.record_failure(failure_kind::task, "verify_failed", failed_at);
  CHECK(b.state() == open);
  CHECK(b.snapshot().opened_at == failed_at);
  CHECK(b.snapshot().failure_count == 4);
  CHECK(b.next_deadline() == failed_at + 300s);
  CHECK(b.tick(failed_at + 299s).empty());
  CHECK(event_names(b.tick(failed_at + 300s)) == recovering);
}

TEST_CASE("stage breaker: a worker failure ends the trial without verdict") {
  auto b = make_stage("half_open_trial");
  CHECK(b.record_failure(failure_kind::worker, "timeout", t0 + 400s).empty());
  CHECK_FALSE(b.has_trial_in_flight());
  CHECK(b.allow(t0 + 401s).allowed);
  CHECK(b.record_failure(failure_kind::usage_limit, "", t0 + 402s).empty());
  CHECK(b.allow(t0 + 403s).allowed);
  CHECK(b.state() == half_open);
  CHECK(b.snapshot().failure_count == 3);
}

TEST_CASE("usage limits never count, task failures only count for stages") {
  stage_breaker stage{stage_settings,
                      new_circuit(circuit_level::stage, "K:red")};
  worker_breaker worker{{3, 300s, 3},
                        new_circuit(circuit_level::worker, "worker_1")};
  for (int i = 0; i < 10; ++i) {
    const auto now = t0 + std::chrono::seconds{i};
    CHECK(stage.record_failure(failure_kind::usage_limit, "429", now).empty());
    CHECK(worker.record_failure(failure_kind::usage_limit, "429", now).empty());
  }
  CHECK(stage.snapshot().failure_count == 0);
  CHECK(worker.snapshot().consecutive_failures == 0);
  for (int i = 0; i < 3; ++i) {
    (void)stage.record_failure(failure_kind::task, "green_modified_test", t0);
    (void)worker.record_failure(failure_kind::task, "green_modified_test", t0);
  }
  CHECK(stage.state() == open);
  CHECK(worker.state() == closed);
  CHECK(worker.snapshot().failure_count == 0);
  stage_breaker other{stage_settings, new_circuit(circuit_level::stage, "K:x")};
  for (int i = 0; i < 3; ++i) {
    (void)other.record_failure(failure_kind::worker, "agent_crash", t0);
    (void)worker.record_failure(failure_kind::worker, "agent_crash", t0);
  }
  CHECK(other.state() == closed);
  CHECK(worker.state() == open);
}

TEST_CASE("stage breaker restored mid-open continues its timer") {
  auto c = new_circuit(circuit_level::stage, "K:verify");
  c.state = circuit_state::open;
  c.failure_count = 3;
  c.opened_at = t0;
  c.version = 7;
  stage_breaker b{stage_settings, c}; // restarted at t0 + 100 s
  CHECK(b.tick(t0 + 100s).empty());
  CHECK(b.next_deadline() == t0 + 300s);
  CHECK(b.tick(t0 + 299s).empty());
  CHECK(event_names(b.tick(t0 + 300s)) == recovering);
  CHECK(b.snapshot().version == 7); // the store's business, untouched
  CHECK(b.snapshot().identifier == "K:verify");
}

TEST_CASE("an open snapshot without opened_at falls back to last_change_at") {
  auto c = new_circuit(circuit_level::stage, "K:verify");
  c.state = circuit_state::open;
  c.last_change_at = t0;
  CHECK(stage_breaker{stage_settings, c}.next_deadline() == t0 + 300s);
  c.last_change_at.reset();
  stage_breaker b{stage_settings, c};
  CHECK(b.next_deadline() == wall_time{} + 300s);
  CHECK(b.allow(t0).allowed); // due long ago: a trial, not stuck
}

TEST_CASE("reset zeroes the counters and records the previous ones") {
  auto b = make_stage("open");
  const auto events = b.reset(t0 + 10s);
  REQUIRE(events.size() == 2);
  CHECK(events[0].type == circuit_event_type::manual_reset);
  CHECK(events[0].from == open);
  CHECK(events[0].to == closed);
  CHECK(nlohmann::json::parse(events[0].details)["failure_count"] == 3);
  CHECK(b.snapshot().failure_count == 0);
  CHECK(b.snapshot().consecutive_failures == 0);
  CHECK_FALSE(b.snapshot().opened_at.has_value());
  CHECK_FALSE(b.next_deadline().has_value());
  // Resetting a closed circuit still leaves a trace, but no state change.
  const auto again = b.reset(t0 + 20s);
  CHECK(event_names(again) == "manual_reset");
  CHECK(again[0].from == closed);
  CHECK(again[0].to == closed);
}

TEST_CASE("failure details are JSON with the reason escaped") {
  stage_breaker b{stage_settings, new_circuit(circuit_level::stage, "K:red")};
  const std::string reason = "say \"hi\"\\\n\t\x01 $(rm -rf /)";
  const auto events = b.record_failure(failure_kind::task, reason, t0);
  REQUIRE(events.size() == 1);
  const auto details = nlohmann::json::parse(events[0].details);
  CHECK(details["kind"] == "task");
  CHECK(details["reason"] == reason);
  CHECK(details["failure_count"] == 1);
  CHECK(details["consecutive_failures"] == 1);
}
