// The coordinator without workers: the test asks for tasks, gives them
// back, reserves and settles agent calls, pauses and halts, on the test
// coordinator (virtual time) with a real store and circuit hub.

#include "actors/coordinator.hpp"

#include "coordinator_test_support.hpp"
#include "store/time_text.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace tdd;
using namespace std::chrono_literals;
using core::run_outcome;
using core::task_status;
using test::base_time;
using test::make_spec;

using fixture = test::coordinator_fixture;

TEST_CASE_FIXTURE(fixture,
                  "coordinator: tasks are leased in dependency order and a "
                  "request waits for the dependencies") {
  start({make_spec("A"), make_spec("B"), make_spec("C", {"A", "B"})});
  next("worker_1");
  next("worker_2");
  auto a = assignment();
  auto b = assignment();
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->task.key == "A");
  CHECK(a->task.title == "Task A");
  CHECK(a->run_id == run_id);
  CHECK(a->start_stage.empty());
  CHECK(b->task.key == "B");
  CHECK(task("A").status == task_status::running);
  CHECK(task("A").claimed_by == "worker_1");
  CHECK(task("B").claimed_by == "worker_2");
  CHECK(task("C").status == task_status::pending);
  next("worker_1"); // C waits for A and B
  CHECK(!assignment());
  CHECK(!summary());
  done("A", task_status::complete, "", "worker_1");
  CHECK(!assignment());
  CHECK(task("A").status == task_status::complete);
  CHECK(task("A").claimed_by.empty());
  // Not the holder: ignored.
  done("B", task_status::complete, "", "worker_1");
  CHECK(!assignment());
  CHECK(task("B").status == task_status::running);
  done("B", task_status::complete, "", "worker_2");
  auto c = assignment();
  REQUIRE(c);
  CHECK(c->task.key == "C");
  CHECK(task("B").status == task_status::complete);
  CHECK(task("C").status == task_status::running);
  CHECK(task("C").claimed_by == "worker_1");
  CHECK(!summary());
}

TEST_CASE_FIXTURE(fixture,
                  "coordinator: the run ends complete when every selected task "
                  "is complete") {
  start({make_spec("A"), make_spec("B", {"A"})});
  CHECK(lease() == "A");
  done("A", task_status::complete);
  CHECK(!summary());
  CHECK(lease("worker_2") == "B");
  done("B", task_status::complete, "", "worker_2");
  auto s = summary();
  REQUIRE(s);
  CHECK(s->run_id == run_id);
  CHECK(s->outcome == run_outcome::complete);
  CHECK(s->reason.empty());
  CHECK(s->complete == 2);
  CHECK(s->blocked == 0);
  CHECK(s->pending == 0);
  const auto row = run();
  CHECK(row.status == "complete");
  CHECK(row.exit_code == 0);
  CHECK(row.halt_reason.empty());
  CHECK(!row.finished_at.empty());
  // After the end: no more work, no more agent calls.
  next();
  auto none = assignment();
  REQUIRE(none);
  CHECK(none->task.key.empty());
  CHECK(reserve() == -1);
}

TEST_CASE_FIXTURE(fixture,
                  "coordinator: a blocked task blocks its dependents in the "
                  "store and the run ends blocked") {
  start({make_spec("A"), make_spec("B"), make_spec("C", {"A", "B"}),
         make_spec("D", {"C"})});
  CHECK(lease("worker_1") == "A");
  CHECK(lease("worker_2") == "B");
  next("worker_1");
  done("A", task_status::blocked, "stage_circuit_open:green", "worker_1");
  CHECK(!assignment()); // B still runs
  CHECK(task("A").status == task_status::blocked);
  CHECK(task("A").blocked_reason == "stage_circuit_open:green");
  CHECK(task("C").status == task_status::blocked);
  CHECK(task("C").blocked_reason == "dependency_blocked:A");
  CHECK(task("D").status == task_status::blocked);
  CHECK(task("D").blocked_reason == "dependency_blocked:A");
  CHECK(!summary());
  done("B", task_status::complete, "", "worker_2");
  auto stop = assignment(); // the waiting worker is told to stop
  REQUIRE(stop);
  CHECK(stop->task.key.empty());
  auto s = summary();
  REQUIRE(s);
  CHECK(s->outcome == run_outcome::blocked);
  CHECK(s->reason == "3 blocked, 0 not run");
  CHECK(s->complete == 1);
  CHECK(s->blocked == 3);
  CHECK(run().status == "blocked");
  CHECK(run().exit_code == 1);
}

