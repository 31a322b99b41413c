#include "store/persistence.hpp"

#include "actor_fixture.hpp"
#include "messages/all.hpp"
#include "store/database.hpp"
#include "store/task_specs.hpp"
#include "store/temp_dir.hpp"

#include <caf/exit_reason.hpp>
#include <caf/system_messages.hpp>
#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace tdd;

namespace {

using persistence_ptr = store_actor::stateful_pointer<store::persistence_state>;
using core::task_status;

// Bases are destroyed in reverse order: the actors stop (and close the
// database) before the directory goes.
struct persistence_fixture : test::temp_dir, test::actor_fixture {
  std::string db_path = file("orchestrator.db");

  persistence_fixture() {
    auto db = store::database::open(db_path, store::open_mode::read_write);
    REQUIRE(db);
    auto summary
      = db->import_tasks({test::make_spec("A"), test::make_spec("B", {"A"}),
                          test::make_spec("C", {}, 1)},
                         false);
    REQUIRE(summary);
    REQUIRE(summary->added == 3);
  }

  store::persistence_state& state_of(const store_actor& aut) {
    return caf::actor_cast<persistence_ptr>(aut)->state;
  }

  void send_status(const store_actor& aut, std::string key, task_status status,
                   std::string reason = {}) {
    self->send(aut, atom::status_v,
               task_status_update{std::move(key), status, std::move(reason)});
  }

  store::database open_read_only() {
    auto db = store::database::open(db_path, store::open_mode::read_only);
    REQUIRE_MESSAGE(db, describe(db.error()));
    return std::move(*db);
  }
};

} // namespace

TEST_CASE_FIXTURE(persistence_fixture,
                  "one mailbox burst of writes is one transaction") {
  auto aut = spawn(store::persistence, db_path);
  send_status(aut, "A", task_status::running);
  send_status(aut, "B", task_status::complete);
  send_status(aut, "C", task_status::blocked, "stage_circuit_open:green");
  sched.run();
  CHECK(state_of(aut).transactions == 1);
  CHECK(state_of(aut).failed_writes == 0);
  CHECK(ask<int64_t>(aut, atom::flush_v) == 1);
  // The next burst is the next transaction.
  send_status(aut, "A", task_status::complete);
  send_status(aut, "C", task_status::pending);
  sched.run();
  CHECK(ask<int64_t>(aut, atom::flush_v) == 2);
}

TEST_CASE_FIXTURE(persistence_fixture,
                  "committed writes are visible to a read-only connection") {
  auto aut = spawn(store::persistence, db_path);
  send_status(aut, "A", task_status::running);
  send_status(aut, "B", task_status::complete);
  send_status(aut, "C", task_status::blocked, "stage_circuit_open:green");
  REQUIRE(ask<int64_t>(aut, atom::flush_v) == 1);
  auto db = open_read_only();
  auto counts = db.count_tasks();
  REQUIRE(counts);
  CHECK(counts->pending == 0);
  CHECK(counts->running == 1);
  CHECK(counts->complete == 1);
  CHECK(counts->blocked == 1);
  auto c = db.find_task("C");
  REQUIRE(c);
  REQUIRE(c->has_value());
  CHECK((*c)->status == task_status::blocked);
  CHECK((*c)->blocked_reason == "stage_circuit_open:green");
}

TEST_CASE_FIXTURE(persistence_fixture, "reads reply") {
  auto aut = spawn(store::persistence, db_path);
  send_status(aut, "B", task_status::running);
  auto rows = ask<std::vector<task_row>>(aut, atom::get_v, atom::tasks_v);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].spec.key == "A");
  CHECK(rows[1].spec.key == "B");
  CHECK(rows[1].status == task_status::running); // reads see queued writes
  CHECK(rows[2].spec.key == "C");
  CHECK(rows[0].spec == test::make_spec("A"));
  auto counts = ask<task_counts>(aut, atom::get_v, atom::count_v);
  CHECK(counts.pending == 2);
  CHECK(counts.running == 1);
  auto b = ask<task_row>(aut, atom::get_v, atom::task_v, std::string{"B"});
  CHECK(b.spec.depends_on == std::vector<std::string>{"A"});
  auto missing
    = try_ask<task_row>(aut, atom::get_v, atom::task_v, std::string{"NOPE"});
  REQUIRE(!missing);
  CHECK(missing.error() == errc::not_found);
  auto nodes
    = ask<std::vector<core::graph_node>>(aut, atom::get_v, atom::graph_v);
  REQUIRE(nodes.size() == 3);
  CHECK(nodes[2].key == "C");
  CHECK(nodes[2].phase == 1);
  auto attempts = ask<std::vector<attempt_row>>(
    aut, atom::get_v, atom::attempts_v, std::string{"A"});
  CHECK(attempts.empty());
}

TEST_CASE_FIXTURE(
  persistence_fixture,
  "a failed write is counted and spares the rest of the batch") {
  auto aut = spawn(store::persistence, db_path);
  send_status(aut, "A", task_status::running);
  send_status(aut, "NOPE", task_status::running);
  send_status(aut, "B", task_status::running);
  CHECK(ask<int64_t>(aut, atom::flush_v) == 1);
  CHECK(state_of(aut).failed_writes == 1);
  CHECK(state_of(aut).last_error == errc::not_found);
  CHECK(ask<task_counts>(aut, atom::get_v, atom::count_v).running == 2);
}

TEST_CASE_FIXTURE(persistence_fixture,
                  "writes still queued when the actor exits are committed") {
  auto aut = spawn(store::persistence, db_path);
  send_status(aut, "A", task_status::complete);
  self->send_exit(aut, caf::exit_reason::user_shutdown);
  sched.run();
  auto db = open_read_only();
  auto a = db.find_task("A");
  REQUIRE(a);
  REQUIRE(a->has_value());
  CHECK((*a)->status == task_status::complete);
}

TEST_CASE_FIXTURE(test::actor_fixture,
                  "the actor quits with the error when the database fails") {
  auto aut = spawn(store::persistence,
                   std::string{"/nonexistent-tdd-dir/orchestrator.db"});
  self->monitor(aut);
  caf::error reason;
  self->receive([&](caf::down_msg& x) { reason = std::move(x.reason); },
                caf::after(std::chrono::seconds{0}) >> [] {});
  CHECK(reason == errc::sqlite_failure);
  CHECK(describe(reason).find("/nonexistent-tdd-dir/orchestrator.db")
        != std::string::npos);
}

TEST_CASE_FIXTURE(test::actor_fixture, "an empty in-memory store counts zero") {
  auto aut = spawn(store::persistence, std::string{":memory:"});
  auto counts = ask<task_counts>(aut, atom::get_v, atom::count_v);
  CHECK(counts.pending + counts.running + counts.complete + counts.blocked
        == 0);
  CHECK(ask<std::vector<task_row>>(aut, atom::get_v, atom::tasks_v).empty());
}
