// The worker circuit actor on the test coordinator: virtual time, a real
// store on a temporary file.

#include "actors/worker_circuit.hpp"
#include "circuit_test_support.hpp"

#include <caf/exit_reason.hpp>
#include <doctest/doctest.h>

#include <string>

using namespace tdd;
using namespace std::chrono_literals;
using core::circuit_event_type;
using core::circuit_level;
using core::circuit_state;
using core::failure_kind;
using test::base_time;

namespace {

using recorder_ptr
  = circuit_listener_actor::stateful_pointer<test::recorder_state>;

/// Lets the half_open worker take its trial, which fails.
void fail_trial(test::circuit_fixture& f, const circuit_actor& aut) {
  REQUIRE(f.get(aut).state == circuit_state::half_open);
  REQUIRE(f.ask<bool>(aut, atom::allow_v));
  f.fail(aut, failure_kind::worker, 1, "agent_crash");
  REQUIRE(f.get(aut).state == circuit_state::open);
}

} // namespace

TEST_CASE_FIXTURE(test::circuit_fixture,
                  "a worker circuit opens after consecutive worker failures "
                  "and doubles its pause up to max_extensions") {
  auto aut = spawn_worker();
  fail(aut, failure_kind::worker, 2);
  CHECK(get(aut).state == circuit_state::closed);
  fail(aut, failure_kind::worker);
  CHECK(get(aut).state == circuit_state::open);
  CHECK(!ask<bool>(aut, atom::allow_v));
  advance(299s);
  CHECK(get(aut).state == circuit_state::open);
  advance(1s);
  fail_trial(*this, aut); // extension 1: 600 s
  CHECK(get(aut).extensions == 1);
  advance(599s);
  CHECK(get(aut).state == circuit_state::open);
  advance(1s);
  fail_trial(*this, aut); // extension 2: 1200 s
  advance(1200s);
  fail_trial(*this, aut); // extension 3: 2400 s
  advance(2400s);
  fail_trial(*this, aut); // past max_extensions: open until reset
  CHECK(get(aut).extensions == settings.worker.max_extensions + 1);
  advance(24h);
  CHECK(get(aut).state == circuit_state::open);
  CHECK(!ask<bool>(aut, atom::allow_v));
  CHECK(count(circuit_level::worker, "worker_1",
              circuit_event_type::extension_applied)
        == 3);
  CHECK(count(circuit_level::worker, "worker_1",
              circuit_event_type::recovery_failed)
        == 4);
  auto x = ask<core::circuit_snapshot>(aut, atom::reset_v);
  CHECK(x.state == circuit_state::closed);
  CHECK(x.extensions == 0);
  CHECK(row(circuit_level::worker, "worker_1")->version == x.version);
}

TEST_CASE_FIXTURE(test::circuit_fixture,
                  "a worker circuit counts worker failures only, and a "
                  "success breaks the run") {
  auto aut = spawn_worker();
  fail(aut, failure_kind::task, 5, "red_test_passes");
  fail(aut, failure_kind::usage_limit, 5);
  auto x = get(aut);
  CHECK(x.state == circuit_state::closed);
  CHECK(x.consecutive_failures == 0);
  fail(aut, failure_kind::worker, 2);
  succeed(aut);
  fail(aut, failure_kind::worker, 2);
  x = get(aut);
  CHECK(x.state == circuit_state::closed);
  CHECK(x.consecutive_failures == 2);
  CHECK(x.failure_count == 4);
}

TEST_CASE_FIXTURE(test::circuit_fixture,
                  "subscribers get the current state, then every change") {
  auto aut = spawn_worker();
  auto listener = spawn(test::recorder, std::string{"metrics"});
  self->send(aut, atom::subscribe_v, listener);
  sched.run();
  const auto& changes = caf::actor_cast<recorder_ptr>(listener)->state.changes;
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].events.empty());
  CHECK(changes[0].snapshot.identifier == "worker_1");
  fail(aut, failure_kind::task); // no event, no change
  CHECK(changes.size() == 1);
  fail(aut, failure_kind::worker, 3);
  REQUIRE(changes.size() == 4);
  const auto& last = changes.back();
  CHECK(last.snapshot.state == circuit_state::open);
  CHECK(last.snapshot.version == 3);
  REQUIRE(last.events.size() == 3);
  CHECK(last.events[0].type == circuit_event_type::failure_recorded);
  CHECK(last.events[1].type == circuit_event_type::threshold_reached);
  CHECK(last.events[2].type == circuit_event_type::state_change);
  CHECK(last.events[2].from == circuit_state::closed);
  CHECK(last.events[2].to == circuit_state::open);
  self->send_exit(listener, caf::exit_reason::user_shutdown);
  sched.run();
  using worker_ptr = circuit_actor::stateful_pointer<worker_circuit_state>;
  CHECK(caf::actor_cast<worker_ptr>(aut)->state.listeners.empty());
}

TEST_CASE_FIXTURE(test::circuit_fixture,
                  "a conflicting save reloads the circuit from the store") {
  auto aut = spawn_worker();
  fail(aut, failure_kind::worker, 3);
  REQUIRE(row(circuit_level::worker, "worker_1")->version == 3);
  // Someone else resets the row behind the circuit's back.
  auto other = open(store::open_mode::read_write);
  auto reset
    = other.reset_circuit(circuit_level::worker, "worker_1", wall_now());
  REQUIRE(reset);
  REQUIRE(reset->version == 4);
  fail(aut, failure_kind::worker); // saved from version 3: conflict
  auto x = get(aut);
  CHECK(x.state == circuit_state::closed); // the stored row won
  CHECK(x.version == 4);
  CHECK(x.consecutive_failures == 0);
  fail(aut, failure_kind::worker); // and saving works again
  auto stored = row(circuit_level::worker, "worker_1");
  REQUIRE(stored);
  CHECK(stored->version == 5);
  CHECK(stored->consecutive_failures == 1);
  CHECK(get(aut).version == 5);
}
