// The views of SPEC.md section 6, checked on rows written by hand, as a
// person with `sqlite3` would see them.

#include "store/database.hpp"
#include "store/raw_sqlite.hpp"
#include "store/task_specs.hpp"
#include "store/temp_dir.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace tdd;
using strings = std::vector<std::string>;

namespace {

constexpr const char* now = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

struct views_fixture : test::temp_dir {
  std::string path = file("orchestrator.db");
  store::connection_ptr raw = migrated_raw();

  store::connection_ptr migrated_raw() {
    auto db = store::database::open(path, store::open_mode::read_write);
    REQUIRE(db);
    auto result = test::open_raw(path);
    test::exec_sql(result.get(), "PRAGMA foreign_keys = ON");
    return result;
  }

  void sql(const std::string& x) { test::exec_sql(raw.get(), x); }

  strings column(const std::string& x) {
    return test::query_column(raw.get(), x);
  }

  void add_task(const std::string& key, const std::string& status,
                int phase = 0) {
    sql("INSERT INTO tasks (key, title, status, phase) VALUES ('" + key
        + "', 't', '" + status + "', " + std::to_string(phase) + ")");
  }

  void add_circuit(int id, const std::string& level, const std::string& name,
                   const std::string& state) {
    sql("INSERT INTO circuit_breakers (id, level, identifier, state) VALUES ("
        + std::to_string(id) + ", '" + level + "', '" + name + "', '" + state
        + "')");
  }

  void add_state_changes(int circuit, int n, const std::string& age) {
    for (int i = 0; i < n; ++i) {
      sql("INSERT INTO circuit_breaker_events (circuit_id, event_type, "
          "from_state, to_state, created_at) VALUES ("
          + std::to_string(circuit)
          + ", 'state_change', 'closed', 'open', "
            "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '"
          + age + "'))");
    }
  }
};

} // namespace

TEST_CASE_FIXTURE(views_fixture, "v_ready_tasks: deps complete, phase open") {
  add_task("A", "complete");
  add_task("B", "pending");
  add_task("C", "pending");
  add_task("D", "running");
  add_task("E", "pending", 1);
  sql("INSERT INTO task_deps VALUES ('B', 'A'), ('C', 'D')");
  auto ready = "SELECT key FROM v_ready_tasks ORDER BY phase, key";
  CHECK(column(ready) == strings{"B"});
  sql("UPDATE tasks SET status = 'complete' WHERE phase = 0");
  CHECK(column(ready) == strings{"E"});
}

TEST_CASE_FIXTURE(views_fixture, "circuit views: open, summary, flapping") {
  add_circuit(1, "stage", "A:red", "closed");
  add_circuit(2, "stage", "A:green", "open");
  add_circuit(3, "stage", "B:red", "closed");
  add_circuit(4, "worker", "worker_1", "half_open");
  CHECK(column("SELECT identifier FROM v_open_circuits") == strings{"A:green"});
  CHECK(column("SELECT level || ':' || total || ':' || closed || ':' || open "
               "|| ':' || half_open FROM v_circuit_health_summary "
               "ORDER BY level")
        == strings{"stage:3:2:1:0", "system:0:0:0:0", "worker:1:0:0:1"});
  add_state_changes(1, 6, "-1 minutes");  // flapping
  add_state_changes(3, 5, "-1 minutes");  // at the limit: not flapping
  add_state_changes(4, 6, "-10 minutes"); // too long ago
  CHECK(column("SELECT identifier || ':' || state_changes "
               "FROM v_flapping_circuits")
        == strings{"A:red:6"});
}

TEST_CASE_FIXTURE(views_fixture, "v_stale_workers: heartbeat older than 15 s") {
  sql(std::string{"INSERT INTO workers (id, state, heartbeat_at) VALUES "}
      + "('worker_1', 'busy', " + now + "), "
      + "('worker_2', 'busy', strftime('%Y-%m-%dT%H:%M:%fZ', 'now', "
        "'-20 seconds')), "
      + "('worker_3', 'stopped', '2000-01-01T00:00:00.000Z')");
  CHECK(column("SELECT id FROM v_stale_workers") == strings{"worker_2"});
}

