#include "messages/errc.hpp"
#include "store/database.hpp"
#include "store/run_fixture.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace tdd;
using strings = std::vector<std::string>;

namespace {

struct attempt_fixture : test::run_fixture {
  int64_t run = start_run();

  attempt_start start_of(const std::string& key, const std::string& stage,
                         int32_t number, int64_t run_id = 0) {
    return {run_id == 0 ? run : run_id,
            key,
            stage,
            number,
            "worker_1",
            ".orchestrator/logs/1/" + key + "/" + stage + "-"
              + std::to_string(number) + ".log",
            at(number)};
  }

  int64_t start(const std::string& key, const std::string& stage,
                int32_t number, int64_t run_id = 0) {
    return test::value_of(
      db.start_attempt(start_of(key, stage, number, run_id)));
  }

  std::vector<attempt_row> attempts(const std::string& key) {
    return test::value_of(db.attempts_of(key));
  }

  strings outcomes() {
    return column("SELECT task_key || ':' || stage || ':' || attempt || ':' "
                  "|| outcome FROM attempts ORDER BY id");
  }
};

} // namespace

TEST_CASE_FIXTURE(attempt_fixture, "an attempt starts open and then ends") {
  const auto id = start("A", "red", 1);
  auto rows = attempts("A");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].id == id);
  CHECK(rows[0].outcome.empty());
  CHECK(rows[0].started_at == text_at(1));
  CHECK(rows[0].worker_id == "worker_1");
  CHECK(rows[0].log_path == ".orchestrator/logs/1/A/red-1.log");
  CHECK(column("SELECT run_id FROM attempts") == strings{"1"});

  TDD_REQUIRE_OK(db.finish_attempt(id, {1'234, "passed", "", 120'000, 3'400}));
  rows = attempts("A");
  CHECK(rows[0].duration_ms == 1'234);
  CHECK(rows[0].outcome == "passed");
  CHECK(rows[0].cost_micros == 120'000);
  CHECK(rows[0].tokens == 3'400);
}

TEST_CASE_FIXTURE(attempt_fixture, "an attempt ends once") {
  const auto id = start("A", "red", 1);
  CHECK(db.finish_attempt(id, {}) == errc::invalid_argument); // no outcome
  TDD_REQUIRE_OK(db.finish_attempt(id, {5, "failed", "red_test_passes", 0, 0}));
  auto again = db.finish_attempt(id, {6, "passed", "", 0, 0});
  CHECK(again == errc::conflict);
  CHECK(describe(again)
        == "attempt " + std::to_string(id) + " has ended already (failed)");
  CHECK(attempts("A")[0].reason == "red_test_passes");
  CHECK(db.finish_attempt(999, {1, "passed", "", 0, 0}) == errc::not_found);
}

TEST_CASE_FIXTURE(attempt_fixture,
                  "an attempt is found by run, task, stage and number") {
  start("A", "red", 1);
  start("A", "green", 1);
  start("B", "red", 1);
  TDD_REQUIRE_OK(db.finish_attempt(
    attempt_finish{run, "A", "green", 1, {9, "passed", "", 0, 0}}));
  CHECK(outcomes() == strings{"A:red:1:", "A:green:1:passed", "B:red:1:"});
  auto none = db.finish_attempt(
    attempt_finish{run, "A", "green", 1, {9, "x", "", 0, 0}});
  CHECK(none == errc::not_found);
  CHECK(describe(none) == "no open attempt A green #1 in run 1");
  // Outside a run (run id 0) is a run of its own.
  test::value_of(db.start_attempt({0, "C", "red", 1, "", "", t0}));
  TDD_REQUIRE_OK(
    db.finish_attempt(attempt_finish{0, "C", "red", 1, {1, "ok", "", 0, 0}}));
}

TEST_CASE_FIXTURE(attempt_fixture,
                  "interrupt_open_attempts: only the run's open attempts") {
  start("A", "red", 1);
  const auto done = start("A", "red", 2);
  TDD_REQUIRE_OK(db.finish_attempt(done, {1, "passed", "", 0, 0}));
  const auto open = start("B", "red", 1);
  TDD_REQUIRE_OK(db.finish_run(run, core::run_outcome::interrupted, "", at(9)));
  const auto next = start_run();
  start("C", "red", 1, next);
  CHECK(test::value_of(db.interrupt_open_attempts(run, "run_died")) == 2);
  CHECK(outcomes()
        == strings{"A:red:1:interrupted", "A:red:2:passed",
                   "B:red:1:interrupted", "C:red:1:"});
  CHECK(test::value_of(db.interrupt_open_attempts(run, "run_died")) == 0);
  // A worker that reports late cannot overwrite the interruption.
  CHECK(db.finish_attempt(open, {1, "passed", "", 0, 0}) == errc::conflict);
}

TEST_CASE_FIXTURE(attempt_fixture, "attempts keep to the vocabulary") {
  CHECK(!db.start_attempt(start_of("A", "lint", 1)));
  CHECK(!db.start_attempt(start_of("A", "red", 0)));
  CHECK(!db.start_attempt(start_of("NOPE", "red", 1)));
  CHECK(outcomes().empty());
}

TEST_CASE_FIXTURE(attempt_fixture, "workers register, work and heartbeat") {
  test::exec_sql(test::open_raw(path).get(),
                 "INSERT INTO nodes (id, host) VALUES ('gpu-box', 'gpu')");
  for (const auto* id : {"worker_10", "worker_2", "worker_1"}) {
    TDD_REQUIRE_OK(db.register_worker({id, "", run, "idle", at(0)}));
  }
  TDD_REQUIRE_OK(
    db.register_worker({"gpu-box.worker_1", "gpu-box", run, "idle", at(1)}));
  auto rows = test::value_of(db.list_workers());
  strings ids;
  for (const auto& x : rows) {
    ids.push_back(x.id);
  }
  CHECK(ids
        == strings{"worker_1", "worker_2", "worker_10", "gpu-box.worker_1"});
  CHECK(rows[0].node.empty());
  CHECK(rows[0].run_id == run);
  CHECK(rows[0].state == "idle");
  CHECK(rows[0].started_at == text_at(0));
  CHECK(rows[0].heartbeat_at == text_at(0));
  CHECK(rows[3].node == "gpu-box");

  TDD_REQUIRE_OK(db.set_worker_state({"worker_1", "busy", "A", "green"}));
  TDD_REQUIRE_OK(db.heartbeat("worker_1", at(5)));
  rows = test::value_of(db.list_workers());
  CHECK(rows[0].state == "busy");
  CHECK(rows[0].current_task == "A");
  CHECK(rows[0].current_stage == "green");
  CHECK(rows[0].heartbeat_at == text_at(5));
  TDD_REQUIRE_OK(db.set_worker_state({"worker_1", "idle", "", ""}));
  CHECK(test::value_of(db.list_workers())[0].current_task.empty());
}

TEST_CASE_FIXTURE(attempt_fixture, "workers: restarts, errors") {
  TDD_REQUIRE_OK(db.register_worker({"worker_1", "", run, "idle", at(0)}));
  TDD_REQUIRE_OK(db.set_worker_state({"worker_1", "busy", "A", "red"}));
  // The supervisor restarts it in the same run: counted, task cleared.
  TDD_REQUIRE_OK(db.register_worker({"worker_1", "", run, "idle", at(9)}));
  auto w = test::value_of(db.list_workers()).at(0);
  CHECK(w.restarts == 1);
  CHECK(w.current_task.empty());
  CHECK(w.started_at == text_at(9));
  // A new run starts the count over.
  TDD_REQUIRE_OK(db.finish_run(run, core::run_outcome::complete, "", at(10)));
  const auto next = start_run();
  TDD_REQUIRE_OK(db.register_worker({"worker_1", "", next, "idle", at(11)}));
  w = test::value_of(db.list_workers()).at(0);
  CHECK(w.restarts == 0);
  CHECK(w.run_id == next);

  CHECK(db.set_worker_state({"worker_9", "busy", "", ""}) == errc::not_found);
  CHECK(db.heartbeat("worker_9", at(1)) == errc::not_found);
  CHECK(db.set_worker_state({"worker_1", "sleepy", "", ""}) != caf::none);
  CHECK(db.register_worker({"x.worker_1", "no-such-node", next, "idle", t0})
        != caf::none);
}
