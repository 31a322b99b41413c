// The circuit hub: persistence across a restart, live control, resets, and
// idle stage circuits, on the test coordinator (virtual time).

#include "actors/circuit_hub.hpp"

#include "circuit_test_support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
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

using hub_ptr = circuit_hub_actor::stateful_pointer<circuit_hub_state>;
using snapshots = std::vector<core::circuit_snapshot>;

struct hub_fixture : test::circuit_fixture {
  circuit_hub_state& state_of(const circuit_hub_actor& hub) {
    return caf::actor_cast<hub_ptr>(hub)->state;
  }

  stage_circuit_actor stage(const circuit_hub_actor& hub,
                            const std::string& task = "A",
                            const std::string& name = "red") {
    return ask<stage_circuit_actor>(hub, atom::stage_v, task, name);
  }

  worker_circuit_actor worker(const circuit_hub_actor& hub,
                              const std::string& id = "worker_1") {
    return ask<worker_circuit_actor>(hub, atom::worker_v, id);
  }

  /// Opens worker_1 and stage A:red, and checks what that stored.
  void open_worker_and_stage(const circuit_hub_actor& hub) {
    fail(worker(hub), failure_kind::worker, 3);
    fail(stage(hub), failure_kind::task, 3);
    auto w = row(circuit_level::worker, "worker_1");
    REQUIRE(w);
    CHECK(w->state == circuit_state::open);
    CHECK(w->version == 3);
    CHECK(
      count(circuit_level::worker, "worker_1", circuit_event_type::state_change)
      == 1);
    CHECK(row(circuit_level::stage, "A:red")->state == circuit_state::open);
  }

  /// Runs the store's control polls until `done` holds, for at most 2 s.
  template <class Predicate> bool poll_until(Predicate done) {
    for (int i = 0; i < 4 && !done(); ++i) {
      advance(500ms);
    }
    return done();
  }
};

} // namespace

TEST_CASE_FIXTURE(hub_fixture,
                  "circuits persist their transitions and a restarted hub "
                  "continues from the stored states") {
  auto hub = spawn_hub();
  open_worker_and_stage(hub);
  advance(100s);
  stop(hub, store);
  // A new run on the same database.
  store = spawn(store::persistence, db_path);
  hub = spawn_hub();
  auto known = ask<snapshots>(hub, atom::get_v, atom::circuits_v);
  REQUIRE(known.size() == 3);
  CHECK(known[0].identifier == "A:red");
  CHECK(known[0].state == circuit_state::open);
  CHECK(known[1].identifier == "system");
  CHECK(known[2].identifier == "worker_1");
  CHECK(known[2].state == circuit_state::open);
  auto wc = worker(hub);
  auto x = get(wc);
  CHECK(x.state == circuit_state::open);
  CHECK(x.opened_at == base_time);
  CHECK(x.version == 3);
  CHECK(!ask<bool>(wc, atom::allow_v));
  auto sc = stage(hub);
  CHECK(get(sc).state == circuit_state::open);
  advance(199s); // the pause runs on from the stored opened_at
  CHECK(get(wc).state == circuit_state::open);
  advance(1s);
  CHECK(get(wc).state == circuit_state::half_open);
  CHECK(get(sc).state == circuit_state::half_open);
  CHECK(row(circuit_level::worker, "worker_1")->version == 4);
  CHECK(
    count(circuit_level::worker, "worker_1", circuit_event_type::state_change)
    == 2);
}

TEST_CASE_FIXTURE(hub_fixture,
                  "a circuit_reset control row is applied within 2 s") {
  auto hub = spawn_hub();
  auto wc = worker(hub);
  fail(wc, failure_kind::worker, 3);
  REQUIRE(get(wc).state == circuit_state::open);
  auto other = open(store::open_mode::read_write);
  REQUIRE(other.enqueue_control("circuit_reset", "worker:worker_1"));
  CHECK(poll_until([&] { return get(wc).state == circuit_state::closed; }));
  CHECK(
    count(circuit_level::worker, "worker_1", circuit_event_type::manual_reset)
    == 1);
  CHECK(row(circuit_level::worker, "worker_1")->state == circuit_state::closed);
  // `all` resets every circuit that is not clean, live or not.
  fail(wc, failure_kind::worker, 3); // the only worker: the system opens
  fail(stage(hub, "B", "green"), failure_kind::task, 1);
  succeed(stage(hub, "C", "red"));                   // clean
  REQUIRE(other.enqueue_control("task_retry", "B")); // not the hub's
  REQUIRE(other.enqueue_control("circuit_reset", "all"));
  CHECK(poll_until(
    [&] { return row(circuit_level::stage, "B:green")->failure_count == 0; }));
  CHECK(get(wc).state == circuit_state::closed);
  CHECK(
    count(circuit_level::worker, "worker_1", circuit_event_type::manual_reset)
    == 2);
  CHECK(count(circuit_level::system, "system", circuit_event_type::manual_reset)
        == 1);
  CHECK(count(circuit_level::stage, "C:red", circuit_event_type::manual_reset)
        == 0);
}

