// The persistence actor: circuit saves and reads, and live control polling,
// on the deterministic test coordinator (virtual time).

#include "actor_fixture.hpp"
#include "messages/all.hpp"
#include "store/circuit_samples.hpp"
#include "store/database.hpp"
#include "store/persistence.hpp"
#include "store/temp_dir.hpp"

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/exit_reason.hpp>
#include <caf/message.hpp>
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

using namespace tdd;
using namespace std::chrono_literals;
using core::circuit_level;
using core::circuit_state;
using test::base_time;
using test::make_circuit;
using test::make_event;

namespace {

using persistence_ptr = store_actor::stateful_pointer<store::persistence_state>;

struct listener_state {
  static inline constexpr const char* name = "test_listener";
  std::string label;
  std::vector<control_command> received;
};

// Spawned with an argument: CAF 0.17.6 binds a reference to a null tuple
// pointer (UBSan reports it) when a function actor takes none.
control_listener_actor::behavior_type
test_listener(control_listener_actor::stateful_pointer<listener_state> self,
              std::string label) {
  self->state.label = std::move(label);
  return {
    [self](atom::control, const control_command& x) {
      self->state.received.push_back(x);
    },
  };
}

// Bases are destroyed in reverse order: the actors stop (and close the
// database) before the directory goes.
struct circuits_fixture : test::temp_dir, test::actor_fixture {
  std::string db_path = file("orchestrator.db");
  /// A second connection, as another process (the CLI) would have.
  store::database other = open(store::open_mode::read_write);
  store_actor aut = spawn(store::persistence, db_path);

  store::database open(store::open_mode mode) {
    auto db = store::database::open(db_path, mode);
    REQUIRE_MESSAGE(db, describe(db.error()));
    return std::move(*db);
  }

  store::persistence_state& state_of(const store_actor& x) {
    return caf::actor_cast<persistence_ptr>(x)->state;
  }

  std::vector<control_command>& received(const control_listener_actor& x) {
    using ptr = control_listener_actor::stateful_pointer<listener_state>;
    return caf::actor_cast<ptr>(x)->state.received;
  }

  caf::expected<int64_t> save(const core::circuit_snapshot& x,
                              std::vector<core::circuit_event> events = {}) {
    return try_ask<int64_t>(aut, atom::save_v, x, std::move(events));
  }

  std::optional<control_command> find_control(int64_t id) {
    auto x = other.find_control(id);
    REQUIRE_MESSAGE(x, describe(x.error()));
    return *x;
  }
};

} // namespace

TEST_CASE_FIXTURE(circuits_fixture,
                  "a circuit saved through the actor is in the database") {
  auto x = make_circuit(circuit_level::worker, "worker_1", circuit_state::open);
  x.failure_count = 3;
  x.opened_at = base_time - 1min;
  x.last_change_at = base_time - 1min;
  auto version = save(x, {make_event(base_time - 1min)});
  REQUIRE_MESSAGE(version, describe(version.error()));
  CHECK(*version == 1);
  REQUIRE(ask<int64_t>(aut, atom::flush_v) == 1);
  auto ro = open(store::open_mode::read_only);
  auto back = ro.find_circuit(circuit_level::worker, "worker_1", base_time);
  REQUIRE(back);
  REQUIRE(back->has_value());
  test::check_same_fields(**back, x);
  CHECK((*back)->version == 1);
  CHECK((*back)->recent_changes
        == std::vector<core::wall_time>{base_time - 1min});
  auto all = ask<std::vector<core::circuit_snapshot>>(
    aut, atom::get_v, atom::circuits_v, caf::timestamp{base_time});
  REQUIRE(all.size() == 1);
  test::check_same_fields(all[0], x);
  CHECK(all[0].recent_changes.size() == 1);
}

TEST_CASE_FIXTURE(circuits_fixture,
                  "a stale save gets a conflict and the rest of the batch "
                  "commits") {
  auto x = make_circuit(circuit_level::stage, "A:red");
  REQUIRE(save(x) == 1);
  x.version = 1;
  auto first = x;
  first.failure_count = 1;
  auto second = x;
  second.failure_count = 2;
  auto other_circuit = make_circuit(circuit_level::stage, "B:red");
  // One burst: both saves from version 1, and an unrelated save after them.
  self->send(aut, atom::save_v, first, std::vector<core::circuit_event>{});
  self->send(aut, atom::save_v, second,
             std::vector<core::circuit_event>{make_event(base_time)});
  self->send(aut, atom::save_v, other_circuit,
             std::vector<core::circuit_event>{make_event(base_time)});
  sched.run();
  std::vector<int64_t> versions;
  std::vector<caf::error> errors;
  for (int i = 0; i < 3; ++i) {
    self->receive([&](int64_t v) { versions.push_back(v); },
                  [&](caf::error& err) { errors.push_back(std::move(err)); },
                  caf::after(0s) >> [] { FAIL("missing reply"); });
  }
  CHECK(versions == std::vector<int64_t>{2, 1});
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == errc::conflict);
  CHECK(describe(errors[0]).find("stage:A:red") != std::string::npos);
  CHECK(state_of(aut).transactions == 2); // the first save, then the burst
  auto all = other.load_circuits(base_time);
  REQUIRE(all);
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].failure_count == 1);
  CHECK((*all)[0].recent_changes.empty()); // the conflicting event is gone
  CHECK((*all)[1].identifier == "B:red");
}

