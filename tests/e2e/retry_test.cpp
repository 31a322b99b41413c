#include "e2e/circuit_repo.hpp"
#include "e2e/run_lock_holder.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

using tdd::test::circuit_repo;

namespace {

/// CALC-1 blocked by its green stage circuit, CALC-2 blocked because of it.
void block_both(const circuit_repo& r) {
  r.sql("UPDATE tasks SET status = 'blocked', blocked_reason = "
        "'stage_circuit_open:green' WHERE key = 'CALC-1'");
  r.sql("UPDATE tasks SET status = 'blocked', blocked_reason = "
        "'dependency_blocked:CALC-1' WHERE key = 'CALC-2'");
  r.circuit("stage", "CALC-1:green", "open", 3);
}

} // namespace

TEST_CASE("tasks retry: pending again, dependents too, stage circuits closed") {
  circuit_repo r;
  block_both(r);
  const auto retry = r.cli({"tasks", "retry", "CALC-1", "--json"});
  REQUIRE_MESSAGE(retry.code == 0, retry.err);
  const auto doc = retry.json();
  CHECK(doc["retried"][0]["key"] == "CALC-1");
  CHECK(doc["retried"][0]["unblocked"][0] == "CALC-2");
  CHECK(doc["retried"][0]["circuits_reset"][0] == "stage:CALC-1:green");
  CHECK(r.sql("SELECT key, status, blocked_reason FROM tasks ORDER BY key")
        == "CALC-1|pending|\nCALC-2|pending|\n");
  CHECK(r.sql("SELECT state, failure_count FROM circuit_breakers")
        == "closed|0\n");
  CHECK(r.sql("SELECT count(*) FROM circuit_breaker_events WHERE event_type "
              "= 'manual_reset'")
        == "1\n");
}

TEST_CASE("tasks retry: bad keys change nothing") {
  circuit_repo r;
  block_both(r);
  auto bad = r.cli({"tasks", "retry", "CALC-1", "CALC-9"});
  CHECK(bad.code == 2);
  CHECK(bad.err.find("unknown task \"CALC-9\"") != std::string::npos);
  CHECK(bad.err.find("CALC-1") != std::string::npos);
  CHECK(r.sql("SELECT status FROM tasks WHERE key = 'CALC-1'") == "blocked\n");
  r.sql("UPDATE tasks SET status = 'pending', blocked_reason = '' WHERE key "
        "= 'CALC-2'");
  bad = r.cli({"tasks", "retry", "CALC-2"});
  CHECK(bad.code == 2);
  CHECK(bad.err.find("not blocked") != std::string::npos);
  CHECK(r.sql("SELECT state FROM circuit_breakers") == "open\n");
}

TEST_CASE("tasks retry on a live run goes through the control table") {
  circuit_repo r;
  block_both(r);
  char host[256] = {};
  REQUIRE(gethostname(host, sizeof(host) - 1) == 0);
  r.sql("INSERT INTO runs (status, pid, host) VALUES ('active', "
        + std::to_string(getpid()) + ", '" + host + "')");
  const tdd::test::run_lock_holder lock{r.db}; // what makes a run live
  const auto queued = r.cli({"tasks", "retry", "CALC-1", "--json"});
  REQUIRE_MESSAGE(queued.code == 0, queued.err);
  CHECK(queued.json()["via"] == "live_run");
  CHECK(queued.json()["command"] == "task_retry");
  CHECK(r.sql("SELECT command, argument FROM control")
        == "task_retry|CALC-1\n");
  CHECK(r.sql("SELECT status FROM tasks WHERE key = 'CALC-1'") == "blocked\n");
}
