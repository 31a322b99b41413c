#include "store/schema.hpp"

#include "messages/errc.hpp"
#include "store/database.hpp"
#include "store/raw_sqlite.hpp"
#include "store/task_specs.hpp"
#include "store/temp_dir.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

using namespace tdd;
using store::database;
using store::open_mode;

namespace {

std::vector<std::string> sorted(std::vector<std::string> xs) {
  std::sort(xs.begin(), xs.end());
  return xs;
}

database open_ok(const std::string& path, open_mode mode) {
  auto db = database::open(path, mode);
  REQUIRE_MESSAGE(db, describe(db.error()));
  return std::move(*db);
}

} // namespace

TEST_CASE("opening read-write creates and migrates an empty database") {
  test::temp_dir dir;
  auto path = dir.file("orchestrator.db");
  auto db = open_ok(path, open_mode::read_write);
  CHECK(db.schema_version() == store::latest_schema_version());
  CHECK(db.schema_version() >= 1);
  auto raw = test::open_raw(path);
  CHECK(test::query_text(raw.get(), "PRAGMA user_version")
        == std::to_string(store::latest_schema_version()));
}

TEST_CASE("reopening keeps data and version without migrating again") {
  test::temp_dir dir;
  auto path = dir.file("orchestrator.db");
  {
    auto db = open_ok(path, open_mode::read_write);
    REQUIRE(db.import_tasks({test::make_spec("A")}, false));
  }
  auto db = open_ok(path, open_mode::read_write);
  CHECK(db.schema_version() == store::latest_schema_version());
  auto a = db.find_task("A");
  REQUIRE(a);
  CHECK(a->has_value());
  auto ro = open_ok(path, open_mode::read_only);
  CHECK(ro.schema_version() == store::latest_schema_version());
}

TEST_CASE("a database from a newer orchestrator is refused in both modes") {
  test::temp_dir dir;
  auto path = dir.file("orchestrator.db");
  { open_ok(path, open_mode::read_write); }
  test::exec_sql(test::open_raw(path).get(), "PRAGMA user_version = 99");
  auto expected = "database " + path
                  + " has schema version 99, this orchestrator knows up to "
                  + std::to_string(store::latest_schema_version())
                  + "; upgrade the orchestrator";
  for (auto mode : {open_mode::read_write, open_mode::read_only}) {
    auto db = database::open(path, mode);
    REQUIRE(!db);
    CHECK(db.error() == errc::schema_too_new);
    CHECK(describe(db.error()) == expected);
  }
  // Refusing did not touch the file.
  CHECK(test::query_text(test::open_raw(path).get(), "PRAGMA user_version")
        == "99");
}

TEST_CASE("read-only refuses a missing file and does not create it") {
  test::temp_dir dir;
  auto path = dir.file("missing.db");
  auto db = database::open(path, open_mode::read_only);
  REQUIRE(!db);
  CHECK(db.error() == errc::not_found);
  CHECK(describe(db.error()).find(path) != std::string::npos);
  CHECK(!std::filesystem::exists(path));
}

TEST_CASE("read-only refuses an unmigrated database and never writes") {
  test::temp_dir dir;
  auto path = dir.file("empty.db");
  { test::open_raw(path); } // an empty SQLite file, user_version 0
  auto db = database::open(path, open_mode::read_only);
  REQUIRE(!db);
  CHECK(db.error() == errc::schema_too_old);
  CHECK(describe(db.error()).find(path) != std::string::npos);
  CHECK(test::query_text(test::open_raw(path).get(), "PRAGMA user_version")
        == "0");
}

TEST_CASE("a read-only connection refuses writes") {
  test::temp_dir dir;
  auto path = dir.file("orchestrator.db");
  {
    auto db = open_ok(path, open_mode::read_write);
    REQUIRE(db.import_tasks({test::make_spec("A")}, false));
  }
  auto ro = open_ok(path, open_mode::read_only);
  CHECK(ro.is_read_only());
  auto err = ro.set_task_status({"A", core::task_status::complete, ""});
  CHECK(err == errc::read_only);
  auto imported = ro.import_tasks({test::make_spec("B")}, false);
  REQUIRE(!imported);
  CHECK(imported.error() == errc::read_only);
}

