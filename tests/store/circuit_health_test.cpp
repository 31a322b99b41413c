// database::circuit_health_input reads the circuit views; a person running
// sqlite3 on the same database sees the same numbers.

#include "store/circuit_samples.hpp"
#include "store/database.hpp"
#include "store/raw_sqlite.hpp"
#include "store/temp_dir.hpp"
#include "store/time_text.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

using namespace tdd;
using namespace std::chrono_literals;
using core::circuit_level;
using core::circuit_state;
using strings = std::vector<std::string>;
using test::make_circuit;
using test::make_event;

namespace {

struct health_fixture : test::temp_dir {
  std::string path = file("orchestrator.db");
  store::database db = open();
  store::connection_ptr raw = test::open_raw(path);
  /// The views compare with SQLite's clock, so the events are placed
  /// relative to it.
  core::wall_time now = sqlite_now();

  store::database open() {
    auto result = store::database::open(path, store::open_mode::read_write);
    REQUIRE_MESSAGE(result, describe(result.error()));
    return std::move(*result);
  }

  core::wall_time sqlite_now() {
    auto text = test::query_text(
      raw.get(), "SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now')");
    auto result = store::parse_time(text);
    REQUIRE_MESSAGE(result, text);
    return *result;
  }

  void save(core::circuit_snapshot x,
            const std::vector<core::circuit_event>& events = {}) {
    if (x.state == circuit_state::open) {
      x.opened_at = now - 1min;
      x.failure_count = 3;
    }
    auto version = db.save_circuit(x, events);
    REQUIRE_MESSAGE(version, describe(version.error()));
  }

  /// Six state changes, `step` apart, the newest 10 s ago.
  std::vector<core::circuit_event> six_changes(std::chrono::seconds step) {
    std::vector<core::circuit_event> result;
    for (int i = 0; i < 6; ++i) {
      result.push_back(make_event(now - 10s - i * step));
    }
    return result;
  }

  /// 2 stage circuits open, 1 worker half_open, the system closed; C:red
  /// changed state 6 times in the last 5 minutes (flapping), D:red 6
  /// times over 10 minutes (not flapping).
  void prepare() {
    save(make_circuit(circuit_level::stage, "A:red", circuit_state::open));
    save(make_circuit(circuit_level::stage, "B:green", circuit_state::open));
    save(make_circuit(circuit_level::worker, "worker_1",
                      circuit_state::half_open));
    save(make_circuit(circuit_level::system, "system"));
    save(make_circuit(circuit_level::stage, "C:red"), six_changes(40s));
    save(make_circuit(circuit_level::stage, "D:red"), six_changes(110s));
  }

  strings column(const std::string& sql) {
    return test::query_column(raw.get(), sql);
  }
};

} // namespace

TEST_CASE_FIXTURE(health_fixture, "health input is what the views show") {
  prepare();
  auto input = db.circuit_health_input();
  REQUIRE_MESSAGE(input, describe(input.error()));
  CHECK(input->stage.closed == 2);
  CHECK(input->stage.open == 2);
  CHECK(input->stage.half_open == 0);
  CHECK(input->worker.closed == 0);
  CHECK(input->worker.open == 0);
  CHECK(input->worker.half_open == 1);
  CHECK(input->system.closed == 1);
  CHECK(input->system.open == 0);
  CHECK(input->system.half_open == 0);
  CHECK(input->flapping == 1);
  // The same numbers, as `sqlite3` shows them.
  CHECK(column("SELECT level || ' ' || closed || ' ' || open || ' ' || "
               "half_open || ' ' || total FROM v_circuit_health_summary")
        == strings{"stage 2 2 0 4", "worker 0 0 1 1", "system 1 0 0 1"});
  CHECK(column("SELECT circuit || ' ' || level || ' ' || identifier || ' ' "
               "|| state || ' ' || state_changes FROM v_flapping_circuits")
        == strings{"stage:C:red stage C:red closed 6"});
  CHECK(column("SELECT last_change_at FROM v_flapping_circuits")
        == strings{store::format_time(now - 10s)});
  CHECK(column("SELECT circuit || ' ' || failure_count || ' ' || "
               "consecutive_failures || ' ' || extensions FROM "
               "v_open_circuits")
        == strings{"stage:A:red 3 0 0", "stage:B:green 3 0 0"});
  // The snapshots count the same window.
  auto c = db.find_circuit(circuit_level::stage, "C:red", now);
  auto d = db.find_circuit(circuit_level::stage, "D:red", now);
  REQUIRE((c && *c && d && *d));
  CHECK((*c)->recent_changes.size() == 6);
  CHECK((*d)->recent_changes.size() == 3); // 10 s, 120 s, 230 s ago
}

TEST_CASE_FIXTURE(health_fixture, "an empty database is all zeros") {
  auto input = db.circuit_health_input();
  REQUIRE(input);
  for (const auto* counts : {&input->stage, &input->worker, &input->system}) {
    CHECK(counts->closed + counts->open + counts->half_open == 0);
  }
  CHECK(input->flapping == 0);
  CHECK(column("SELECT level FROM v_circuit_health_summary")
        == strings{"stage", "worker", "system"});
}

TEST_CASE_FIXTURE(health_fixture, "the system circuit shows as `system`") {
  save(make_circuit(circuit_level::system, "system", circuit_state::open));
  save(make_circuit(circuit_level::worker, "worker_2", circuit_state::open));
  CHECK(column("SELECT circuit FROM v_open_circuits ORDER BY circuit")
        == strings{"system", "worker:worker_2"});
  // As core::display_id spells them.
  CHECK(core::display_id(circuit_level::system, "system") == "system");
  CHECK(core::display_id(circuit_level::worker, "worker_2")
        == "worker:worker_2");
  CHECK(core::display_id(circuit_level::stage, "A:red") == "stage:A:red");
}
