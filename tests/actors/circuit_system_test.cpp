// The system circuit, fed through the hub by the worker circuits, on the
// test coordinator (virtual time).

#include "actors/system_circuit.hpp"
#include "circuit_test_support.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace tdd;
using namespace std::chrono_literals;
using core::circuit_event_type;
using core::circuit_level;
using core::circuit_state;
using core::failure_kind;
using test::base_time;

namespace {

struct system_fixture : test::circuit_fixture {
  circuit_hub_actor hub;
  std::vector<worker_circuit_actor> workers;
  system_circuit_actor system;

  /// A hub with three registered workers.
  void start() {
    hub = spawn_hub();
    for (const auto* id : {"worker_1", "worker_2", "worker_3"}) {
      workers.push_back(
        ask<worker_circuit_actor>(hub, atom::worker_v, std::string{id}));
    }
    system = ask<system_circuit_actor>(hub, atom::system_v);
  }

  dispatch_policy policy() {
    return ask<dispatch_policy>(system, atom::dispatch_v);
  }
};

} // namespace

TEST_CASE_FIXTURE(system_fixture,
                  "the system circuit opens when enough worker circuits open "
                  "and auto-recovers after recovery_delay_s") {
  settings.system.auto_recovery = true;
  start();
  CHECK(ask<bool>(system, atom::allow_v));
  CHECK(policy().max_workers == -1);
  fail(workers[0], failure_kind::worker, 3);
  CHECK(get(system).state == circuit_state::closed); // 1 of 3: 33%
  fail(workers[1], failure_kind::task, 3);           // not the worker's fault
  CHECK(get(system).state == circuit_state::closed);
  fail(workers[1], failure_kind::worker, 3); // 2 of 3, and min_workers
  CHECK(get(system).state == circuit_state::open);
  CHECK(!ask<bool>(system, atom::allow_v));
  auto p = policy();
  CHECK(!p.allowed);
  CHECK(p.max_workers == 0);
  CHECK(!p.halted);
  CHECK(p.graceful_deadline == base_time + 60s);
  advance(300s); // the workers half-open; the system stays open
  CHECK(get(workers[0]).state == circuit_state::half_open);
  CHECK(get(system).state == circuit_state::open);
  advance(299s);
  CHECK(get(system).state == circuit_state::open);
  advance(1s);
  CHECK(get(system).state == circuit_state::half_open);
  p = policy();
  CHECK(p.allowed);
  CHECK(p.max_workers == 1);
  CHECK(!p.graceful_deadline);
  succeed(system); // no worker circuit open any more: closes
  CHECK(get(system).state == circuit_state::closed);
  CHECK(count(circuit_level::system, "system", circuit_event_type::state_change)
        == 3);
}

TEST_CASE_FIXTURE(system_fixture,
                  "without auto_recovery an open system circuit halts the "
                  "run, and a trial failure reopens a half_open one") {
  start();
  for (const auto& w : workers) {
    fail(w, failure_kind::worker, 3);
  }
  auto p = policy();
  CHECK(!p.allowed);
  CHECK(p.halted);
  advance(24h);
  CHECK(get(system).state == circuit_state::open);
  auto reset = ask<std::vector<core::circuit_snapshot>>(hub, atom::reset_v,
                                                        std::string{"system"});
  REQUIRE(reset.size() == 1);
  CHECK(reset[0].state == circuit_state::closed);
  CHECK(ask<bool>(system, atom::allow_v));
  CHECK(count(circuit_level::system, "system", circuit_event_type::manual_reset)
        == 1);
}

TEST_CASE_FIXTURE(system_fixture,
                  "a half_open system circuit reopens on a worker failure "
                  "of its trial") {
  settings.system.auto_recovery = true;
  start();
  fail(workers[0], failure_kind::worker, 3);
  fail(workers[1], failure_kind::worker, 3);
  advance(600s);
  REQUIRE(get(system).state == circuit_state::half_open);
  fail(system, failure_kind::task); // the task's fault: no verdict
  CHECK(get(system).state == circuit_state::half_open);
  fail(system, failure_kind::worker);
  auto x = get(system);
  CHECK(x.state == circuit_state::open);
  CHECK(x.opened_at == base_time + 600s);
}
