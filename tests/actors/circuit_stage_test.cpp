// The stage circuit actor on the test coordinator: virtual time, a real
// store on a temporary file.

#include "actors/stage_circuit.hpp"
#include "circuit_test_support.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace tdd;
using namespace std::chrono_literals;
using core::circuit_event_type;
using core::circuit_level;
using core::circuit_state;
using core::failure_kind;
using test::base_time;

TEST_CASE_FIXTURE(test::circuit_fixture,
                  "a stage circuit opens at max_failures, allows one trial "
                  "after the recovery timeout, and a success closes it") {
  auto aut = spawn_stage("A:red");
  CHECK(ask<bool>(aut, atom::allow_v));
  fail(aut, failure_kind::task, 2, "red_test_passes");
  CHECK(get(aut).state == circuit_state::closed);
  fail(aut, failure_kind::task, 1, "red_test_passes");
  auto x = get(aut);
  CHECK(x.state == circuit_state::open);
  CHECK(x.failure_count == 3);
  CHECK(x.opened_at == base_time);
  CHECK(!ask<bool>(aut, atom::allow_v));
  advance(299s);
  CHECK(get(aut).state == circuit_state::open);
  CHECK(!ask<bool>(aut, atom::allow_v));
  advance(1s); // the tick at opened_at + recovery_timeout_s
  CHECK(get(aut).state == circuit_state::half_open);
  CHECK(ask<bool>(aut, atom::allow_v));  // the trial
  CHECK(!ask<bool>(aut, atom::allow_v)); // only one at a time
  succeed(aut);
  x = get(aut);
  CHECK(x.state == circuit_state::closed);
  CHECK(x.failure_count == 0);
  // Saves: three failures, recovery_started, the success.
  CHECK(x.version == 5);
  auto stored = row(circuit_level::stage, "A:red");
  REQUIRE(stored);
  CHECK(stored->version == 5);
  CHECK(stored->state == circuit_state::closed);
  CHECK(count(circuit_level::stage, "A:red", circuit_event_type::state_change)
        == 3);
  CHECK(
    count(circuit_level::stage, "A:red", circuit_event_type::recovery_succeeded)
    == 1);
}

TEST_CASE_FIXTURE(test::circuit_fixture,
                  "a stage circuit counts task failures only, with the "
                  "reason as given") {
  auto aut = spawn_stage("A:green");
  fail(aut, failure_kind::usage_limit, 5);
  fail(aut, failure_kind::worker, 5, "agent_crash");
  auto x = get(aut);
  CHECK(x.state == circuit_state::closed);
  CHECK(x.failure_count == 0);
  CHECK(x.version == 0);                        // nothing to save
  CHECK(!row(circuit_level::stage, "A:green")); // so no row
  fail(aut, failure_kind::task, 1, "green_modified_test \"x\"");
  CHECK(get(aut).failure_count == 1);
  const auto stored = events(circuit_level::stage, "A:green");
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].type == circuit_event_type::failure_recorded);
  CHECK(stored[0].details.find(R"("kind":"task")") != std::string::npos);
  CHECK(stored[0].details.find(R"("reason":"green_modified_test \"x\"")")
        != std::string::npos);
}

TEST_CASE_FIXTURE(test::circuit_fixture,
                  "a failed stage trial reopens the circuit for another "
                  "recovery timeout, and a worker failure ends a trial "
                  "without a verdict") {
  auto aut = spawn_stage();
  fail(aut, failure_kind::task, 3);
  advance(300s);
  REQUIRE(ask<bool>(aut, atom::allow_v));
  fail(aut, failure_kind::worker); // not the stage's fault: try again
  CHECK(get(aut).state == circuit_state::half_open);
  REQUIRE(ask<bool>(aut, atom::allow_v));
  fail(aut, failure_kind::task);
  auto x = get(aut);
  CHECK(x.state == circuit_state::open);
  CHECK(x.opened_at == base_time + 300s);
  advance(299s);
  CHECK(get(aut).state == circuit_state::open);
  advance(1s);
  CHECK(get(aut).state == circuit_state::half_open);
  CHECK(
    count(circuit_level::stage, "A:red", circuit_event_type::recovery_failed)
    == 1);
}

TEST_CASE_FIXTURE(test::circuit_fixture,
                  "a stage circuit without a hub stops when clean and idle, "
                  "never with an attempt in flight") {
  auto aut = spawn_stage();
  self->monitor(aut);
  CHECK(ask<bool>(aut, atom::allow_v)); // no outcome yet
  advance(120s);
  CHECK(get(aut).state == circuit_state::closed); // still there
  succeed(aut);
  advance(59s);
  CHECK(get(aut).success_count == 1); // a message: idle from now
  advance(60s);
  bool stopped = false;
  self->receive([&](caf::down_msg& x) { stopped = !x.reason; },
                caf::after(0s) >> [] {});
  CHECK(stopped);
}

TEST_CASE_FIXTURE(test::circuit_fixture,
                  "a stage circuit with failures counted does not stop") {
  auto aut = spawn_stage();
  fail(aut, failure_kind::task);
  advance(600s);
  CHECK(get(aut).failure_count == 1);
}
