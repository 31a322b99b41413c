// database: the `control` table and the active run.

#include "messages/errc.hpp"
#include "store/database.hpp"
#include "store/raw_sqlite.hpp"
#include "store/temp_dir.hpp"
#include "store/time_text.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace tdd;

namespace {

struct control_fixture : test::temp_dir {
  std::string path = file("orchestrator.db");
  store::database db = open(store::open_mode::read_write);

  store::database open(store::open_mode mode) {
    auto result = store::database::open(path, mode);
    REQUIRE_MESSAGE(result, describe(result.error()));
    return std::move(*result);
  }

  int64_t enqueue(const std::string& command, const std::string& argument) {
    auto id = db.enqueue_control(command, argument);
    REQUIRE_MESSAGE(id, describe(id.error()));
    return *id;
  }

  std::vector<int64_t> pending_ids() {
    auto xs = db.pending_controls();
    REQUIRE_MESSAGE(xs, describe(xs.error()));
    std::vector<int64_t> result;
    for (const auto& x : *xs) {
      result.push_back(x.id);
    }
    return result;
  }
};

} // namespace

TEST_CASE_FIXTURE(control_fixture, "control commands queue, then get marked") {
  auto a = enqueue("circuit_reset", "stage:A:red");
  auto b = enqueue("task_retry", "B");
  CHECK(pending_ids() == std::vector<int64_t>{a, b});
  auto pending = db.pending_controls();
  REQUIRE(pending);
  CHECK((*pending)[0].command == "circuit_reset");
  CHECK((*pending)[0].argument == "stage:A:red");
  CHECK(store::parse_time((*pending)[0].created_at).has_value());
  CHECK((*pending)[0].processed_at.empty());
  CHECK((*pending)[0].result.empty());
  REQUIRE(!db.mark_control_processed(a, "delivered"));
  CHECK(pending_ids() == std::vector<int64_t>{b});
  auto found = db.find_control(a);
  REQUIRE(found);
  REQUIRE(found->has_value());
  CHECK((*found)->id == a);
  CHECK((*found)->command == "circuit_reset");
  CHECK(store::parse_time((*found)->processed_at).has_value());
  CHECK((*found)->result == "delivered");
  auto still = db.find_control(b);
  REQUIRE((still && *still));
  CHECK((*still)->processed_at.empty());
}

TEST_CASE_FIXTURE(control_fixture, "unknown control ids") {
  auto missing = db.find_control(42);
  REQUIRE(missing);
  CHECK(!missing->has_value());
  CHECK(db.mark_control_processed(42, "delivered") == errc::not_found);
}

TEST_CASE_FIXTURE(control_fixture, "a read-only connection sees the queue") {
  auto a = enqueue("circuit_reset", "all");
  auto ro = open(store::open_mode::read_only);
  auto found = ro.find_control(a);
  REQUIRE((found && *found));
  CHECK((*found)->argument == "all");
  REQUIRE(!db.mark_control_processed(a, "delivered"));
  auto again = ro.find_control(a);
  REQUIRE((again && *again));
  CHECK((*again)->result == "delivered");
  CHECK(ro.enqueue_control("x", "y").error() == errc::read_only);
}

TEST_CASE_FIXTURE(control_fixture, "active_run: the run with status active") {
  auto none = db.active_run();
  REQUIRE(none);
  CHECK(!none->has_value());
  auto raw = test::open_raw(path);
  test::exec_sql(raw.get(), "INSERT INTO runs (status, pid, host) VALUES "
                            "('complete', 10, 'old'), ('active', 4242, 'box')");
  auto run = db.active_run();
  REQUIRE(run);
  REQUIRE(run->has_value());
  CHECK((*run)->id == 2);
  CHECK((*run)->pid == 4242);
  CHECK((*run)->host == "box");
  CHECK(store::parse_time((*run)->started_at).has_value());
  test::exec_sql(raw.get(), "UPDATE runs SET status = 'interrupted'");
  auto after = db.active_run();
  REQUIRE(after);
  CHECK(!after->has_value());
}
