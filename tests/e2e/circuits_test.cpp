#include "e2e/circuit_repo.hpp"
#include "e2e/harness.hpp"
#include "e2e/run_lock_holder.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

using tdd::test::circuit_repo;
using tdd::test::temp_repo;

TEST_CASE("circuits health: HEALTHY with no circuits, UNKNOWN without a db") {
  circuit_repo r;
  auto h = r.cli({"circuits", "health", "--json"});
  CHECK(h.code == 0);
  const auto doc = h.json();
  CHECK(doc["status"] == "HEALTHY");
  CHECK(doc["reasons"].is_array());
  CHECK(doc["circuits"]["stage"]["open"] == 0);
  CHECK(doc["flapping"] == 0);
  CHECK(doc["checked_at"].get<std::string>().size() == 24);

  temp_repo bare;
  h = bare.orchestrator({"circuits", "health"});
  CHECK(h.code == 3);
  CHECK(h.out.find("UNKNOWN") != std::string::npos);
}

TEST_CASE("circuits health: DEGRADED, UNHEALTHY at 3 open, system open") {
  circuit_repo r;
  r.circuit("stage", "CALC-1:green", "open", 3);
  auto h = r.cli({"circuits", "health"});
  CHECK(h.code == 1);
  CHECK(h.out.find("DEGRADED") != std::string::npos);
  r.circuit("stage", "CALC-2:red", "open", 3);
  r.circuit("worker", "worker_1", "open", 3);
  h = r.cli({"circuits", "health", "--json"});
  CHECK(h.code == 2);
  CHECK(h.json()["status"] == "UNHEALTHY");

  circuit_repo s;
  s.circuit("system", "system", "open");
  h = s.cli({"circuits", "health", "--json"});
  CHECK(h.code == 2);
  CHECK(h.json()["circuits"]["system"]["open"] == 1);
}

TEST_CASE("circuits health agrees with the SQL views") {
  circuit_repo r;
  r.circuit("stage", "CALC-1:green", "open", 3);
  r.circuit("stage", "CALC-2:red", "half_open", 3);
  r.circuit("worker", "worker_1", "closed");
  r.circuit("worker", "worker_2", "open", 3);
  const auto doc = r.cli({"circuits", "health", "--json"}).json();
  for (const char* level : {"stage", "worker", "system"}) {
    CAPTURE(level);
    const auto row
      = r.sql(std::string("SELECT closed || ' ' || open || ' ' || "
                          "half_open FROM v_circuit_health_summary "
                          "WHERE level = '")
              + level + "'");
    const auto& c = doc["circuits"][level];
    CHECK(row
          == std::to_string(c["closed"].get<int>()) + " "
               + std::to_string(c["open"].get<int>()) + " "
               + std::to_string(c["half_open"].get<int>()) + "\n");
  }
  const auto open = r.sql("SELECT count(*) FROM v_open_circuits");
  CHECK(open == "2\n");
  const auto listed
    = r.cli({"circuits", "status", "--state", "open", "--json"}).json();
  CHECK(listed["circuits"].size() == 2);
}

TEST_CASE("circuits status lists, filters and rejects bad filters") {
  circuit_repo r;
  auto empty = r.cli({"circuits", "status"});
  CHECK(empty.code == 0);
  CHECK(empty.out.find("No circuits yet") != std::string::npos);
  r.circuit("stage", "CALC-1:green", "open", 3);
  r.circuit("worker", "worker_1", "closed");
  const auto all = r.cli({"circuits", "status"});
  CHECK(all.out.find("stage:CALC-1:green") != std::string::npos);
  CHECK(all.out.find("worker:worker_1") != std::string::npos);
  const auto workers
    = r.cli({"circuits", "status", "--level", "worker", "--json"}).json();
  REQUIRE(workers["circuits"].size() == 1);
  CHECK(workers["circuits"][0]["id"] == "worker:worker_1");
  CHECK(workers["circuits"][0]["state"] == "closed");
  CHECK(r.cli({"circuits", "status", "--level", "node"}).code == 2);
  CHECK(r.cli({"circuits", "status", "--state", "broken"}).code == 2);
}

