// The coordinator and supervision: a worker the supervisor lost gives its
// task back (attempt interrupted, resumable), no worker left halts the run,
// and a lease someone else took ends the worker holding it.

#include "actors/coordinator.hpp"
#include "coordinator_test_support.hpp"
#include "supervisor_test_support.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace tdd;
using namespace std::chrono_literals;
using core::run_outcome;
using core::task_status;
using test::base_time;
using test::make_spec;

using fixture = test::coordinator_fixture;

namespace {

attempt_start green_attempt(int64_t run_id, const std::string& key) {
  attempt_start x;
  x.run_id = run_id;
  x.task_key = key;
  x.stage = "green";
  x.worker_id = "worker_1";
  x.started_at = base_time;
  return x;
}

} // namespace

TEST_CASE_FIXTURE(fixture, "coordinator: a lost worker's task goes back to "
                           "pending, its attempt interrupted, and resumes") {
  const std::string commit(40, 'c');
  start({make_spec("A")}, [commit](store::database& db) {
    auto err = db.set_current_stage("A", "green", commit);
    REQUIRE_MESSAGE(!err, describe(err));
  });
  CHECK(lease("worker_1") == "A");
  self->send(store, atom::attempt_v, green_attempt(run_id, "A"));
  self->send(aut, atom::lost_v, std::string{"worker_1"}, int32_t{1});
  sched.run();
  CHECK(ask<int64_t>(store, atom::flush_v) > 0);
  const auto row = task("A");
  CHECK(row.status == task_status::pending);
  CHECK(row.claimed_by.empty());
  auto attempts = open().attempts_of("A");
  REQUIRE(attempts);
  REQUIRE(attempts->size() == 1);
  CHECK(attempts->front().outcome == "interrupted");
  CHECK(attempts->front().reason == "worker_crashed");
  // The next worker goes on where the lost one was, not at red.
  next("worker_2");
  auto a = assignment();
  REQUIRE(a);
  CHECK(a->task.key == "A");
  CHECK(a->start_stage == "green");
  CHECK(!summary());
}

TEST_CASE_FIXTURE(fixture, "coordinator: with no worker left the run halts") {
  start({make_spec("A"), make_spec("B")});
  CHECK(lease("worker_1") == "A");
  self->send(aut, atom::lost_v, std::string{"worker_1"}, int32_t{0});
  sched.run();
  auto s = summary();
  REQUIRE(s);
  CHECK(s->outcome == run_outcome::halted);
  CHECK(s->reason.find("every worker stopped") == 0);
  CHECK(s->pending == 2);
  CHECK(task("A").status == task_status::pending);
}

TEST_CASE_FIXTURE(fixture, "coordinator: a lease taken by someone else ends "
                           "the worker holding it") {
  auto spawned = std::make_shared<test::spawned_workers>();
  config.workers = 1;
  config.renew_every = 1min;
  config.supervision.spawn = test::recording(spawned);
  start({make_spec("A")});
  REQUIRE(spawned->configs.size() == 1);
  CHECK(lease("worker_1") == "A");
  {
    // Another coordinator took A over (say, after this host slept through
    // the lease): release and claim it as "other".
    auto db = open(store::open_mode::read_write);
    auto err = db.release_task("A", "worker_1", task_status::pending, "");
    REQUIRE_MESSAGE(!err, describe(err));
    auto leases = db.task_leases();
    REQUIRE(leases);
    auto won
      = db.claim_task("A", "other", base_time + 10min, leases->front().version);
    REQUIRE(won);
    REQUIRE(*won);
  }
  advance(1min);
  // The supervisor ended worker_1 (a crash: restarted after its backoff).
  advance(1s);
  CHECK(spawned->count("worker_1") == 2);
  CHECK(task("A").claimed_by == "other"); // the release did not clobber it
  for (const auto& w : spawned->handles) {
    self->send_exit(w, caf::exit_reason::user_shutdown);
  }
  sched.run();
}
