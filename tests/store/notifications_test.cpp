// database::record_notification and the store actor's `notify` write: one
// row of `notifications` per Slack notification as it ended.

#include "actor_fixture.hpp"
#include "store/persistence.hpp"
#include "store/run_fixture.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace tdd;
using test::run_fixture;

namespace {

notification_record make_record(int64_t run_id, std::string outcome,
                                core::wall_time at) {
  notification_record x;
  x.run_id = run_id;
  x.event = "circuit_opened";
  x.subject = "worker:worker_2";
  x.outcome = std::move(outcome);
  x.tries = 2;
  x.error = "";
  x.payload = R"({"text":"Circuit open: worker:worker_2","blocks":[]})";
  x.at = caf::timestamp{at};
  return x;
}

const char* row_sql
  = "SELECT COALESCE(run_id, 'NULL') || '|' || channel || '|' || event || '|' "
    "|| subject || '|' || outcome || '|' || tries || '|' || error || '|' || "
    "created_at || '|' || COALESCE(sent_at, 'NULL') FROM notifications "
    "ORDER BY id";

} // namespace

TEST_CASE_FIXTURE(run_fixture, "a sent notification is stored with its run "
                               "and payload and sent time") {
  const auto run = start_run();
  TDD_REQUIRE_OK(db.record_notification(make_record(run, "sent", at(5))));
  CHECK(column(row_sql)
        == std::vector<std::string>{
          std::to_string(run) + "|slack|circuit_opened|worker:worker_2|sent|2||"
          + text_at(5) + "|" + text_at(5)});
  CHECK(column("SELECT payload FROM notifications")
        == std::vector<std::string>{
          R"({"text":"Circuit open: worker:worker_2","blocks":[]})"});
}

TEST_CASE_FIXTURE(run_fixture, "throttled and failed notifications have no "
                               "sent time and run 0 is no run") {
  auto throttled = make_record(0, "throttled", at(1));
  throttled.tries = 0;
  auto failed = make_record(0, "failed", at(2));
  failed.tries = 3;
  failed.error = "HTTP 500";
  TDD_REQUIRE_OK(db.record_notification(throttled));
  TDD_REQUIRE_OK(db.record_notification(failed));
  CHECK(column(row_sql)
        == std::vector<std::string>{
          "NULL|slack|circuit_opened|worker:worker_2|throttled|0||" + text_at(1)
            + "|NULL",
          "NULL|slack|circuit_opened|worker:worker_2|failed|3|HTTP 500|"
            + text_at(2) + "|NULL"});
}

TEST_CASE_FIXTURE(run_fixture, "an outcome the table does not know is "
                               "refused and nothing is written") {
  const auto err = db.record_notification(make_record(0, "lost", at(1)));
  CHECK(err == errc::invalid_argument);
  CHECK(column("SELECT count(*) FROM notifications")
        == std::vector<std::string>{"0"});
}

namespace {

// The store actor on the run fixture's file; bases are destroyed in
// reverse order, so the actor stops before the directory goes.
struct store_actor_fixture : run_fixture, test::actor_fixture {
  store_actor store = spawn(store::persistence, path);
};

} // namespace

TEST_CASE_FIXTURE(store_actor_fixture, "the store actor writes notification "
                                       "records in its batch") {
  const auto run = start_run();
  self->send(store, atom::notify_v, make_record(run, "sent", at(1)));
  self->send(store, atom::notify_v, make_record(run, "throttled", at(2)));
  auto bad = make_record(run, "lost", at(3)); // counted, the rest survives
  self->send(store, atom::notify_v, bad);
  self->send(store, atom::notify_v, make_record(run, "failed", at(4)));
  sched.run();
  ask<int64_t>(store, atom::flush_v);
  CHECK(column("SELECT outcome FROM notifications ORDER BY id")
        == std::vector<std::string>{"sent", "throttled", "failed"});
  auto* st
    = &caf::actor_cast<store_actor::stateful_pointer<store::persistence_state>>(
         store)
         ->state;
  CHECK(st->failed_writes == 1);
}
