#include "cli/status_view.hpp"

#include "cli/run_lock.hpp"
#include "store/circuit_samples.hpp"
#include "store/run_fixture.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <string>

using namespace tdd;

namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

struct status_fixture : test::run_fixture {
  /// What `status` reads, from a read-only connection as the command does.
  cli::status_data read() {
    auto ro = test::value_of(
      store::database::open(path, store::open_mode::read_only));
    return test::value_of(cli::read_status(ro));
  }

  /// A run with two workers (one busy) and a budget.
  int64_t busy_run() {
    const auto run = start_run();
    TDD_REQUIRE_OK(db.register_worker({"worker_1", "", run, "idle", at(1)}));
    TDD_REQUIRE_OK(db.register_worker({"worker_2", "", run, "idle", at(1)}));
    TDD_REQUIRE_OK(db.set_worker_state({"worker_1", "busy", "A", "green"}));
    TDD_REQUIRE_OK(db.heartbeat("worker_1", at(50)));
    TDD_REQUIRE_OK(db.init_budget(run, {100, 5'000'000}));
    TDD_REQUIRE_OK(db.record_budget(run, {14, 170'000, 12345}));
    return run;
  }
};

} // namespace

TEST_CASE_FIXTURE(status_fixture, "status before any run: tasks and circuits") {
  const auto x = read();
  const auto text = cli::status_text(x, at(0));
  INFO(text);
  CHECK(has(text, "No run yet: orchestrator run\n"));
  CHECK(has(text, "pending   3\n"));
  CHECK(has(text, "Progress: 0 of 3 complete (0%)\n"));
  CHECK(!has(text, "WORKER"));
  CHECK(!has(text, "Budget"));
  CHECK(has(text, "Circuits: HEALTHY (0 open, 0 half_open, 0 flapping)\n"));
  const auto doc = cli::status_json(x);
  CHECK(doc.at("db") == path);
  CHECK(doc.at("tasks")
        == nlohmann::json::parse(R"({"total": 3, "pending": 3, "running": 0,
                                     "complete": 0, "blocked": 0})"));
  CHECK(doc.at("run").is_null());
  CHECK(doc.at("workers") == nlohmann::json::array());
  CHECK(doc.at("budget").is_null());
  CHECK(doc.at("circuits")
        == nlohmann::json::parse(R"({"open": 0, "half_open": 0,
            "flapping": 0, "health": "HEALTHY", "not_closed": [],
            "by_level": {"stage": {"closed": 0, "open": 0, "half_open": 0},
                         "worker": {"closed": 0, "open": 0, "half_open": 0},
                         "system": {"closed": 0, "open": 0, "half_open": 0}}})"));
}

TEST_CASE_FIXTURE(status_fixture, "status of an active run with workers") {
  const auto run = busy_run();
  std::string error; // the run lock makes it alive, whatever its pid
  const auto lock
    = cli::run_lock::acquire(path, std::chrono::seconds{0}, error);
  REQUIRE_MESSAGE(lock, error);
  const auto x = read();
  const auto text = cli::status_text(x, at(53));
  INFO(text);
  CHECK(has(text, "Run " + std::to_string(run)
                    + ": active, pid 4242@build-1, target main\n"
                      "  started 2023-11-14T22:13:20.000Z\n"));
  CHECK(has(text, "WORKER    STATE  TASK  STAGE  RESTARTS  HEARTBEAT\n"
                  "worker_1  busy   A     green  0         3s ago\n"
                  "worker_2  idle   -     -      0         52s ago\n"));
  CHECK(has(text, "Budget: 14 of 100 agent calls used, cost $0.17 of "
                  "$5.00, 12345 tokens\n"));
  CHECK(!has(text, "Spent"));
  const auto doc = cli::status_json(x);
  const auto& r = doc.at("run");
  CHECK(r.at("id") == run);
  CHECK(r.at("status") == "active");
  CHECK(r.at("alive") == true);
  CHECK(r.at("pid") == 4242);
  CHECK(r.at("host") == "build-1");
  CHECK(r.at("target_branch") == "main");
  CHECK(r.at("started_at") == "2023-11-14T22:13:20.000Z");
  CHECK(r.at("finished_at").is_null());
  CHECK(r.at("exit_code").is_null());
  CHECK(r.at("halt_reason").is_null());
  REQUIRE(doc.at("workers").size() == 2);
  CHECK(doc.at("workers")[0]
        == nlohmann::json({{"id", "worker_1"},
                           {"node", nullptr},
                           {"state", "busy"},
                           {"task", "A"},
                           {"stage", "green"},
                           {"restarts", 0},
                           {"heartbeat_at", text_at(50)}}));
  CHECK(doc.at("workers")[1].at("task").is_null());
  CHECK(doc.at("budget")
        == nlohmann::json({{"max_invocations", 100},
                           {"invocations_used", 14},
                           {"max_cost_usd_micros", 5'000'000},
                           {"cost_usd_micros", 170'000},
                           {"tokens", 12345},
                           {"invocations_remaining", 86}}));
}

TEST_CASE_FIXTURE(status_fixture, "status of a halted run says why") {
  const auto run = busy_run();
  TDD_REQUIRE_OK(db.init_budget(run, {14, std::nullopt}));
  TDD_REQUIRE_OK(db.finish_run(run, core::run_outcome::halted,
                               "invocation budget of 14 spent", at(60)));
  test::value_of(
    db.save_circuit(test::make_circuit(core::circuit_level::stage, "A:green",
                                       core::circuit_state::open),
                    {test::make_event(at(30))}));
  const auto x = read();
  const auto text = cli::status_text(x, at(60));
  INFO(text);
  CHECK(has(text, ": halted (exit 3), pid 4242@build-1, target main\n"
                  "  started 2023-11-14T22:13:20.000Z, finished "
                  "2023-11-14T22:14:20.000Z\n"
                  "  Reason: invocation budget of 14 spent\n"));
  CHECK(has(text, "cost $0.17 (no cost cap), 12345 tokens\n"
                  "  Spent: invocation budget of 14 spent\n"));
  CHECK(has(text, "Circuits: DEGRADED (1 open, 0 half_open"));
  // The open circuit by the id `circuits reset` takes.
  CHECK(has(text, "\n  stage:A:green open"));
  const auto doc = cli::status_json(x);
  CHECK(doc.at("run").at("status") == "halted");
  CHECK(doc.at("run").at("alive") == false);
  CHECK(doc.at("run").at("exit_code") == 3);
  CHECK(doc.at("run").at("finished_at") == text_at(60));
  CHECK(doc.at("run").at("halt_reason") == "invocation budget of 14 spent");
  CHECK(doc.at("budget").at("max_cost_usd_micros").is_null());
  CHECK(doc.at("budget").at("invocations_remaining") == 0);
  CHECK(doc.at("circuits").at("open") == 1);
  CHECK(doc.at("circuits").at("health") == "DEGRADED");
  CHECK(doc.at("circuits").at("by_level").at("stage").at("open") == 1);
  const auto& unclosed = doc.at("circuits").at("not_closed");
  REQUIRE(unclosed.size() == 1);
  CHECK(unclosed[0].at("id") == "stage:A:green");
  CHECK(unclosed[0].at("state") == "open");
}

TEST_CASE_FIXTURE(status_fixture,
                  "status of an active run whose process died") {
  char host[256] = {};
  REQUIRE(::gethostname(host, sizeof(host) - 1) == 0);
  start_run(99'999'999, host); // above any pid_max: no such process
  const auto x = read();
  CHECK(!x.run_alive);
  const auto text = cli::status_text(x, at(0));
  INFO(text);
  CHECK(has(text, "is gone: the run was interrupted; 'orchestrator run "
                  "--resume' continues it.\n"));
  CHECK(cli::status_json(x).at("run").at("alive") == false);
}

TEST_CASE_FIXTURE(status_fixture, "status shows only the workers of the run") {
  TDD_REQUIRE_OK(db.register_worker({"worker_9", "", 0, "idle", at(0)}));
  busy_run();
  const auto x = read();
  CHECK(x.workers.size() == 2);
  CHECK(!has(cli::status_text(x, at(0)), "worker_9"));
}