TEST_CASE_FIXTURE(fixture,
                  "coordinator: a run with nothing to start ends at the first "
                  "tick") {
  config.keys = {"C"};
  start({make_spec("A"), make_spec("C", {"A"})}, [](store::database& db) {
    auto err = db.set_task_status(
      task_status_update{"A", task_status::blocked, "stage_circuit_open:red"});
    REQUIRE_MESSAGE(!err, describe(err));
  });
  // Blocked at start; with no worker to ask, the tick ends the run.
  CHECK(task("C").status == task_status::blocked);
  CHECK(task("C").blocked_reason == "dependency_blocked:A");
  CHECK(!summary());
  advance(1s);
  auto s = summary();
  REQUIRE(s);
  CHECK(s->outcome == run_outcome::blocked);
  CHECK(s->blocked == 1);
  CHECK(s->reason == "1 blocked, 0 not run");
  CHECK(run().status == "blocked");
}

TEST_CASE_FIXTURE(
  fixture, "coordinator: tasks retry on the live run puts a blocked task "
           "and its dependents back to pending") {
  start({make_spec("A"), make_spec("B"), make_spec("C", {"A"})});
  CHECK(lease("worker_1") == "A");
  CHECK(lease("worker_2") == "B"); // keeps the run going
  done("A", task_status::blocked, "max_attempts:green", "worker_1");
  REQUIRE(task("C").status == task_status::blocked);
  {
    auto db = open(store::open_mode::read_write);
    auto id = db.enqueue_control("task_retry", "A");
    REQUIRE_MESSAGE(id, describe(id.error()));
  }
  for (int i = 0; i < 4 && task("A").status != task_status::pending; ++i) {
    advance(500ms); // the store polls the control table
  }
  CHECK(task("A").status == task_status::pending);
  CHECK(task("A").blocked_reason.empty());
  CHECK(task("C").status == task_status::pending);
  CHECK(lease("worker_1") == "A");
  done("A", task_status::complete, "", "worker_1");
  CHECK(lease("worker_1") == "C");
}