TEST_CASE("the schema has every table, view and index") {
  test::temp_dir dir;
  auto path = dir.file("orchestrator.db");
  { open_ok(path, open_mode::read_write); }
  auto raw = test::open_raw(path);
  auto names = [&](const std::string& type) {
    return test::query_column(raw.get(),
                              "SELECT name FROM sqlite_master WHERE type = '"
                                + type + "' AND name NOT LIKE 'sqlite_%'");
  };
  CHECK(sorted(names("table"))
        == sorted({"runs", "tasks", "task_deps", "attempts", "workers", "nodes",
                   "circuit_breakers", "circuit_breaker_events",
                   "notifications", "control", "budget", "attempt_totals",
                   "circuit_totals", "circuit_recovery_totals",
                   "counter_totals"}));
  CHECK(sorted(names("view"))
        == sorted({"v_open_circuits", "v_circuit_health_summary",
                   "v_flapping_circuits", "v_ready_tasks", "v_stale_workers",
                   "v_task_progress"}));
  auto indexes = names("index");
  for (const auto* name :
       {"tasks_by_status_phase", "tasks_by_phase", "task_deps_by_depends_on",
        "attempts_by_task", "circuit_breaker_events_by_circuit",
        "circuit_breakers_by_state", "circuit_breaker_events_by_type",
        "control_by_processed_at", "attempts_by_run", "attempts_open",
        "runs_one_active"}) {
    CHECK_MESSAGE(std::count(indexes.begin(), indexes.end(), name) == 1, name);
  }
  auto columns = [&](const std::string& table) {
    return test::query_column(raw.get(), "SELECT name FROM pragma_table_info('"
                                           + table + "') ORDER BY cid");
  };
  CHECK(columns("control")
        == std::vector<std::string>{"id", "command", "argument", "created_at",
                                    "processed_at", "result"});
  CHECK(columns("runs")
        == std::vector<std::string>{
          "id", "status", "pid", "host", "target_branch", "options",
          "exit_code", "halt_reason", "started_at", "finished_at"});
  auto has = [&](const std::string& table, const char* column) {
    auto xs = columns(table);
    return std::count(xs.begin(), xs.end(), column) == 1;
  };
  for (const auto* lease : {"claimed_by", "claim_expires_at", "version"}) {
    CHECK_MESSAGE(has("tasks", lease), lease);
  }
  CHECK(has("workers", "current_stage"));
  CHECK(has("budget", "tokens_used"));
  CHECK(columns("v_open_circuits")
        == std::vector<std::string>{
          "circuit", "level", "identifier", "opened_at", "failure_count",
          "consecutive_failures", "extensions", "last_failure_at"});
  CHECK(columns("v_circuit_health_summary")
        == std::vector<std::string>{"level", "closed", "open", "half_open",
                                    "total"});
  CHECK(columns("v_flapping_circuits")
        == std::vector<std::string>{"circuit", "level", "identifier", "state",
                                    "state_changes", "last_change_at"});
}

TEST_CASE("read-write connections use WAL and enforce foreign keys") {
  test::temp_dir dir;
  auto path = dir.file("orchestrator.db");
  auto db = open_ok(path, open_mode::read_write);
  // journal_mode=WAL is stored in the file, so a second connection sees it.
  CHECK(test::query_text(test::open_raw(path).get(), "PRAGMA journal_mode")
        == "wal");
  // Foreign keys are per connection: an attempt of an unknown task fails.
  attempt_row orphan;
  orphan.task_key = "NOPE";
  orphan.stage = "red";
  orphan.attempt = 1;
  auto id = db.add_attempt(orphan);
  REQUIRE(!id);
  CHECK(describe(id.error()).find("FOREIGN KEY") != std::string::npos);
}

TEST_CASE("migrations are recorded one version per script") {
  CHECK(store::latest_schema_version()
        == static_cast<int>(store::migrations().size()));
  test::temp_dir dir;
  auto raw = test::open_raw(dir.file("orchestrator.db"));
  auto version = store::migrate(raw.get(), "orchestrator.db");
  REQUIRE(version);
  CHECK(*version == store::latest_schema_version());
  auto again = store::migrate(raw.get(), "orchestrator.db");
  REQUIRE(again);
  CHECK(*again == *version);
}