TEST_CASE_FIXTURE(hub_fixture,
                  "reset names a circuit by display id or refuses the id") {
  auto hub = spawn_hub();
  fail(stage(hub, "A", "verify"), failure_kind::task, 3);
  auto out = ask<snapshots>(hub, atom::reset_v, std::string{"stage:A:verify"});
  REQUIRE(out.size() == 1);
  CHECK(out[0].state == circuit_state::closed);
  CHECK(out[0].identifier == "A:verify");
  auto bad = try_ask<snapshots>(hub, atom::reset_v, std::string{"stage:A"});
  REQUIRE(!bad);
  CHECK(bad.error() == errc::invalid_argument);
  CHECK(describe(bad.error()).find("valid forms") != std::string::npos);
  auto none = ask<snapshots>(hub, atom::reset_v, std::string{"all"});
  CHECK(none.empty());
  auto bad_stage = try_ask<stage_circuit_actor>(
    hub, atom::stage_v, std::string{"A"}, std::string{"lint"});
  CHECK(!bad_stage);
}

TEST_CASE_FIXTURE(hub_fixture,
                  "an idle stage circuit stops and is respawned from its "
                  "snapshot") {
  auto hub = spawn_hub();
  auto first = stage(hub);
  REQUIRE(ask<bool>(first, atom::allow_v));
  succeed(first);
  REQUIRE(get(first).version == 1);
  advance(59s);
  CHECK(state_of(hub).stages.size() == 1);
  advance(1s);
  CHECK(state_of(hub).stages.empty());
  auto second = stage(hub);
  CHECK(second != first);
  auto x = get(second);
  CHECK(x.success_count == 1);
  CHECK(x.version == 1);
  fail(second, failure_kind::task); // saves from version 1: no conflict
  CHECK(row(circuit_level::stage, "A:red")->version == 2);
  CHECK(get(second).version == 2);
}

TEST_CASE_FIXTURE(hub_fixture,
                  "a stage circuit that stopped for idleness is freed") {
  auto hub = spawn_hub();
  auto circuit = stage(hub);
  REQUIRE(ask<bool>(circuit, atom::allow_v));
  succeed(circuit);
  const auto addr = circuit.address();
  circuit = nullptr;
  advance(60s);
  REQUIRE(state_of(hub).stages.empty());
  sched.run();
  // Destroyed, and nothing but `addr` still points at its memory (a
  // monitor or link left behind would keep four blocks a task alive).
  CHECK(caf::actor_cast<caf::strong_actor_ptr>(addr) == nullptr);
  auto* block = caf::actor_cast<caf::actor_control_block*>(addr);
  CHECK(block->weak_refs == 1);
}

TEST_CASE_FIXTURE(hub_fixture,
                  "a stage circuit handed out recently does not stop") {
  auto hub = spawn_hub();
  auto first = stage(hub);
  advance(59s);
  CHECK(stage(hub) == first); // handed out again, but the circuit not told
  advance(1s);                // idle for 60 s: it asks, the hub says no
  CHECK(state_of(hub).stages.size() == 1);
  CHECK(get(first).state == circuit_state::closed);
  advance(60s);
  CHECK(state_of(hub).stages.empty());
}

TEST_CASE_FIXTURE(hub_fixture,
                  "the listener hears every change with events and no bare "
                  "snapshot") {
  auto listener = spawn(test::recorder, std::string{"notifier"});
  circuit_hub_config config;
  config.store = store;
  config.settings = settings;
  config.wall_start = wall_now();
  config.listener = listener;
  auto hub = spawn(circuit_hub, std::move(config));
  auto wc = worker(hub);
  fail(wc, failure_kind::worker, 3); // the only worker: the system opens too
  fail(stage(hub, "B", "green"), failure_kind::task, 3);
  const auto& changes
    = caf::actor_cast<
        circuit_listener_actor::stateful_pointer<test::recorder_state>>(
        listener)
        ->state.changes;
  // The hub's children each sent it a snapshot at subscription: none of
  // those arrived here.
  REQUIRE(!changes.empty());
  CHECK(std::all_of(changes.begin(), changes.end(),
                    [](const circuit_change& x) { return !x.events.empty(); }));
  const auto opened = [&](circuit_level level, const std::string& id) {
    return std::count_if(
      changes.begin(), changes.end(), [&](const circuit_change& x) {
        return x.snapshot.level == level && x.snapshot.identifier == id
               && std::any_of(x.events.begin(), x.events.end(),
                              [](const core::circuit_event& e) {
                                return e.type
                                         == circuit_event_type::state_change
                                       && e.to == circuit_state::open;
                              });
      });
  };
  CHECK(opened(circuit_level::worker, "worker_1") == 1);
  CHECK(opened(circuit_level::system, "system") == 1);
  CHECK(opened(circuit_level::stage, "B:green") == 1);
  // 3 failures of the worker, 3 of the stage, the system opening.
  CHECK(changes.size() == 7);
}