TEST_CASE_FIXTURE(circuits_fixture,
                  "control commands reach listeners at the next poll") {
  auto listener = spawn(test_listener, std::string{"coordinator"});
  auto second = spawn(test_listener, std::string{"second"});
  self->send(aut, atom::subscribe_v, listener);
  self->send(aut, atom::subscribe_v, second);
  self->send(aut, atom::subscribe_v, listener); // once is enough
  sched.run();
  auto id = other.enqueue_control("circuit_reset", "stage:A:red");
  REQUIRE(id);
  sched.run();
  sched.advance_time(store::control_poll_interval - 1ms);
  sched.run();
  CHECK(received(listener).empty()); // not before the poll
  CHECK(find_control(*id)->processed_at.empty());
  sched.advance_time(1ms);
  sched.run();
  REQUIRE(received(listener).size() == 1);
  CHECK(received(listener)[0].id == *id);
  CHECK(received(listener)[0].command == "circuit_reset");
  CHECK(received(listener)[0].argument == "stage:A:red");
  REQUIRE(received(second).size() == 1); // every listener gets it
  CHECK(received(second)[0].id == *id);
  auto marked = find_control(*id);
  REQUIRE(marked);
  CHECK(!marked->processed_at.empty());
  CHECK(marked->result == "delivered");
  // Delivered once only; the polling goes on.
  sched.advance_time(store::control_poll_interval);
  sched.run();
  CHECK(received(listener).size() == 1);
  CHECK(sched.has_pending_timeout());
}

TEST_CASE_FIXTURE(circuits_fixture, "a listener going down stops the polling") {
  auto listener = spawn(test_listener, std::string{"coordinator"});
  self->send(aut, atom::subscribe_v, listener);
  sched.run();
  CHECK(sched.has_pending_timeout());
  self->send_exit(listener, caf::exit_reason::user_shutdown);
  sched.run();
  CHECK(state_of(aut).listeners.empty());
  sched.advance_time(store::control_poll_interval); // the last poll
  sched.run();
  CHECK(!sched.has_pending_timeout());
  auto id = other.enqueue_control("task_retry", "B");
  REQUIRE(id);
  sched.advance_time(10 * store::control_poll_interval);
  sched.run();
  CHECK(find_control(*id)->processed_at.empty());
}

TEST_CASE_FIXTURE(test::actor_fixture,
                  "circuit messages round-trip through the binary "
                  "serializer") {
  auto full
    = make_circuit(circuit_level::worker, "worker_1", circuit_state::half_open);
  full.failure_count = 4;
  full.opened_at = base_time - 1min + 1ns;
  full.last_change_at = base_time;
  full.recent_changes = {base_time - 2min, base_time};
  full.version = 9;
  auto empty = make_circuit(circuit_level::system, "system");
  empty.half_open_at = base_time; // set in the target, absent in the source
  auto out = caf::make_message(
    atom::save_v, std::vector<core::circuit_snapshot>{full, empty},
    std::vector<core::circuit_event>{make_event(base_time)},
    control_command{7, "circuit_reset", "all", "t0", "", ""});
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  REQUIRE(!sink(out));
  caf::message in;
  caf::binary_deserializer source{sys, buf};
  REQUIRE(!source(in));
  REQUIRE(
    in.match_elements<atom::save, std::vector<core::circuit_snapshot>,
                      std::vector<core::circuit_event>, control_command>());
  const auto& back = in.get_as<std::vector<core::circuit_snapshot>>(1);
  REQUIRE(back.size() == 2);
  test::check_same_fields(back[0], full);
  CHECK(back[0].recent_changes == full.recent_changes);
  CHECK(back[0].version == 9);
  test::check_same_fields(back[1], empty);
  const auto& events = in.get_as<std::vector<core::circuit_event>>(2);
  REQUIRE(events.size() == 1);
  CHECK(events[0].at == base_time);
  CHECK(events[0].to == circuit_state::open);
  CHECK(in.get_as<control_command>(3).argument == "all");
  auto text = caf::deep_to_string(full);
  CHECK_MESSAGE(
    text.find("circuit_snapshot(worker, \"worker_1\", half_open") == 0, text);
}
