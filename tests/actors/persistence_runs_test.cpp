#include "actor_fixture.hpp"
#include "messages/all.hpp"
#include "store/database.hpp"
#include "store/persistence.hpp"
#include "store/task_specs.hpp"
#include "store/temp_dir.hpp"
#include "store/time_text.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <set>
#include <string>
#include <vector>

using namespace tdd;

namespace {

using persistence_ptr = store_actor::stateful_pointer<store::persistence_state>;
using core::task_status;
using keys = std::set<std::string>;

// Bases are destroyed in reverse order: the actors stop (and close the
// database) before the directory goes.
struct runs_fixture : test::temp_dir, test::actor_fixture {
  std::string db_path = file("orchestrator.db");
  const caf::timestamp t0{std::chrono::seconds{1'700'000'000}};
  store_actor aut;

  runs_fixture() {
    auto db = store::database::open(db_path, store::open_mode::read_write);
    REQUIRE(db);
    REQUIRE(
      db->import_tasks({test::make_spec("A"), test::make_spec("B")}, false));
    aut = spawn(store::persistence, db_path);
  }

  caf::timestamp at(int seconds) const {
    return t0 + std::chrono::seconds{seconds};
  }

  store::persistence_state& state() {
    return caf::actor_cast<persistence_ptr>(aut)->state;
  }

  /// What another process sees: a read-only connection of its own.
  store::database reader() {
    auto db = store::database::open(db_path, store::open_mode::read_only);
    REQUIRE_MESSAGE(db, describe(db.error()));
    return std::move(*db);
  }

  int64_t start_run(int64_t pid = 4242) {
    return ask<int64_t>(aut, atom::run_v,
                        run_start{pid, "build-1", "main", "", t0});
  }

  std::vector<task_lease> leases() {
    return ask<std::vector<task_lease>>(aut, atom::get_v, atom::leases_v);
  }
};

} // namespace

TEST_CASE_FIXTURE(runs_fixture,
                  "a burst of 100 attempt writes is one transaction") {
  const auto run = start_run();
  const auto before = state().transactions;
  for (int32_t n = 1; n <= 50; ++n) {
    self->send(aut, atom::attempt_v,
               attempt_start{run, "A", "red", n, "worker_1", "", at(n)});
    self->send(aut, atom::attempt_v,
               attempt_finish{run, "A", "red", n, {10, "failed", "", 5, 1}});
  }
  sched.run();
  CHECK(state().transactions == before + 1);
  CHECK(state().failed_writes == 0);
  CHECK(ask<int64_t>(aut, atom::flush_v) == before + 1);
  auto rows = reader().attempts_of("A");
  REQUIRE(rows);
  REQUIRE(rows->size() == 50);
  CHECK(rows->front().outcome == "failed");
  CHECK(rows->back().attempt == 50);
  CHECK(rows->back().cost_micros == 5);
}

TEST_CASE_FIXTURE(runs_fixture,
                  "start_run replies the id and refuses a second run") {
  const auto id = start_run();
  CHECK(id == 1);
  // Committed before the reply: another process sees the run at once.
  auto active = reader().active_run();
  REQUIRE(active);
  REQUIRE(*active);
  CHECK((*active)->pid == 4242);
  auto second = try_ask<int64_t>(aut, atom::run_v,
                                 run_start{7, "laptop", "main", "", t0});
  REQUIRE(!second);
  CHECK(second.error() == errc::conflict);
  CHECK(describe(second.error()).find("pid 4242 on build-1")
        != std::string::npos);
  self->send(aut, atom::run_v,
             run_finish{id, core::run_outcome::halted, "budget", at(9)});
  ask<int64_t>(aut, atom::flush_v);
  auto run = reader().find_run(id);
  REQUIRE(run);
  REQUIRE(*run);
  CHECK((*run)->status == "halted");
  CHECK((*run)->exit_code == 3);
  CHECK(start_run(99) == 2);
}

TEST_CASE_FIXTURE(runs_fixture,
                  "claims: one winner, on disk before the reply") {
  const auto version = leases().front().version;
  CHECK(ask<bool>(aut, atom::claim_v,
                  task_claim{"A", "worker_1", at(30), version}));
  // No flush: the reply already means committed.
  auto a = reader().find_task("A");
  REQUIRE(a);
  REQUIRE(*a);
  CHECK((*a)->status == task_status::running);
  CHECK((*a)->claimed_by == "worker_1");
  CHECK(!ask<bool>(aut, atom::claim_v,
                   task_claim{"A", "worker_2", at(30), version}));
  auto unknown = try_ask<bool>(aut, atom::claim_v,
                               task_claim{"NOPE", "worker_1", at(30), 1});
  REQUIRE(!unknown);
  CHECK(unknown.error() == errc::not_found);
}

TEST_CASE_FIXTURE(runs_fixture, "leases: renew, reclaim and release") {
  REQUIRE(
    ask<bool>(aut, atom::claim_v, task_claim{"A", "worker_1", at(10), 1}));
  REQUIRE(
    ask<bool>(aut, atom::claim_v, task_claim{"B", "worker_2", at(10), 1}));
  CHECK(ask<bool>(aut, atom::renew_v, std::string{"B"}, std::string{"worker_2"},
                  at(60)));
  CHECK(!ask<bool>(aut, atom::renew_v, std::string{"B"},
                   std::string{"worker_1"}, at(60)));
  CHECK(ask<keys>(aut, atom::reclaim_v, at(30)) == keys{"A"});
  self->send(aut, atom::release_v,
             task_release{"B", "worker_2", task_status::blocked, "why", {}});
  self->send(aut, atom::release_v, // not the holder: counted, no harm done
             task_release{"B", "worker_1", task_status::complete, "", {}});
  const auto all = leases();
  REQUIRE(all.size() == 2);
  CHECK(all[0].status == task_status::pending);
  CHECK(all[1].status == task_status::blocked);
  CHECK(state().failed_writes == 1);
  CHECK(state().last_error == errc::conflict);
  REQUIRE(ask<bool>(aut, atom::claim_v,
                    task_claim{"A", "worker_1", at(90), all[0].version}));
  CHECK(ask<keys>(aut, atom::reclaim_v) == keys{"A"}); // all, expired or not
}

TEST_CASE_FIXTURE(
  runs_fixture, "workers, stages, budget and interruptions through the store") {
  const auto run = start_run();
  const auto before = state().transactions;
  self->send(aut, atom::worker_v,
             worker_registration{"worker_1", "", run, "idle", at(0)});
  self->send(aut, atom::worker_v,
             worker_update{"worker_1", "busy", "A", "red"});
  self->send(aut, atom::heartbeat_v, std::string{"worker_1"}, at(5));
  const std::string start(40, 'a');
  self->send(aut, atom::stage_v, std::string{"A"}, std::string{"red"}, start);
  self->send(aut, atom::budget_v, run, core::budget_limits{100, 5'000'000});
  self->send(aut, atom::budget_v, run, core::budget_usage{1, 120'000, 3'400});
  self->send(aut, atom::attempt_v,
             attempt_start{run, "A", "red", 1, "worker_1", "", at(1)});
  sched.run();
  CHECK(state().transactions == before + 1);
  CHECK(state().failed_writes == 0);
  CHECK(ask<int64_t>(aut, atom::interrupt_v, run) == 1);
  auto db = reader();
  auto workers = db.list_workers();
  REQUIRE(workers);
  REQUIRE(workers->size() == 1);
  CHECK(workers->front().current_task == "A");
  CHECK(workers->front().heartbeat_at == store::format_time(at(5)));
  auto a = db.find_task("A");
  REQUIRE(a);
  REQUIRE(*a);
  CHECK((*a)->current_stage == "red");
  CHECK((*a)->stage_commit == start);
  auto budget = db.budget_of(run);
  REQUIRE(budget);
  REQUIRE(*budget);
  CHECK((*budget)->usage.cost_micros == 120'000);
  CHECK((*budget)->limits.max_cost_micros == 5'000'000);
  auto attempts = db.attempts_of("A");
  REQUIRE(attempts);
  REQUIRE(attempts->size() == 1);
  CHECK(attempts->front().outcome == "interrupted");
}
