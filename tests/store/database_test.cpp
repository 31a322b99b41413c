#include "store/database.hpp"

#include "messages/errc.hpp"
#include "store/raw_sqlite.hpp"
#include "store/task_specs.hpp"
#include "store/temp_dir.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace tdd;
using core::task_status;
using store::database;
using store::open_mode;

namespace {

struct db_fixture : test::temp_dir {
  std::string path = file("orchestrator.db");
  database db = open();

  database open() {
    auto result = database::open(path, open_mode::read_write);
    REQUIRE_MESSAGE(result, describe(result.error()));
    return std::move(*result);
  }

  import_summary import(const std::vector<core::task_spec>& specs,
                        bool force = false) {
    auto result = db.import_tasks(specs, force);
    REQUIRE_MESSAGE(result, describe(result.error()));
    return std::move(*result);
  }

  task_row find(const std::string& key) {
    auto row = db.find_task(key);
    REQUIRE_MESSAGE(row, describe(row.error()));
    REQUIRE_MESSAGE(row->has_value(), "no task ", key);
    return std::move(**row);
  }

  void set_status(const std::string& key, task_status status,
                  std::string reason = {}) {
    auto err = db.set_task_status({key, status, std::move(reason)});
    REQUIRE_MESSAGE(!err, describe(err));
  }

  std::vector<std::string> keys(const store::task_filter& filter) {
    auto rows = db.list_tasks(filter);
    REQUIRE_MESSAGE(rows, describe(rows.error()));
    std::vector<std::string> result;
    for (const auto& row : *rows) {
      result.emplace_back(row.spec.key);
    }
    return result;
  }
};

using strings = std::vector<std::string>;

} // namespace

TEST_CASE_FIXTURE(db_fixture, "import adds tasks that read back identical") {
  auto a = test::make_spec("A");
  a.acceptance.emplace_back("bytes \xff\xfe, $(rm -rf /), \"quotes\", \x01");
  a.verify_all = "make test";
  a.complexity = core::task_complexity::high;
  auto summary = import({a, test::make_spec("B", {"A"})});
  CHECK(summary.added == 2);
  CHECK(summary.updated == 0);
  CHECK(summary.unchanged == 0);
  CHECK(summary.refused.empty());
  auto row = find("A");
  CHECK(row.spec == a);
  CHECK(row.status == task_status::pending);
  CHECK(row.created_at.size() == 24); // 2024-01-02T03:04:05.678Z
  CHECK(row.created_at.back() == 'Z');
  CHECK(find("B").spec.depends_on == strings{"A"});
}

TEST_CASE_FIXTURE(db_fixture, "dependencies may come later in the same file") {
  auto summary = import({test::make_spec("B", {"A"}), test::make_spec("A")});
  CHECK(summary.added == 2);
  CHECK(*db.dependencies_of("B") == strings{"A"});
  CHECK(*db.dependents_of("A") == strings{"B"});
}

TEST_CASE_FIXTURE(db_fixture, "import refuses in-progress tasks and writes "
                              "nothing") {
  import({test::make_spec("A"), test::make_spec("B")});
  set_status("A", task_status::running);
  set_status("B", task_status::complete);
  auto a = test::make_spec("A");
  a.title = "changed";
  auto b = test::make_spec("B");
  b.goal = "changed";
  auto summary = import({a, b, test::make_spec("C")});
  CHECK(summary.refused == strings{"A", "B"});
  CHECK(find("A").spec.title == "Task A");
  CHECK(find("B").spec.goal == test::make_spec("B").goal);
  auto c = db.find_task("C");
  REQUIRE(c);
  CHECK(!c->has_value()); // the new task was rolled back too
}

TEST_CASE_FIXTURE(db_fixture, "force updates and resets to pending") {
  import({test::make_spec("A"), test::make_spec("B"), test::make_spec("C")});
  set_status("C", task_status::blocked, "stage_circuit_open:green");
  auto c = test::make_spec("C", {"A", "B"}, 2);
  c.title = "new title";
  auto summary = import({c, test::make_spec("A")}, true);
  CHECK(summary.updated == 1);
  CHECK(summary.unchanged == 1);
  CHECK(summary.refused.empty());
  auto row = find("C");
  CHECK(row.spec == c);
  CHECK(row.status == task_status::pending);
  CHECK(row.blocked_reason.empty());
  // Dependencies are replaced, not merged.
  import({test::make_spec("C", {"B"}, 2)});
  CHECK(find("C").spec.depends_on == strings{"B"});
  CHECK(db.dependents_of("A")->empty());
}

