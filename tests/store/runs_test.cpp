#include "core/budget.hpp"
#include "messages/errc.hpp"
#include "store/database.hpp"
#include "store/run_fixture.hpp"

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

using namespace tdd;
using core::run_outcome;
using strings = std::vector<std::string>;

namespace {

constexpr auto started = "2023-11-14T22:13:20.000Z";

} // namespace

TEST_CASE_FIXTURE(test::run_fixture, "start_run: an active run with its id") {
  const auto id = start_run();
  CHECK(id == 1);
  auto active = test::value_of(db.active_run());
  REQUIRE(active);
  CHECK(active->id == id);
  CHECK(active->pid == 4242);
  CHECK(active->host == "build-1");
  CHECK(active->started_at == started);
  auto row = test::value_of(db.find_run(id));
  REQUIRE(row);
  CHECK(row->status == "active");
  CHECK(row->target_branch == "main");
  CHECK(row->options_json == R"({"workers": 2})");
  CHECK(!row->exit_code);
  CHECK(row->finished_at.empty());
  CHECK(!test::value_of(db.find_run(99)));
}

TEST_CASE_FIXTURE(
  test::run_fixture,
  "start_run: a second active run is refused, naming the first") {
  const auto id = start_run();
  // From this connection and from another one (another process).
  auto other = open();
  for (auto* x : {&db, &other}) {
    auto second = x->start_run({7, "laptop", "main", "", at(5)});
    REQUIRE(!second);
    CHECK(second.error() == errc::conflict);
    CHECK(describe(second.error())
          == "run " + std::to_string(id)
               + " is active (pid 4242 on build-1, started " + started + ")");
  }
  CHECK(column("SELECT COUNT(*) FROM runs") == strings{"1"});
}

TEST_CASE_FIXTURE(test::run_fixture,
                  "finish_run: the outcome, exit code and reason are stored") {
  struct row {
    run_outcome outcome;
    const char* reason;
    int exit;
  };
  const std::vector<row> rows{
    {run_outcome::complete, "", 0},
    {run_outcome::blocked, "2 tasks blocked", 1},
    {run_outcome::halted, "invocation budget of 100 spent", 3},
    {run_outcome::interrupted, "", 130},
  };
  int n = 0;
  for (const auto& r : rows) {
    CAPTURE(r.reason);
    const auto id = start_run(100 + n);
    TDD_REQUIRE_OK(db.finish_run(id, r.outcome, r.reason, at(60 + n)));
    auto run = test::value_of(db.find_run(id));
    REQUIRE(run);
    CHECK(run->status == core::to_string(r.outcome));
    CHECK(run->exit_code == r.exit);
    CHECK(run->halt_reason == r.reason);
    CHECK(run->finished_at == text_at(60 + n));
    CHECK(!test::value_of(db.active_run())); // so the next one may start
    auto latest = test::value_of(db.latest_run());
    REQUIRE(latest);
    CHECK(latest->id == id);
    ++n;
  }
}

TEST_CASE_FIXTURE(test::run_fixture,
                  "finish_run: unknown runs and runs that ended are refused") {
  const auto id = start_run();
  TDD_REQUIRE_OK(db.finish_run(id, run_outcome::halted, "why", at(1)));
  auto again = db.finish_run(id, run_outcome::complete, "", at(2));
  CHECK(again == errc::conflict);
  CHECK(describe(again) == "run 1 ended already (halted)");
  CHECK(db.finish_run(42, run_outcome::complete, "", at(2)) == errc::not_found);
  // The first finish stays.
  CHECK(test::value_of(db.find_run(id))->halt_reason == "why");
}

TEST_CASE_FIXTURE(test::run_fixture, "start_run: options must be an object") {
  for (const auto* bad : {"[1, 2]", "nope", "3", "{\"a\":"}) {
    CAPTURE(bad);
    auto id = db.start_run({1, "h", "main", bad, t0});
    REQUIRE(!id);
    CHECK(id.error() == errc::invalid_argument);
  }
  CHECK(!test::value_of(db.latest_run()));
  auto id = test::value_of(db.start_run({1, "h", "", "", t0}));
  CHECK(test::value_of(db.find_run(id))->options_json == "{}");
}

TEST_CASE_FIXTURE(test::run_fixture,
                  "start_run in an open transaction is part of it") {
  auto txn = test::value_of(db.begin());
  const auto id = start_run();
  // Refused; the first one stays in the transaction.
  CHECK(!db.start_run({1, "h", "", "", t0}));
  TDD_REQUIRE_OK(txn.commit());
  CHECK(test::value_of(db.active_run())->id == id);
}

TEST_CASE_FIXTURE(test::run_fixture, "budget rows: caps, usage, resume") {
  const auto run = start_run();
  CHECK(!test::value_of(db.budget_of(run)));
  TDD_REQUIRE_OK(db.init_budget(run, {100, 5'000'000}));
  auto row = test::value_of(db.budget_of(run));
  REQUIRE(row);
  CHECK(row->run_id == run);
  CHECK(row->limits.max_invocations == 100);
  CHECK(row->limits.max_cost_micros == 5'000'000);
  CHECK(row->usage.invocations == 0);
  CHECK(row->usage.cost_micros == 0);
  CHECK(row->updated_at.size() == 24);

  TDD_REQUIRE_OK(db.record_budget(run, {3, 1'234'567, 4'500}));
  TDD_REQUIRE_OK(db.record_budget(run, {4, 5'120'001, 5'000})); // last wins
  row = test::value_of(db.budget_of(run));
  CHECK(row->usage.invocations == 4);
  CHECK(row->usage.cost_micros == 5'120'001); // exact, no rounding
  CHECK(row->usage.tokens == 5'000);

  // New caps keep the usage; no cost cap reads back as none.
  TDD_REQUIRE_OK(db.init_budget(run, {200, std::nullopt}));
  row = test::value_of(db.budget_of(run));
  CHECK(row->limits.max_invocations == 200);
  CHECK(!row->limits.max_cost_micros);
  CHECK(row->usage.invocations == 4);

  // A budget carried on from the stored row.
  core::budget resumed{row->limits, row->usage};
  CHECK(resumed.invocations_remaining() == 196);
}

TEST_CASE_FIXTURE(test::run_fixture, "budget rows: errors") {
  const auto run = start_run();
  CHECK(db.record_budget(run, {1, 0, 0}) == errc::not_found);
  CHECK(db.init_budget(run, {-1, std::nullopt}) == errc::invalid_argument);
  CHECK(db.init_budget(run, {1, -5}) == errc::invalid_argument);
  CHECK(db.init_budget(77, {1, std::nullopt}) != caf::none); // no such run
  TDD_REQUIRE_OK(db.init_budget(run, {1, std::nullopt}));
  CHECK(db.record_budget(run, {-1, 0, 0}) != caf::none); // CHECK >= 0
}
