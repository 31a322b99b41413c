// database: circuit snapshots, optimistic locking, resets, events.

#include "messages/errc.hpp"
#include "store/circuit_samples.hpp"
#include "store/database.hpp"
#include "store/temp_dir.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

using namespace tdd;
using namespace std::chrono_literals;
using core::circuit_event_type;
using core::circuit_level;
using core::circuit_state;
using test::base_time;
using test::make_circuit;
using test::make_event;

namespace {

struct circuits_fixture : test::temp_dir {
  std::string path = file("orchestrator.db");
  store::database db = open(store::open_mode::read_write);

  store::database open(store::open_mode mode) {
    auto result = store::database::open(path, mode);
    REQUIRE_MESSAGE(result, describe(result.error()));
    return std::move(*result);
  }

  int64_t save(const core::circuit_snapshot& x,
               const std::vector<core::circuit_event>& events = {}) {
    auto version = db.save_circuit(x, events);
    REQUIRE_MESSAGE(version, describe(version.error()));
    return *version;
  }

  core::circuit_snapshot find(circuit_level level, const std::string& id,
                              core::wall_time now = base_time) {
    auto x = db.find_circuit(level, id, now);
    REQUIRE_MESSAGE(x, describe(x.error()));
    REQUIRE_MESSAGE(x->has_value(), "no circuit ", id);
    return std::move(**x);
  }

  std::vector<core::circuit_event> events(circuit_level level,
                                          const std::string& id) {
    auto xs = db.circuit_events(level, id, 100);
    REQUIRE_MESSAGE(xs, describe(xs.error()));
    return std::move(*xs);
  }
};

core::circuit_snapshot full_sample() {
  auto x = make_circuit(circuit_level::worker, "node-1.worker_2",
                        circuit_state::half_open);
  x.failure_count = 4;
  x.consecutive_failures = 3;
  x.success_count = 17;
  x.extensions = 2;
  x.opened_at = base_time - 3min + 1ms;
  x.half_open_at = base_time - 1min + 999ms;
  x.last_failure_at = base_time - 3min;
  x.last_change_at = base_time - 1min + 999ms;
  return x;
}

} // namespace

TEST_CASE_FIXTURE(circuits_fixture, "a saved circuit loads back unchanged") {
  const auto x = full_sample();
  const std::vector<core::circuit_event> history{
    make_event(base_time - 6min), // before the 5-minute window
    make_event(base_time - 3min + 1ms),
    make_event(base_time - 2min, circuit_event_type::failure_recorded,
               circuit_state::open, circuit_state::open,
               R"({"kind":"worker","reason":"timeout"})"),
    make_event(base_time - 1min + 999ms, circuit_event_type::state_change,
               circuit_state::open, circuit_state::half_open),
    make_event(base_time + 1s), // after `now`
  };
  CHECK(save(x, history) == 1);
  CHECK(save(make_circuit(circuit_level::system, "system")) == 1);
  auto all = db.load_circuits(base_time);
  REQUIRE(all);
  REQUIRE(all->size() == 2);
  const auto& back = (*all)[0]; // workers before the system
  test::check_same_fields(back, x);
  CHECK(back.version == 1);
  CHECK(back.recent_changes
        == std::vector<core::wall_time>{base_time - 3min + 1ms,
                                        base_time - 1min + 999ms});
  const auto& system = (*all)[1];
  CHECK(system.identifier == "system");
  CHECK(!system.opened_at);
  CHECK(!system.half_open_at);
  CHECK(!system.last_failure_at);
  CHECK(!system.last_change_at);
  CHECK(system.recent_changes.empty());
  auto found = find(x.level, x.identifier);
  test::check_same_fields(found, x);
  CHECK(found.recent_changes == back.recent_changes);
  auto stored = events(x.level, x.identifier);
  REQUIRE(stored.size() == history.size());
  CHECK(stored[2].type == circuit_event_type::failure_recorded);
  CHECK(stored[2].details == R"({"kind":"worker","reason":"timeout"})");
  CHECK(stored[2].at == base_time - 2min);
  CHECK(stored[1].from == circuit_state::open);
  CHECK(stored[1].to == circuit_state::half_open);
  CHECK(stored[0].at == base_time + 1s); // newest first
}

