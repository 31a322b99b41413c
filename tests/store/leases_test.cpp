#include "messages/errc.hpp"
#include "store/database.hpp"
#include "store/run_fixture.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace tdd;
using core::task_status;
using strings = std::vector<std::string>;

namespace {

struct lease_fixture : test::run_fixture {
  bool claim(const std::string& key, const std::string& worker, int64_t version,
             int expires = 60) {
    return test::value_of(db.claim_task(key, worker, at(expires), version));
  }

  int64_t open_attempt(const std::string& key, int32_t number) {
    return test::value_of(
      db.start_attempt({0, key, "red", number, "worker_1", "", t0}));
  }
};

} // namespace

TEST_CASE_FIXTURE(lease_fixture, "claim: a pending task becomes leased") {
  CHECK(lease("A").version == 1);
  CHECK(claim("A", "worker_1", 1));
  const auto x = lease("A");
  CHECK(x.status == task_status::running);
  CHECK(x.claimed_by == "worker_1");
  CHECK(x.claim_expires_at == text_at(60));
  CHECK(x.version == 2);
  auto row = test::value_of(db.find_task("A"));
  REQUIRE(row);
  CHECK(row->claimed_by == "worker_1");
}

TEST_CASE_FIXTURE(lease_fixture,
                  "claim race: of two claims at one version exactly one wins") {
  // Two connections, as two processes: both read version 1, both claim.
  auto other = open();
  for (const auto* key : {"A", "B", "C"}) {
    CAPTURE(key);
    const auto version = lease(key).version;
    const bool first
      = test::value_of(db.claim_task(key, "worker_1", at(60), version));
    const bool second
      = test::value_of(other.claim_task(key, "worker_2", at(60), version));
    CHECK(first != second);
    CHECK(first);
    CHECK(lease(key).claimed_by == "worker_1");
    CHECK(lease(key).version == version + 1);
  }
}

TEST_CASE_FIXTURE(lease_fixture, "claim: stale versions and other statuses") {
  REQUIRE(claim("A", "worker_1", 1));
  CHECK(!claim("A", "worker_2", 2)); // running: nobody else gets it
  TDD_REQUIRE_OK(db.release_task("A", "worker_1", task_status::pending, ""));
  CHECK(lease("A").version == 3);
  CHECK(!claim("A", "worker_2", 1)); // pending again, but not at version 1
  CHECK(claim("A", "worker_2", 3));
  TDD_REQUIRE_OK(db.set_task_status({"C", task_status::complete, ""}));
  CHECK(!claim("C", "worker_1", lease("C").version));
  auto unknown = db.claim_task("NOPE", "worker_1", at(1), 1);
  REQUIRE(!unknown);
  CHECK(unknown.error() == errc::not_found);
  CHECK(!db.claim_task("B", "", at(1), 1)); // a claim needs a worker
}

TEST_CASE_FIXTURE(lease_fixture, "renew: only the holder moves the expiry") {
  REQUIRE(claim("A", "worker_1", 1, 10));
  CHECK(test::value_of(db.renew_lease("A", "worker_1", at(70))));
  CHECK(lease("A").claim_expires_at == text_at(70));
  CHECK(lease("A").version == 2); // a renewal is no change of holder
  CHECK(!test::value_of(db.renew_lease("A", "worker_2", at(99))));
  CHECK(lease("A").claim_expires_at == text_at(70));
  TDD_REQUIRE_OK(db.release_task("A", "worker_1", task_status::complete, ""));
  CHECK(!test::value_of(db.renew_lease("A", "worker_1", at(99))));
}

TEST_CASE_FIXTURE(lease_fixture, "release: the new status clears the lease") {
  struct row {
    task_status status;
    const char* reason;
    const char* stored_reason;
  };
  const std::vector<row> rows{
    {task_status::complete, "", ""},
    {task_status::blocked, "stage_circuit_open:green",
     "stage_circuit_open:green"},
    {task_status::pending, "kept only for blocked", ""},
  };
  int64_t version = 1;
  for (const auto& r : rows) {
    CAPTURE(r.reason);
    TDD_REQUIRE_OK(db.set_task_status({"A", task_status::pending, ""}));
    version = lease("A").version;
    REQUIRE(claim("A", "worker_1", version));
    TDD_REQUIRE_OK(db.release_task("A", "worker_1", r.status, r.reason));
    const auto x = lease("A");
    CHECK(x.status == r.status);
    CHECK(x.claimed_by.empty());
    CHECK(x.claim_expires_at.empty());
    CHECK(x.version == version + 2);
    CHECK(test::value_of(db.find_task("A"))->blocked_reason == r.stored_reason);
  }
}

