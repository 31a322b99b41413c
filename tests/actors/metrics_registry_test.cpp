// The Prometheus registry of SPEC.md 6 fed from store::metrics_data: which
// series exist, what they say, and that counters only grow.

#include "actors/metrics_registry.hpp"

#include "exposition.hpp"

#include <doctest/doctest.h>

#include <map>
#include <string>

using namespace tdd;
using tdd::test::sample;
using tdd::test::samples;

namespace {

store::metrics_data some_data() {
  store::metrics_data x;
  x.tasks = {2, 1, 3, 0};
  // red: 2 passed of 0.4 s, 1 timeout of 20 s; commit: a merge conflict.
  x.attempts.push_back({"red", "passed", "", 0, 2, 800, 30'000, 200});
  x.attempts.push_back({"red", "timeout", "agent_timeout", 3, 1, 20'000, 0, 0});
  x.attempts.push_back({"commit", "failed", "merge_conflict", 0, 1, 50, 0, 0});
  x.attempts.push_back({"verify", "passed", "", 0, 4, 100, 0, 0});
  x.circuit_events.push_back({"worker", "state_change", "closed", "open", 2});
  x.circuit_events.push_back({"worker", "failure_recorded", "", "", 7});
  x.recoveries.push_back({"worker", 4, 1, 250.0});
  x.worker_restarts = 1;
  x.invocations_remaining = 97;
  x.workers = {{"busy", 2}, {"paused", 1}};
  x.circuits.worker = {1, 1, 0};
  x.breakers.push_back({"worker", "worker_1", "open", ""});
  x.breakers.push_back({"worker", "worker_2", "closed", ""});
  x.notifications = {{"sent", 3}};
  x.runs = {{"complete", 2}};
  x.active_run_started = 1'700'000'000.5;
  return x;
}

} // namespace

TEST_CASE("an empty database shows every bounded series at zero") {
  metrics_registry reg;
  const auto s = samples(reg.exposition());
  CHECK(sample(s, "tdd_tasks{status=\"pending\"}") == 0);
  CHECK(sample(s, "tdd_stage_attempts_total{outcome=\"passed\",stage=\"red\"}")
        == 0);
  CHECK(sample(s, "tdd_stage_duration_seconds_count{stage=\"commit\"}") == 0);
  CHECK(sample(s, "tdd_agent_invocations_total{outcome=\"ok\"}") == 0);
  CHECK(sample(s, "tdd_workers{state=\"lost\"}") == 0);
  CHECK(sample(s, "tdd_circuit_breakers{level=\"stage\",state=\"open\"}") == 0);
  CHECK(sample(s, "tdd_circuit_breaker_state{id=\"system\",level=\"system\","
                  "state=\"closed\"}")
        == 1);
  CHECK(sample(s, "tdd_notifications_total{outcome=\"failed\"}") == 0);
  CHECK(sample(s, "tdd_runs_total{outcome=\"halted\"}") == 0);
  CHECK(sample(s, "tdd_run_start_time_seconds") == 0);
  // No run, no budget: no number is better than a made-up one.
  CHECK(s.count("tdd_budget_invocations_remaining") == 0);
}

TEST_CASE("the registry shows what the database holds") {
  metrics_registry reg;
  reg.update(some_data());
  const auto text = reg.exposition();
  const auto s = samples(text);
  CHECK(sample(s, "tdd_tasks{status=\"complete\"}") == 3);
  CHECK(sample(s, "tdd_stage_attempts_total{outcome=\"passed\",stage=\"red\"}")
        == 2);
  CHECK(sample(s, "tdd_stage_attempts_total{outcome=\"timeout\",stage=\"red\"}")
        == 1);
  // Buckets are cumulative: 2 attempts <= 1 s, the third <= 30 s.
  CHECK(sample(s, "tdd_stage_duration_seconds_bucket{stage=\"red\",le=\"1\"}")
        == 2);
  CHECK(sample(s, "tdd_stage_duration_seconds_bucket{stage=\"red\",le=\"15\"}")
        == 2);
  CHECK(sample(s, "tdd_stage_duration_seconds_bucket{stage=\"red\",le=\"30\"}")
        == 3);
  CHECK(
    sample(s, "tdd_stage_duration_seconds_bucket{stage=\"red\",le=\"+Inf\"}")
    == 3);
  CHECK(sample(s, "tdd_stage_duration_seconds_sum{stage=\"red\"}")
        == doctest::Approx(20.8));
  CHECK(sample(s, "tdd_stage_duration_seconds_count{stage=\"red\"}") == 3);
  // Agent calls: red only (verify and commit run no agent).
  CHECK(sample(s, "tdd_agent_invocations_total{outcome=\"ok\"}") == 2);
  CHECK(sample(s, "tdd_agent_invocations_total{outcome=\"timeout\"}") == 1);
  CHECK(sample(s, "tdd_agent_cost_usd_total") == doctest::Approx(0.03));
  CHECK(sample(s, "tdd_agent_tokens_total") == 200);
  CHECK(sample(s, "tdd_merge_conflicts_total") == 1);
  CHECK(sample(s, "tdd_budget_invocations_remaining") == 97);
  CHECK(sample(s, "tdd_workers{state=\"busy\"}") == 2);
  CHECK(sample(s, "tdd_workers{state=\"idle\"}") == 0);
  CHECK(sample(s, "tdd_worker_restarts_total") == 1);
  CHECK(sample(s, "tdd_circuit_breakers{level=\"worker\",state=\"open\"}")
        == 1);
  CHECK(sample(s, "tdd_circuit_breaker_state{id=\"worker_1\",level=\"worker\","
                  "state=\"open\"}")
        == 1);
  CHECK(sample(s, "tdd_circuit_breaker_state{id=\"worker_1\",level=\"worker\","
                  "state=\"closed\"}")
        == 0);
  CHECK(sample(s, "tdd_circuit_breaker_state_changes_total{from=\"closed\","
                  "level=\"worker\",to=\"open\"}")
        == 2);
  CHECK(sample(s, "tdd_circuit_breaker_failures_total{level=\"worker\"}") == 7);
  CHECK(sample(s,
               "tdd_circuit_breaker_recovery_seconds_bucket{level=\"worker\","
               "le=\"300\"}")
        == 1);
  CHECK(sample(s,
               "tdd_circuit_breaker_recovery_seconds_bucket{level=\"worker\","
               "le=\"120\"}")
        == 0);
  CHECK(sample(s, "tdd_notifications_total{outcome=\"sent\"}") == 3);
  CHECK(sample(s, "tdd_runs_total{outcome=\"complete\"}") == 2);
  CHECK(sample(s, "tdd_run_start_time_seconds") == 1'700'000'000.5);
  // No task key in any label.
  CHECK(text.find("task=") == std::string::npos);
}

TEST_CASE("counters grow by the difference and start over when totals drop") {
  metrics_registry reg;
  auto x = some_data();
  reg.update(x);
  x.attempts[0].attempts = 5;
  x.attempts[0].duration_ms = 2000;
  reg.update(x);
  auto s = samples(reg.exposition());
  CHECK(sample(s, "tdd_stage_attempts_total{outcome=\"passed\",stage=\"red\"}")
        == 5);
  CHECK(sample(s, "tdd_stage_duration_seconds_count{stage=\"red\"}") == 6);
  CHECK(sample(s, "tdd_stage_duration_seconds_sum{stage=\"red\"}")
        == doctest::Approx(22.0));
  // Another database (fewer attempts): the series starts over.
  x.attempts[0].attempts = 1;
  x.attempts[0].duration_ms = 100;
  reg.update(x);
  s = samples(reg.exposition());
  CHECK(sample(s, "tdd_stage_attempts_total{outcome=\"passed\",stage=\"red\"}")
        == 1);
  CHECK(sample(s, "tdd_stage_duration_seconds_count{stage=\"red\"}") == 2);
}

TEST_CASE("circuits that are gone leave the state family") {
  metrics_registry reg;
  auto x = some_data();
  reg.update(x);
  x.breakers = {{"system", "system", "open", ""}};
  reg.update(x);
  const auto s = samples(reg.exposition());
  CHECK(s.count("tdd_circuit_breaker_state{id=\"worker_1\",level=\"worker\","
                "state=\"open\"}")
        == 0);
  CHECK(sample(s, "tdd_circuit_breaker_state{id=\"system\",level=\"system\","
                  "state=\"open\"}")
        == 1);
}
