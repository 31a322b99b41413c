// Schema v3: the running totals behind the Prometheus metrics, kept by
// triggers whoever writes, and database::metrics_data reading them.

#include "store/database.hpp"
#include "store/raw_sqlite.hpp"
#include "store/run_fixture.hpp"
#include "store/schema.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace tdd;
using tdd::test::value_of;

namespace {

struct totals_fixture : test::run_fixture {
  int64_t started(const std::string& key, const std::string& stage) {
    attempt_start s;
    s.task_key = key;
    s.stage = stage;
    s.started_at = at(0);
    return value_of(db.start_attempt(s));
  }

  void finish(int64_t id, int64_t ms, const std::string& outcome,
              const std::string& reason = "", int64_t cost = 0,
              int64_t tokens = 0) {
    TDD_REQUIRE_OK(db.finish_attempt(id, {ms, outcome, reason, cost, tokens}));
  }

  /// The attempts of (stage, outcome) per duration bucket, as "b:n" pairs.
  std::string buckets(const std::string& stage, const std::string& outcome) {
    auto raw = test::open_raw(path);
    return test::query_text(
      raw.get(), "SELECT group_concat(bucket || ':' || attempts, ' ') FROM "
                 "(SELECT bucket, SUM(attempts) AS attempts FROM attempt_totals"
                 " WHERE stage = '"
                   + stage + "' AND outcome = '" + outcome
                   + "' GROUP BY bucket ORDER BY bucket)");
  }
};

} // namespace

TEST_CASE_FIXTURE(totals_fixture,
                  "finished attempts land in the bucket of their duration") {
  // The bounds are 1 5 15 30 60 120 300 600 1200 3600 seconds: a bound
  // belongs to its own bucket (le), one millisecond more to the next.
  for (const int64_t ms : {0, 1000, 1001, 3'600'000, 3'600'001}) {
    finish(started("A", "red"), ms, "passed");
  }
  CHECK(buckets("red", "passed") == "0:2 1:1 9:1 10:1");
  auto x = value_of(db.metrics_data());
  int64_t total = 0;
  for (const auto& t : x.attempts) {
    total += t.attempts;
  }
  CHECK(total == 5);
}