TEST_CASE_FIXTURE(lease_fixture, "release: only by the holder") {
  REQUIRE(claim("A", "worker_1", 1));
  auto err = db.release_task("A", "worker_2", task_status::complete, "");
  CHECK(err == errc::conflict);
  CHECK(describe(err)
        == "task A is not leased to worker_2 (it is leased to worker_1)");
  CHECK(lease("A").status == task_status::running);
  TDD_REQUIRE_OK(db.release_task("A", "worker_1", task_status::complete, ""));
  CHECK(describe(db.release_task("A", "worker_1", task_status::pending, ""))
        == "task A is not leased to worker_1 (it is complete)");
  CHECK(db.release_task("B", "worker_1", task_status::running, "")
        == errc::invalid_argument);
  CHECK(db.release_task("NOPE", "worker_1", task_status::complete, "")
        == errc::not_found);
}

TEST_CASE_FIXTURE(
  lease_fixture,
  "reclaim: expired leases go back, their attempts interrupted") {
  REQUIRE(claim("A", "worker_1", 1, 10));
  REQUIRE(claim("C", "worker_2", 1, 60));
  const auto open = open_attempt("A", 2);
  const auto done = open_attempt("A", 1);
  TDD_REQUIRE_OK(db.finish_attempt(done, {100, "failed", "boom", 0, 0}));
  // A lease is expired only after its expiry.
  CHECK(test::value_of(db.reclaim_expired_leases(at(10))).empty());
  CHECK(test::value_of(db.reclaim_expired_leases(at(30))) == strings{"A"});
  const auto a = lease("A");
  CHECK(a.status == task_status::pending);
  CHECK(a.claimed_by.empty());
  CHECK(a.version == 3);
  CHECK(lease("C").claimed_by == "worker_2");
  CHECK(column("SELECT id || ':' || outcome || ':' || reason FROM attempts "
               "ORDER BY id")
        == strings{std::to_string(open) + ":interrupted:lease_expired",
                   std::to_string(done) + ":failed:boom"});
  // Back in the pool: the next claim needs the new version.
  CHECK(!claim("A", "worker_2", 2));
  CHECK(claim("A", "worker_2", 3));
}

TEST_CASE_FIXTURE(lease_fixture, "reclaim_all_leases: every running task") {
  REQUIRE(claim("A", "worker_1", 1, 3600)); // not expired
  TDD_REQUIRE_OK(db.set_task_status({"B", task_status::running, ""}));
  open_attempt("B", 1);
  CHECK(test::value_of(db.reclaim_all_leases()) == strings{"A", "B"});
  CHECK(lease("A").status == task_status::pending);
  CHECK(lease("B").status == task_status::pending);
  CHECK(column("SELECT outcome || ':' || reason FROM attempts")
        == strings{"interrupted:coordinator_restarted"});
  CHECK(test::value_of(db.reclaim_all_leases()).empty());
}

TEST_CASE_FIXTURE(lease_fixture, "set_current_stage: known stages only") {
  TDD_REQUIRE_OK(db.set_current_stage("A", "green"));
  CHECK(test::value_of(db.find_task("A"))->current_stage == "green");
  TDD_REQUIRE_OK(db.set_current_stage("A", ""));
  CHECK(test::value_of(db.find_task("A"))->current_stage.empty());
  CHECK(db.set_current_stage("A", "lint") == errc::invalid_argument);
  CHECK(db.set_current_stage("NOPE", "red") == errc::not_found);
  CHECK(lease("A").version == 1); // a stage is no change of status
}

TEST_CASE_FIXTURE(lease_fixture, "lease and attempt queries use indexes") {
  auto raw = test::open_raw(path);
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
  const auto reclaim = detail(
    "UPDATE tasks SET status = 'pending' WHERE claimed_by IS NOT NULL "
    "AND claim_expires_at < '2024' AND status = 'running' RETURNING key");
  // Only running tasks are read: at most one per worker.
  CHECK_MESSAGE(reclaim.find("INDEX tasks_by_status_phase (status=?)")
                  != std::string::npos,
                reclaim);
  const auto finish = detail(
    "SELECT id FROM attempts WHERE run_id IS NULLIF(1, 0) AND task_key = 'A' "
    "AND stage = 'red' AND attempt = 1 AND outcome = '' "
    "ORDER BY id DESC LIMIT 1");
  CHECK_MESSAGE(finish.find("INDEX attempts_open") != std::string::npos,
                finish);
  const auto interrupt = detail("UPDATE attempts SET outcome = 'interrupted' "
                                "WHERE run_id = 1 AND outcome = ''");
  CHECK_MESSAGE(interrupt.find("INDEX attempts_open") != std::string::npos,
                interrupt);
}