TEST_CASE("circuits reset closes the circuit, zeroes it and records it") {
  circuit_repo r;
  r.circuit("stage", "CALC-1:green", "open", 3);
  const auto reset = r.cli({"circuits", "reset", "stage:CALC-1:green"});
  REQUIRE_MESSAGE(reset.code == 0, reset.err);
  CHECK(reset.out.find("open -> closed") != std::string::npos);
  CHECK(r.sql("SELECT state, failure_count, consecutive_failures FROM "
              "circuit_breakers WHERE identifier = 'CALC-1:green'")
        == "closed|0|0\n");
  CHECK(r.sql("SELECT count(*) FROM circuit_breaker_events WHERE event_type "
              "= 'manual_reset'")
        == "1\n");
  CHECK(r.cli({"circuits", "health"}).code == 0);
  // A task's never-used stage circuit can be reset too.
  CHECK(r.cli({"circuits", "reset", "stage:CALC-2:verify"}).code == 0);
}

TEST_CASE("circuits reset: unknown ids are exit 2 with forms and matches") {
  circuit_repo r;
  r.circuit("worker", "worker_1", "open", 3);
  auto bad = r.cli({"circuits", "reset", "stage:CALC-9:green"});
  CHECK(bad.code == 2);
  CHECK(bad.err.find("CALC-1") != std::string::npos);
  bad = r.cli({"circuits", "reset", "stage:CALC-1:purple"});
  CHECK(bad.code == 2);
  CHECK(bad.err.find("valid forms") != std::string::npos);
  bad = r.cli({"circuits", "reset", "wrker:worker_1"});
  CHECK(bad.code == 2);
  CHECK(bad.err.find("valid forms") != std::string::npos);
  CHECK(bad.err.find("worker:worker_1") != std::string::npos);
  bad = r.cli({"circuits", "reset", "worker:worker_9"});
  CHECK(bad.code == 2);
  CHECK(bad.err.find("worker_1") != std::string::npos);
  CHECK(r.sql("SELECT state FROM circuit_breakers") == "open\n");
}

TEST_CASE("circuits reset all needs --force when it cannot ask") {
  circuit_repo r;
  r.circuit("stage", "CALC-1:green", "open", 3);
  r.circuit("worker", "worker_1", "half_open", 3);
  const auto refused = r.cli({"circuits", "reset", "all"});
  CHECK(refused.code == 2);
  CHECK(refused.err.find("--force") != std::string::npos);
  CHECK(r.sql("SELECT count(*) FROM circuit_breakers WHERE state != 'closed'")
        == "2\n");
  const auto forced = r.cli({"circuits", "reset", "all", "--force", "--json"});
  REQUIRE_MESSAGE(forced.code == 0, forced.err);
  CHECK(forced.json()["reset"].size() == 2);
  CHECK(r.sql("SELECT count(*) FROM circuit_breakers WHERE state != 'closed'")
        == "0\n");
}

TEST_CASE("circuits reset on a live run goes through the control table") {
  circuit_repo r;
  r.circuit("stage", "CALC-1:green", "open", 3);
  char host[256] = {};
  REQUIRE(gethostname(host, sizeof(host) - 1) == 0);
  // This test process plays the live run: it holds the run lock, so the
  // CLI must not write the circuit itself but queue the reset for the run.
  r.sql("INSERT INTO runs (status, pid, host) VALUES ('active', "
        + std::to_string(getpid()) + ", '" + host + "')");
  const tdd::test::run_lock_holder lock{r.db};
  const auto queued
    = r.cli({"circuits", "reset", "stage:CALC-1:green", "--json"});
  REQUIRE_MESSAGE(queued.code == 0, queued.err);
  CHECK(queued.json()["via"] == "live_run");
  CHECK(queued.json()["applied"] == false);
  CHECK(r.sql("SELECT command, argument FROM control WHERE processed_at IS "
              "NULL")
        == "circuit_reset|stage:CALC-1:green\n");
  CHECK(r.sql("SELECT state FROM circuit_breakers") == "open\n");
}