TEST_CASE_FIXTURE(circuits_fixture, "saving bumps the version each time") {
  auto x = make_circuit(circuit_level::stage, "A:red");
  x.version = save(x);
  CHECK(x.version == 1);
  x.state = circuit_state::open;
  x.failure_count = 3;
  x.opened_at = base_time;
  x.version = save(x, {make_event(base_time)});
  CHECK(x.version == 2);
  auto back = find(circuit_level::stage, "A:red");
  test::check_same_fields(back, x);
  CHECK(back.version == 2);
  CHECK(back.recent_changes == std::vector<core::wall_time>{base_time});
  auto missing = db.find_circuit(circuit_level::stage, "A:green", base_time);
  REQUIRE(missing);
  CHECK(!missing->has_value());
}

TEST_CASE_FIXTURE(circuits_fixture,
                  "a save from a stale version is a conflict and writes "
                  "nothing") {
  save(make_circuit(circuit_level::stage, "A:red"));
  auto first = find(circuit_level::stage, "A:red");
  auto second = first;
  first.failure_count = 1;
  CHECK(save(first, {make_event(base_time, circuit_event_type::failure_recorded,
                                circuit_state::closed, circuit_state::closed)})
        == 2);
  second.state = circuit_state::open;
  second.failure_count = 5;
  auto late = db.save_circuit(second, {make_event(base_time)});
  REQUIRE(!late);
  CHECK(late.error() == errc::conflict);
  const auto text = describe(late.error());
  CHECK_MESSAGE(text.find("stage:A:red") != std::string::npos, text);
  CHECK_MESSAGE(text.find("version 1") != std::string::npos, text);
  CHECK_MESSAGE(text.find("version is 2") != std::string::npos, text);
  auto back = find(circuit_level::stage, "A:red");
  CHECK(back.state == circuit_state::closed);
  CHECK(back.failure_count == 1);
  CHECK(back.version == 2);
  REQUIRE(events(circuit_level::stage, "A:red").size() == 1);
  CHECK(events(circuit_level::stage, "A:red")[0].type
        == circuit_event_type::failure_recorded);
}

TEST_CASE_FIXTURE(circuits_fixture,
                  "new circuits conflict with stored ones, updates need a "
                  "row") {
  save(make_circuit(circuit_level::stage, "A:red"));
  auto again = db.save_circuit(make_circuit(circuit_level::stage, "A:red"), {});
  REQUIRE(!again);
  CHECK(again.error() == errc::conflict);
  CHECK(describe(again.error()).find("already exists") != std::string::npos);
  auto ghost = make_circuit(circuit_level::worker, "worker_9");
  ghost.version = 3;
  auto missing = db.save_circuit(ghost, {});
  REQUIRE(!missing);
  CHECK(missing.error() == errc::conflict);
  CHECK(describe(missing.error()).find("worker:worker_9") != std::string::npos);
  auto all = db.load_circuits(base_time);
  REQUIRE(all);
  CHECK(all->size() == 1);
}

TEST_CASE_FIXTURE(circuits_fixture,
                  "in the caller's transaction a conflict spares the other "
                  "writes") {
  save(make_circuit(circuit_level::stage, "A:red"));
  {
    auto txn = db.begin();
    REQUIRE(txn);
    save(make_circuit(circuit_level::stage, "B:red"), {make_event(base_time)});
    auto stale = make_circuit(circuit_level::stage, "A:red");
    stale.version = 7;
    auto late = db.save_circuit(stale, {make_event(base_time)});
    REQUIRE(!late);
    CHECK(late.error() == errc::conflict);
    // An event that fails its CHECK undoes the save it belongs to only.
    auto bad = db.save_circuit(
      make_circuit(circuit_level::stage, "C:red"),
      {make_event(base_time, circuit_event_type::state_change,
                  circuit_state::closed, circuit_state::open, "not json")});
    REQUIRE(!bad);
    REQUIRE(!txn->commit());
  }
  auto all = db.load_circuits(base_time);
  REQUIRE(all);
  REQUIRE(all->size() == 2);
  CHECK((*all)[1].identifier == "B:red");
  CHECK(events(circuit_level::stage, "A:red").empty());
  CHECK(events(circuit_level::stage, "B:red").size() == 1);
}

