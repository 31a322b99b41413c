// Schema v2: the commit a task's recorded stage starts from (what `run
// --resume` resets the task branch to), and the upgrade of a v1 database.

#include "messages/errc.hpp"
#include "store/database.hpp"
#include "store/raw_sqlite.hpp"
#include "store/run_fixture.hpp"
#include "store/schema.hpp"
#include "store/task_specs.hpp"
#include "store/temp_dir.hpp"

#include <doctest/doctest.h>

#include <string>
#include <utility>

using namespace tdd;
using store::database;
using store::open_mode;

namespace {

const std::string commit_a(40, 'a');
const std::string commit_b(40, 'b');

database open_ok(const std::string& path, open_mode mode) {
  auto db = database::open(path, mode);
  REQUIRE_MESSAGE(db, describe(db.error()));
  return std::move(*db);
}

task_row find(database& db, const std::string& key) {
  auto row = db.find_task(key);
  REQUIRE_MESSAGE(row, describe(row.error()));
  REQUIRE(row->has_value());
  return **row;
}

/// A database file as an orchestrator with schema v1 left it: one task in
/// stage green.
void write_v1_database(const std::string& path) {
  auto raw = test::open_raw(path);
  test::exec_sql(raw.get(), std::string{store::migrations().at(0)});
  test::exec_sql(raw.get(), "PRAGMA user_version = 1");
  test::exec_sql(raw.get(), "INSERT INTO tasks (key, title, current_stage) "
                            "VALUES ('A', 'Task A', 'green')");
}

} // namespace

TEST_CASE("a v1 database upgrades to v2 and keeps its tasks and stages") {
  REQUIRE(store::latest_schema_version() >= 2);
  test::temp_dir dir;
  const auto path = dir.file("orchestrator.db");
  write_v1_database(path);
  // Read-only never migrates: it asks for a write command first.
  auto ro = database::open(path, open_mode::read_only);
  REQUIRE(!ro);
  CHECK(ro.error() == errc::schema_too_old);
  auto db = open_ok(path, open_mode::read_write);
  CHECK(db.schema_version() == store::latest_schema_version());
  const auto a = find(db, "A");
  CHECK(a.current_stage == "green");
  CHECK(a.stage_commit.empty()); // unknown: a resume keeps the branch tip
  TDD_REQUIRE_OK(db.set_current_stage("A", "verify", commit_a));
  CHECK(find(db, "A").stage_commit == commit_a);
}

TEST_CASE("a stage is recorded with the commit it starts from") {
  test::temp_dir dir;
  auto db = open_ok(dir.file("orchestrator.db"), open_mode::read_write);
  REQUIRE(db.import_tasks({test::make_spec("A"), test::make_spec("B")}, false));
  CHECK(find(db, "A").stage_commit.empty());

  TDD_REQUIRE_OK(db.set_current_stage("A", "green", commit_a));
  CHECK(find(db, "A").current_stage == "green");
  CHECK(find(db, "A").stage_commit == commit_a);
  CHECK(find(db, "B").stage_commit.empty());
  auto listed = db.list_tasks({});
  REQUIRE(listed);
  REQUIRE(listed->size() == 2);
  CHECK(listed->front().stage_commit == commit_a);

  SUBCASE("the next stage replaces both") {
    TDD_REQUIRE_OK(db.set_current_stage("A", "verify", commit_b));
    CHECK(find(db, "A").current_stage == "verify");
    CHECK(find(db, "A").stage_commit == commit_b);
  }
  SUBCASE("no stage (tasks retry) clears the commit too") {
    TDD_REQUIRE_OK(db.set_current_stage("A", ""));
    CHECK(find(db, "A").current_stage.empty());
    CHECK(find(db, "A").stage_commit.empty());
  }
  SUBCASE("what is no commit id is refused and changes nothing") {
    CHECK(db.set_current_stage("A", "verify", "--orphan")
          == errc::invalid_argument);
    CHECK(db.set_current_stage("A", "verify", "HEAD")
          == errc::invalid_argument);
    CHECK(find(db, "A").current_stage == "green");
    CHECK(find(db, "A").stage_commit == commit_a);
  }
  SUBCASE("a changed task re-imported starts over without a commit") {
    auto spec = test::make_spec("A");
    spec.goal = "something else";
    REQUIRE(db.import_tasks({spec}, true));
    CHECK(find(db, "A").current_stage.empty());
    CHECK(find(db, "A").stage_commit.empty());
  }
}