TEST_CASE_FIXTURE(fixture, "coordinator: the invocation budget halts the run") {
  config.limits.max_invocations = 2;
  start({make_spec("A"), make_spec("B", {"A"})});
  CHECK(lease("worker_1") == "A");
  next("worker_2"); // B waits for A
  CHECK(!assignment());
  CHECK(reserve() == 0);
  CHECK(reserve() == 0);
  CHECK(reserve() == -1);
  auto stop = assignment(); // the waiting worker is told to stop
  REQUIRE(stop);
  CHECK(stop->task.key.empty());
  self->send(aut, atom::settle_v, int64_t{1'000}, int64_t{50});
  self->send(aut, atom::settle_v, int64_t{2'500}, int64_t{70});
  sched.run();
  next("worker_2"); // no new work after a halt
  stop = assignment();
  REQUIRE(stop);
  CHECK(stop->task.key.empty());
  CHECK(!summary()); // A is still out
  done("A", task_status::pending, "", "worker_1");
  auto s = summary();
  REQUIRE(s);
  CHECK(s->outcome == run_outcome::halted);
  CHECK(s->reason.find("invocation budget of 2") != std::string::npos);
  CHECK(s->pending == 2);
  CHECK(s->usage.invocations == 2);
  CHECK(s->usage.cost_micros == 3'500);
  CHECK(s->usage.tokens == 120);
  CHECK(run().status == "halted");
  CHECK(run().exit_code == 3);
  CHECK(run().halt_reason == s->reason);
  CHECK(budget().usage.invocations == 2);
  CHECK(budget().usage.cost_micros == 3'500);
  CHECK(task("A").status == task_status::pending);
  CHECK(task("A").claimed_by.empty());
}

TEST_CASE_FIXTURE(fixture,
                  "coordinator: a released reservation does not count") {
  config.limits.max_invocations = 1;
  start({make_spec("A")});
  CHECK(reserve() == 0);
  self->send(aut, atom::release_v);
  sched.run();
  CHECK(reserve() == 0);
  self->send(aut, atom::settle_v, int64_t{10}, int64_t{1});
  sched.run();
  CHECK(reserve() == -1);
  auto s = summary(); // nothing leased: the halt ends the run at once
  REQUIRE(s);
  CHECK(s->outcome == run_outcome::halted);
  CHECK(s->usage.invocations == 1);
}

TEST_CASE_FIXTURE(fixture,
                  "coordinator: a usage limit pauses dispatch and the pause "
                  "doubles") {
  start({make_spec("A")});
  CHECK(pause(-1) == 60'000);
  CHECK(pause(-1) == 120'000);
  CHECK(reserve() == 120'000); // virtual time stands still
  next();
  CHECK(!assignment()); // no dispatch while paused
  advance(119s);
  CHECK(!assignment());
  CHECK(reserve() == 1'000);
  advance(1s);
  auto a = assignment();
  REQUIRE(a);
  CHECK(a->task.key == "A");
  CHECK(reserve() == 0);
  // A call that ran ends the series of usage limits.
  self->send(aut, atom::settle_v, int64_t{0}, int64_t{0});
  sched.run();
  CHECK(pause(-1) == 60'000);
  CHECK(reserve() > 0);
  advance(60s);
  CHECK(reserve() == 0);
  CHECK(!summary());
}

TEST_CASE_FIXTURE(fixture,
                  "coordinator: the pause an agent asks for is honoured") {
  start({make_spec("A")});
  CHECK(pause(5) == 5'000);
  CHECK(reserve() == 5'000);
  advance(4s);
  CHECK(reserve() == 1'000);
  advance(1s);
  CHECK(reserve() == 0);
}

TEST_CASE_FIXTURE(fixture, "coordinator: an agent's pause of 10^15 s waits "
                           "a week") {
  start({make_spec("A")});
  const int64_t week_ms = int64_t{7} * 24 * 3600 * 1000;
  CHECK(pause(1'000'000'000'000'000) == week_ms);
  CHECK(reserve() == week_ms);
  advance(std::chrono::hours{24 * 7} - 1s);
  CHECK(reserve() == 1'000);
  advance(1s);
  CHECK(reserve() == 0);
}

TEST_CASE_FIXTURE(fixture, "coordinator: usage limit pauses stop growing at "
                           "max_usage_backoff") {
  config.max_usage_backoff = 300s;
  start({make_spec("A")});
  CHECK(pause(-1) == 60'000);
  CHECK(pause(-1) == 120'000);
  CHECK(pause(-1) == 240'000);
  CHECK(pause(-1) == 300'000);
  CHECK(pause(-1) == 300'000);
  CHECK(reserve() == 300'000);
}

TEST_CASE_FIXTURE(fixture,
                  "coordinator: an agent that cannot run halts the run") {
  start({make_spec("A"), make_spec("B")});
  CHECK(lease("worker_1") == "A");
  self->send(aut, atom::halt_v, std::string{"not logged in"});
  self->send(aut, atom::halt_v, std::string{"another reason"}); // first wins
  sched.run();
  CHECK(reserve() == -1);
  next("worker_2");
  auto stop = assignment();
  REQUIRE(stop);
  CHECK(stop->task.key.empty());
  CHECK(!summary()); // A is still out
  done("A", task_status::pending, "", "worker_1");
  auto s = summary();
  REQUIRE(s);
  CHECK(s->outcome == run_outcome::halted);
  CHECK(s->reason == "not logged in");
  CHECK(s->pending == 2);
  CHECK(run().status == "halted");
  CHECK(run().halt_reason == "not logged in");
  CHECK(task("A").status == task_status::pending);
}

TEST_CASE_FIXTURE(fixture,
                  "coordinator: an open system circuit halts the run") {
  start({make_spec("A")});
  self->send(
    aut, atom::changed_v,
    circuit_change{test::make_circuit(core::circuit_level::system, "system",
                                      core::circuit_state::open),
                   {}});
  sched.run();
  auto s = summary();
  REQUIRE(s);
  CHECK(s->outcome == run_outcome::halted);
  CHECK(s->reason == "system circuit open: too many workers failing");
}

TEST_CASE_FIXTURE(fixture,
                  "coordinator: an interrupt ends the run as interrupted") {
  start({make_spec("A"), make_spec("B")});
  CHECK(lease() == "A");
  self->send(aut, atom::interrupt_v);
  sched.run();
  // No worker to wait for: the run ends at once.
  auto s = summary();
  REQUIRE(s);
  CHECK(s->outcome == run_outcome::interrupted);
  CHECK(s->reason == "stopped by a signal (Ctrl-C)");
  CHECK(s->pending == 2);
  CHECK(run().status == "interrupted");
  CHECK(run().exit_code == 130);
  CHECK(reserve() == -1);
  // A worker that stops late still gives its task back.
  done("A", task_status::pending);
  CHECK(task("A").status == task_status::pending);
  CHECK(task("A").claimed_by.empty());
}

TEST_CASE_FIXTURE(fixture, "coordinator: leases are renewed every minute") {
  config.lease_ttl = 5min;
  config.renew_every = 1min;
  start({make_spec("A")});
  CHECK(lease() == "A");
  CHECK(lease_expiry("A") == store::format_time(base_time + 5min));
  advance(30s);
  CHECK(lease_expiry("A") == store::format_time(base_time + 5min));
  advance(30s);
  CHECK(lease_expiry("A") == store::format_time(base_time + 6min));
}

TEST_CASE_FIXTURE(fixture, "coordinator: a pause adds no lasting tick") {
  start({make_spec("A")});
  const auto before = sched.advance_time(1s); // the tick and the store poll
  sched.run();
  for (int i = 0; i < 3; ++i) {
    CHECK(pause(5) == 5'000);
    advance(5s);
  }
  CHECK(sched.advance_time(1s) == before);
  sched.run();
}

TEST_CASE_FIXTURE(fixture, "coordinator: a task leased behind its back is "
                           "skipped") {
  start({make_spec("A"), make_spec("B")});
  {
    auto db = open(store::open_mode::read_write);
    auto won = db.claim_task("A", "other", base_time + 5min, 1);
    REQUIRE(won);
    REQUIRE(*won);
  }
  CHECK(lease() == "B"); // the claim of A is refused
  CHECK(task("A").claimed_by == "other");
  done("B", task_status::complete);
  auto s = summary(); // A never ran in this run
  REQUIRE(s);
  CHECK(s->outcome == run_outcome::blocked);
  CHECK(s->complete == 1);
  CHECK(s->pending == 1);
}

TEST_CASE_FIXTURE(fixture, "coordinator: a claim at a stale version is "
                           "retried") {
  start({make_spec("A")});
  {
    auto db = open(store::open_mode::read_write);
    auto err = db.set_task_status({"A", task_status::pending, ""});
    REQUIRE_MESSAGE(!err, describe(err));
  }
  CHECK(lease() == "A");
  CHECK(task("A").claimed_by == "worker_1");
}

TEST_CASE_FIXTURE(fixture, "coordinator: a resumable task starts at its "
                           "recorded stage") {
  config.resumable = {"B"};
  const std::string commit(40, 'c');
  start({make_spec("A"), make_spec("B")}, [commit](store::database& db) {
    for (const auto* key : {"A", "B"}) {
      auto err = db.set_current_stage(key, "green", commit);
      REQUIRE_MESSAGE(!err, describe(err));
    }
  });
  next("worker_1");
  next("worker_2");
  auto a = assignment();
  auto b = assignment();
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->start_stage.empty()); // not resumable: starts at red
  CHECK(a->start_commit.empty());
  CHECK(b->start_stage == "green");
  CHECK(b->start_commit == commit); // where green started
}

TEST_CASE_FIXTURE(fixture, "coordinator: the run ends during a pause when "
                           "nothing is left") {
  start({make_spec("A"), make_spec("B")});
  CHECK(lease("worker_1") == "A");
  CHECK(lease("worker_2") == "B");
  CHECK(pause(-1) == 60'000);
  done("A", task_status::complete, "", "worker_1");
  CHECK(!summary());
  done("B", task_status::complete, "", "worker_2");
  auto s = summary();
  REQUIRE(s);
  CHECK(s->outcome == run_outcome::complete);
}