TEST_CASE_FIXTURE(views_fixture, "v_task_progress: attempts, stage, cost") {
  add_task("A", "running");
  add_task("B", "pending");
  sql("INSERT INTO attempts (task_key, stage, attempt, cost_micros, tokens) "
      "VALUES ('A', 'red', 1, 100, 10), ('A', 'green', 1, 250, 20)");
  CHECK(column("SELECT key || ':' || status || ':' || attempts || ':' || "
               "COALESCE(last_stage, '-') || ':' || cost_micros || ':' || "
               "tokens FROM v_task_progress ORDER BY key")
        == strings{"A:running:2:green:350:30", "B:pending:0:-:0:0"});
}

TEST_CASE_FIXTURE(views_fixture, "constraints guard the vocabularies") {
  add_task("A", "pending");
  auto fails = [&](const std::string& x) {
    return store::exec(raw.get(), x.c_str()) != caf::none;
  };
  CHECK(fails("INSERT INTO tasks (key, title, status) VALUES ('X', 't', "
              "'done')"));
  CHECK(fails("INSERT INTO attempts (task_key, stage, attempt) VALUES ('A', "
              "'lint', 1)"));
  add_circuit(1, "stage", "A:red", "closed");
  CHECK(fails("INSERT INTO circuit_breakers (level, identifier) VALUES "
              "('stage', 'A:red')")); // UNIQUE (level, identifier)
  CHECK(fails("INSERT INTO circuit_breakers (level, identifier, state) VALUES "
              "('stage', 'A:green', 'ajar')"));
  CHECK(fails("INSERT INTO circuit_breaker_events (circuit_id, event_type) "
              "VALUES (1, 'exploded')"));
  CHECK(!fails("INSERT INTO circuit_breaker_events (circuit_id, event_type) "
               "VALUES (1, 'manual_reset')"));
  CHECK(fails("INSERT INTO runs (pid, host) VALUES (1, 'h'), (2, 'h')"));
}

TEST_CASE_FIXTURE(views_fixture, "deleting a task cascades to its rows") {
  add_task("A", "complete");
  add_task("B", "pending");
  sql("INSERT INTO task_deps VALUES ('B', 'A')");
  sql("INSERT INTO attempts (task_key, stage, attempt) VALUES ('B', 'red', 1)");
  sql("DELETE FROM tasks WHERE key = 'B'");
  CHECK(column("SELECT COUNT(*) FROM task_deps") == strings{"0"});
  CHECK(column("SELECT COUNT(*) FROM attempts") == strings{"0"});
  // A task others depend on cannot go.
  sql("INSERT INTO tasks (key, title) VALUES ('C', 't')");
  sql("INSERT INTO task_deps VALUES ('C', 'A')");
  CHECK(store::exec(raw.get(), "DELETE FROM tasks WHERE key = 'A'")
        != caf::none);
}

TEST_CASE_FIXTURE(views_fixture, "status queries use the task indexes") {
  // Column 3 of EXPLAIN QUERY PLAN is the human-readable detail.
  auto detail = [&](const std::string& x) {
    std::string result;
    auto stmt = store::statement::prepare(raw.get(), "EXPLAIN QUERY PLAN " + x);
    REQUIRE(stmt);
    auto guard = stmt->use();
    REQUIRE(
      !stmt->for_each_row([&] { result += stmt->column_text(3) + "\n"; }));
    return result;
  };
  auto counts = detail("SELECT status, COUNT(*) FROM tasks GROUP BY status");
  CHECK_MESSAGE(counts.find("COVERING INDEX tasks_by_status_phase")
                  != std::string::npos,
                counts);
  auto by_status = detail("SELECT key FROM tasks t WHERE t.status = 'pending' "
                          "ORDER BY t.phase, t.key");
  CHECK_MESSAGE(by_status.find("INDEX tasks_by_status_phase (status=?)")
                  != std::string::npos,
                by_status);
  CHECK_MESSAGE(by_status.find("TEMP B-TREE") == std::string::npos, by_status);
  auto all = detail("SELECT title FROM tasks t ORDER BY t.phase, t.key");
  CHECK_MESSAGE(all.find("INDEX tasks_by_phase") != std::string::npos, all);
}