TEST_CASE_FIXTURE(db_fixture, "an identical spec is unchanged, whatever the "
                              "status and dependency order") {
  import({test::make_spec("A"), test::make_spec("B"),
          test::make_spec("C", {"A", "B"})});
  set_status("C", task_status::complete);
  auto before = find("C");
  auto summary = import({test::make_spec("C", {"B", "A"}), test::make_spec("A"),
                         test::make_spec("B")});
  CHECK(summary.unchanged == 3);
  CHECK(summary.updated == 0);
  CHECK(summary.refused.empty());
  auto after = find("C");
  CHECK(after.updated_at == before.updated_at);
  CHECK(after.status == task_status::complete);
}

TEST_CASE_FIXTURE(db_fixture, "a changed pending task is updated") {
  import({test::make_spec("A")});
  auto a = test::make_spec("A");
  a.acceptance = {};
  CHECK(import({a}).updated == 1);
  CHECK(find("A").spec.acceptance.empty());
}

TEST_CASE_FIXTURE(db_fixture, "bad imports are errors and write nothing") {
  auto unknown = db.import_tasks({test::make_spec("A", {"GHOST"})}, false);
  REQUIRE(!unknown);
  CHECK(unknown.error() == errc::not_found);
  CHECK(describe(unknown.error()) == "task A depends on unknown task GHOST");
  auto bad_key = db.import_tasks({test::make_spec("has space")}, false);
  REQUIRE(!bad_key);
  CHECK(bad_key.error() == errc::invalid_argument);
  auto twice
    = db.import_tasks({test::make_spec("A"), test::make_spec("A")}, false);
  REQUIRE(!twice);
  CHECK(twice.error() == errc::invalid_argument);
  CHECK(keys({}).empty());
}

TEST_CASE_FIXTURE(db_fixture, "list filters by status and phase, ordered by "
                              "phase then key") {
  import({test::make_spec("B", {}, 1), test::make_spec("A", {}, 2),
          test::make_spec("C", {}, 1), test::make_spec("D", {}, 0)});
  set_status("C", task_status::complete);
  CHECK(keys({}) == strings{"D", "B", "C", "A"});
  CHECK(keys({task_status::pending, std::nullopt}) == strings{"D", "B", "A"});
  CHECK(keys({std::nullopt, 1}) == strings{"B", "C"});
  CHECK(keys({task_status::pending, 1}) == strings{"B"});
  CHECK(keys({task_status::blocked, std::nullopt}).empty());
}

TEST_CASE_FIXTURE(db_fixture, "counts group tasks by status") {
  auto empty = db.count_tasks();
  REQUIRE(empty);
  CHECK(empty->pending == 0);
  import({test::make_spec("A"), test::make_spec("B"), test::make_spec("C"),
          test::make_spec("D")});
  set_status("A", task_status::running);
  set_status("B", task_status::blocked, "merge_conflict");
  set_status("C", task_status::complete);
  auto counts = db.count_tasks();
  REQUIRE(counts);
  CHECK(counts->pending == 1);
  CHECK(counts->running == 1);
  CHECK(counts->complete == 1);
  CHECK(counts->blocked == 1);
}

TEST_CASE_FIXTURE(db_fixture, "status updates keep the reason only when "
                              "blocked") {
  import({test::make_spec("A")});
  set_status("A", task_status::blocked, "dependency_blocked:B");
  CHECK(find("A").blocked_reason == "dependency_blocked:B");
  set_status("A", task_status::pending, "ignored");
  CHECK(find("A").blocked_reason.empty());
  auto err = db.set_task_status({"NOPE", task_status::running, ""});
  CHECK(err == errc::not_found);
}

TEST_CASE_FIXTURE(db_fixture, "task nodes carry deps, phase and status") {
  import({test::make_spec("A", {}, 0), test::make_spec("B", {"A"}, 1)});
  set_status("A", task_status::complete);
  auto nodes = db.task_nodes();
  REQUIRE(nodes);
  REQUIRE(nodes->size() == 2);
  CHECK((*nodes)[0].key == "A");
  CHECK((*nodes)[0].status == task_status::complete);
  CHECK((*nodes)[1].depends_on == strings{"A"});
  CHECK((*nodes)[1].phase == 1);
}

TEST_CASE_FIXTURE(db_fixture, "attempts come back oldest first") {
  import({test::make_spec("A")});
  for (const auto* stage : {"red", "green", "verify"}) {
    attempt_row x;
    x.task_key = "A";
    x.stage = stage;
    x.attempt = 1;
    x.outcome = "passed";
    x.cost_micros = 120000;
    x.tokens = 3400;
    x.worker_id = "worker_1";
    REQUIRE(db.add_attempt(x));
  }
  auto attempts = db.attempts_of("A");
  REQUIRE(attempts);
  REQUIRE(attempts->size() == 3);
  CHECK((*attempts)[0].stage == "red");
  CHECK((*attempts)[2].stage == "verify");
  CHECK((*attempts)[0].id < (*attempts)[1].id);
  CHECK((*attempts)[1].cost_micros == 120000);
  CHECK((*attempts)[1].started_at.size() == 24);
  CHECK(db.attempts_of("NOPE")->empty());
}