TEST_CASE_FIXTURE(totals_fixture,
                  "open attempts count only once they end however they end") {
  const auto a = started("A", "green");
  started("B", "verify");
  CHECK(buckets("green", "passed").empty());
  finish(a, 2500, "failed", "green_verify_failed", 120'000, 900);
  // Interrupting a task's open attempts is an UPDATE of its own.
  CHECK(value_of(db.interrupt_task_attempts("B", "worker_crashed")) == 1);
  auto x = value_of(db.metrics_data());
  REQUIRE(x.attempts.size() == 2);
  for (const auto& t : x.attempts) {
    if (t.stage == "green") {
      CHECK(t.outcome == "failed");
      CHECK(t.reason == "green_verify_failed");
      CHECK(t.bucket == 1);
      CHECK(t.duration_ms == 2500);
      CHECK(t.cost_micros == 120'000);
      CHECK(t.tokens == 900);
    } else {
      CHECK(t.stage == "verify");
      CHECK(t.outcome == "interrupted");
      CHECK(t.reason == "worker_crashed");
    }
  }
  // Finishing an attempt that already ended changes nothing.
  CHECK(db.finish_attempt(a, {1, "passed", "", 0, 0}));
  CHECK(value_of(db.metrics_data()).attempts.size() == 2);
}

TEST_CASE_FIXTURE(totals_fixture,
                  "circuit events and recoveries are totalled by level") {
  auto raw = test::open_raw(path);
  test::exec_sql(raw.get(),
                 "INSERT INTO circuit_breakers (id, level, identifier, state) "
                 "VALUES (1, 'worker', 'worker_1', 'closed'), "
                 "(2, 'stage', 'A:red', 'closed')");
  test::exec_sql(
    raw.get(),
    "INSERT INTO circuit_breaker_events (circuit_id, event_type, from_state, "
    "to_state, created_at) VALUES "
    "(1, 'failure_recorded', NULL, NULL, '2026-01-01T00:00:00.000Z'),"
    "(1, 'state_change', 'closed', 'open', '2026-01-01T00:00:00.000Z'),"
    "(1, 'state_change', 'open', 'half_open', '2026-01-01T00:05:00.000Z'),"
    "(1, 'state_change', 'half_open', 'closed', '2026-01-01T00:05:30.000Z'),"
    "(2, 'state_change', 'closed', 'open', '2026-01-01T00:00:00.000Z'),"
    "(2, 'state_change', 'open', 'closed', '2026-01-01T00:00:07.500Z')");
  auto x = value_of(db.metrics_data());
  int64_t changes = 0;
  int64_t failures = 0;
  for (const auto& e : x.circuit_events) {
    if (e.event_type == "state_change") {
      changes += e.events;
    } else if (e.event_type == "failure_recorded") {
      CHECK(e.level == "worker");
      CHECK(e.from_state.empty());
      failures += e.events;
    }
  }
  CHECK(changes == 5);
  CHECK(failures == 1);
  // worker: 330 s open (bucket 5: <= 600); stage: 7.5 s (bucket 0: <= 10).
  REQUIRE(x.recoveries.size() == 2);
  for (const auto& r : x.recoveries) {
    CHECK(r.recoveries == 1);
    if (r.level == "worker") {
      CHECK(r.bucket == 5);
      CHECK(r.seconds == doctest::Approx(330.0));
    } else {
      CHECK(r.level == "stage");
      CHECK(r.bucket == 0);
      CHECK(r.seconds == doctest::Approx(7.5));
    }
  }
  REQUIRE(x.breakers.size() == 1);
  CHECK(x.breakers[0].id == "worker_1");
}

TEST_CASE_FIXTURE(totals_fixture,
                  "worker restarts add up across runs and the latest run "
                  "gives workers and budget") {
  auto run = [&](int s) {
    run_start r;
    r.pid = 1;
    r.host = "h";
    r.started_at = at(s);
    return value_of(db.start_run(r));
  };
  const auto first = run(0);
  worker_registration w{"worker_1", "", first, "idle", at(0)};
  TDD_REQUIRE_OK(db.register_worker(w));
  TDD_REQUIRE_OK(db.register_worker(w)); // restart 1
  TDD_REQUIRE_OK(db.register_worker(w)); // restart 2
  TDD_REQUIRE_OK(db.finish_run(first, core::run_outcome::blocked, "", at(5)));
  const auto second = run(10);
  w.run_id = second;
  TDD_REQUIRE_OK(db.register_worker(w)); // a new run: the count starts over
  TDD_REQUIRE_OK(db.register_worker(w)); // restart 3 in all
  TDD_REQUIRE_OK(db.init_budget(second, {10, std::nullopt}));
  TDD_REQUIRE_OK(db.record_budget(second, {4, 0, 0}));
  auto x = value_of(db.metrics_data());
  CHECK(x.worker_restarts == 3);
  CHECK(x.workers == std::map<std::string, int64_t>{{"idle", 1}});
  CHECK(x.invocations_remaining == 6);
  CHECK(x.runs == std::map<std::string, int64_t>{{"blocked", 1}});
  REQUIRE(x.active_run_started);
  CHECK(*x.active_run_started == doctest::Approx(1'700'000'010.0));
}

TEST_CASE("a v2 database upgrades to v3 with totals of what it recorded") {
  REQUIRE(store::latest_schema_version() >= 3);
  test::temp_dir dir;
  const auto path = dir.file("orchestrator.db");
  {
    auto raw = test::open_raw(path);
    test::exec_sql(raw.get(), std::string{store::migrations().at(0)});
    test::exec_sql(raw.get(), std::string{store::migrations().at(1)});
    test::exec_sql(raw.get(), "PRAGMA user_version = 2");
    test::exec_sql(raw.get(),
                   "INSERT INTO tasks (key, title) VALUES ('A', 'Task A');"
                   "INSERT INTO attempts (task_key, stage, attempt, "
                   "duration_ms, outcome, reason, cost_micros, tokens) VALUES "
                   "('A', 'red', 1, 400, 'passed', '', 10, 1),"
                   "('A', 'green', 1, 7000, 'failed', 'merge_conflict', 0, 0),"
                   "('A', 'green', 2, 100, '', '', 0, 0);"
                   "INSERT INTO circuit_breakers (id, level, identifier) "
                   "VALUES (1, 'stage', 'A:green');"
                   "INSERT INTO circuit_breaker_events (circuit_id, "
                   "event_type, from_state, to_state, created_at) VALUES "
                   "(1, 'state_change', 'closed', 'open', "
                   "'2026-01-01T00:00:00.000Z'),"
                   "(1, 'state_change', 'open', 'closed', "
                   "'2026-01-01T00:00:20.000Z');"
                   "INSERT INTO workers (id, restarts) VALUES ('worker_1', 2)");
  }
  auto db = value_of(store::database::open(path, store::open_mode::read_write));
  auto x = value_of(db.metrics_data());
  REQUIRE(x.attempts.size() == 2); // the open attempt is not counted yet
  CHECK(x.worker_restarts == 2);
  REQUIRE(x.recoveries.size() == 1);
  CHECK(x.recoveries[0].bucket == 1); // 20 s: <= 30
  CHECK(x.recoveries[0].seconds == doctest::Approx(20.0));
  int64_t changes = 0;
  for (const auto& e : x.circuit_events) {
    changes += e.events;
  }
  CHECK(changes == 2);
}