TEST_CASE_FIXTURE(circuits_fixture,
                  "reset closes, zeroes counters and records the reset") {
  save(full_sample());
  const auto now = base_time + 10s;
  auto after = db.reset_circuit(circuit_level::worker, "node-1.worker_2", now);
  REQUIRE_MESSAGE(after, describe(after.error()));
  CHECK(after->state == circuit_state::closed);
  CHECK(after->failure_count == 0);
  CHECK(after->consecutive_failures == 0);
  CHECK(after->extensions == 0);
  CHECK(!after->opened_at);
  CHECK(!after->half_open_at);
  CHECK(after->success_count == 17);                 // history, kept
  CHECK(after->last_failure_at == base_time - 3min); // history, kept
  CHECK(after->last_change_at == now);
  CHECK(after->version == 2);
  CHECK(after->recent_changes == std::vector<core::wall_time>{now});
  test::check_same_fields(find(circuit_level::worker, "node-1.worker_2", now),
                          *after);
  auto stored = events(circuit_level::worker, "node-1.worker_2");
  REQUIRE(stored.size() == 2);
  CHECK(stored[1].type == circuit_event_type::manual_reset);
  CHECK(stored[0].type == circuit_event_type::state_change);
  CHECK(stored[0].from == circuit_state::half_open);
  CHECK(stored[0].to == circuit_state::closed);
  CHECK(stored[0].at == now);
}

TEST_CASE_FIXTURE(circuits_fixture,
                  "reset of a closed or never-used circuit is no error") {
  auto x = make_circuit(circuit_level::stage, "A:red");
  x.failure_count = 2;
  x.consecutive_failures = 2;
  save(x);
  auto closed = db.reset_circuit(circuit_level::stage, "A:red", base_time);
  REQUIRE(closed);
  CHECK(closed->failure_count == 0);
  CHECK(closed->version == 2);
  CHECK(!closed->last_change_at); // no state change happened
  auto stored = events(circuit_level::stage, "A:red");
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].type == circuit_event_type::manual_reset);
  auto fresh = db.reset_circuit(circuit_level::stage, "B:green", base_time);
  REQUIRE_MESSAGE(fresh, describe(fresh.error()));
  CHECK(fresh->state == circuit_state::closed);
  CHECK(fresh->version == 1);
  CHECK(find(circuit_level::stage, "B:green").version == 1);
  CHECK(events(circuit_level::stage, "B:green").size() == 1);
}

TEST_CASE_FIXTURE(circuits_fixture, "circuit_events: newest first, limited") {
  save(make_circuit(circuit_level::stage, "A:red"),
       {make_event(base_time - 3s), make_event(base_time - 1s),
        make_event(base_time - 2s)});
  save(make_circuit(circuit_level::stage, "B:red"), {make_event(base_time)});
  auto xs = db.circuit_events(circuit_level::stage, "A:red", 2);
  REQUIRE(xs);
  REQUIRE(xs->size() == 2);
  CHECK((*xs)[0].at == base_time - 1s);
  CHECK((*xs)[1].at == base_time - 2s);
  auto none = db.circuit_events(circuit_level::worker, "nobody", 10);
  REQUIRE(none);
  CHECK(none->empty());
}

TEST_CASE_FIXTURE(circuits_fixture, "a read-only connection reads circuits") {
  save(full_sample());
  auto ro = open(store::open_mode::read_only);
  auto all = ro.load_circuits(base_time);
  REQUIRE(all);
  REQUIRE(all->size() == 1);
  test::check_same_fields(all->front(), full_sample());
  auto write
    = ro.save_circuit(make_circuit(circuit_level::system, "system"), {});
  REQUIRE(!write);
  CHECK(write.error() == errc::read_only);
}
