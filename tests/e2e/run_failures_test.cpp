// `orchestrator run` end to end when stages fail: the stage rules of SPEC.md
// 4 and the reasons recorded, circuits, merge conflicts, the budget, usage
// limits and timeouts. The scripted agent is tests/e2e/scripts/agent.sh.

#include "e2e/run_repo.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <string>
#include <vector>

using tdd::test::lines_of;
using tdd::test::process_alive;
using tdd::test::run_repo;
using tdd::test::task_def;

namespace {

/// Whether `lines` holds each of `wanted`, in that order.
bool in_order(const std::vector<std::string>& lines,
              const std::vector<std::string>& wanted) {
  size_t i = 0;
  for (const auto& line : lines) {
    if (i < wanted.size() && line == wanted[i]) {
      ++i;
    }
  }
  return i == wanted.size();
}

} // namespace

TEST_CASE("run: a red test that passes opens the red circuit and blocks") {
  run_repo r({{"A", "Task A"}, {"B", "Task B", {"A"}}});
  r.scenario({"A:red:*=red_passes"});
  const auto res
    = r.run({"--workers", "2"}, {{"TDD_CIRCUIT_STAGE_MAX_FAILURES", "3"}});
  CHECK_MESSAGE(res.code == 1, run_repo::dump(res));
  CHECK(r.statuses().at("A") == "blocked");
  CHECK(r.statuses().at("B") == "blocked");
  CHECK(r.blocked_reasons().at("A") == "stage_circuit_open:red");
  CHECK(r.blocked_reasons().at("B") == "dependency_blocked:A");
  CHECK(r.attempts("A")
        == "red|failed|red_test_passes\nred|failed|red_test_passes\n"
           "red|failed|red_test_passes\n");
  CHECK(r.attempts("B").empty());
  CHECK(r.calls().size() == 3);
  const auto circuits = r.repo.orchestrator({"circuits", "status", "--json"});
  REQUIRE_MESSAGE(circuits.code == 0, circuits.err);
  bool open = false;
  const auto circuits_doc = circuits.json();
  for (const auto& c : circuits_doc["circuits"]) {
    if (c["id"] == "stage:A:red") {
      open = c["state"] == "open";
    }
  }
  CHECK(open);
  CHECK(r.git({"log", "main", "--format=%s"}) == "initial\n");
}

TEST_CASE("run: green that edits the test fails with green_modified_test") {
  run_repo r({task_def{"A", "Task A"}});
  r.scenario({"A:green:1=edit_test"});
  const auto res = r.run({"--workers", "1"});
  REQUIRE_MESSAGE(res.code == 0, run_repo::dump(res));
  CHECK(r.statuses().at("A") == "complete");
  CHECK(r.attempts("A")
        == "red|passed|\ngreen|failed|green_modified_test\ngreen|passed|\n"
           "verify|passed|\nrefactor|passed|\ncommit|passed|\n");
  const auto attempts = r.show("A")["attempts"];
  REQUIRE(attempts.size() == 6);
  CHECK(attempts[1]["attempt"] == 1);
  CHECK(attempts[2]["attempt"] == 2);
  CHECK(r.git({"show", "main:tests/A.sh"}).find("tweaked")
        == std::string::npos);
}

TEST_CASE("run: a green whose verify fails is green_verify_failed") {
  run_repo r({task_def{"A", "Task A"}});
  r.scenario({"A:green:1=bad_impl"});
  const auto res = r.run({"--workers", "1"});
  REQUIRE_MESSAGE(res.code == 0, run_repo::dump(res));
  CHECK(r.statuses().at("A") == "complete");
  CHECK(in_order(lines_of(r.attempts("A")),
                 {"red|passed|", "green|failed|green_verify_failed",
                  "green|passed|", "commit|passed|"}));
  CHECK(r.git({"show", "main:lib/A.sh"}) == "echo 'A ok'\n");
}

TEST_CASE("run: a failing verify_all gets a fix attempt and completes") {
  run_repo r({task_def{"A", "Task A"}});
  r.scenario({"A:green:*=regress"});
  const auto res = r.run({"--workers", "1"});
  REQUIRE_MESSAGE(res.code == 0, run_repo::dump(res));
  CHECK(r.statuses().at("A") == "complete");
  const auto rows = lines_of(r.attempts("A"));
  CHECK(in_order(rows,
                 {"red|passed|", "green|passed|", "verify|failed|verify_failed",
                  "fix|passed|", "refactor|passed|", "commit|passed|"}));
  CHECK(rows.back() == "commit|passed|");
  // The fix agent saw the failing output in $TDD_FAILURE_FILE.
  std::ifstream failure(r.state.path() / "failure.A.1");
  std::string text((std::istreambuf_iterator<char>(failure)),
                   std::istreambuf_iterator<char>());
  CHECK(text.find("REGRESSION marker present") != std::string::npos);
  CHECK(r.repo.run({"git", "cat-file", "-e", "main:REGRESSION"}).code != 0);
  CHECK(r.git({"show", "main:lib/A.sh"}) == "echo 'A ok'\n");
}

TEST_CASE("run: a refactor that breaks verify_all is reverted") {
  run_repo r({task_def{"A", "Task A"}});
  r.scenario({"A:refactor:*=break"});
  const auto res = r.run({"--workers", "1"});
  REQUIRE_MESSAGE(res.code == 0, run_repo::dump(res));
  CHECK(r.statuses().at("A") == "complete");
  CHECK(r.attempts("A")
        == "red|passed|\ngreen|passed|\nverify|passed|\n"
           "refactor|reverted|refactor_reverted\ncommit|passed|\n");
  CHECK(r.git({"show", "main:lib/A.sh"}) == "echo 'A ok'\n");
  CHECK(r.git({"log", "-p", "main"}).find("BROKEN_BY_REFACTOR")
        == std::string::npos);
  CHECK(r.repo.read("lib/A.sh") == "echo 'A ok'\n");
}

TEST_CASE("run: a merge conflict blocks one task and keeps its branch") {
  run_repo r({{"X", "Task X"}, {"Y", "Task Y"}});
  // Both are in green at once, so both branch from the same main.
  r.scenario({"*:green:*=sync conflict"});
  const auto res = r.run({"--workers", "2"});
  CHECK_MESSAGE(res.code == 1, run_repo::dump(res));
  CHECK_FALSE(r.state_file("sync_timeout.X.green"));
  CHECK_FALSE(r.state_file("sync_timeout.Y.green"));
  const auto status = r.statuses();
  const std::string done = status.at("X") == "complete" ? "X" : "Y";
  const std::string blocked = done == "X" ? "Y" : "X";
  CHECK(status.at(done) == "complete");
  CHECK(status.at(blocked) == "blocked");
  CHECK(r.blocked_reasons().at(blocked) == "merge_conflict");
  CHECK(r.attempts(blocked).find("|failed|merge_conflict")
        != std::string::npos);
  CHECK(
    r.repo
      .run({"git", "rev-parse", "--verify", "-q", "refs/heads/tdd/" + blocked})
      .code
    == 0);
  CHECK(r.git({"show", "main:conflict.txt"}) == "owner=" + done + "\n");
  CHECK(r.git({"log", "main", "--merges", "--format=%s"})
        == "Merge tdd/" + done + ": Task " + done + "\n");
}

TEST_CASE("run: the invocation budget halts the run with exit 3") {
  run_repo r({{"A", "Task A"}, {"B", "Task B"}, {"C", "Task C"}});
  const auto res = r.run({"--workers", "3", "--max-invocations", "3"});
  CHECK_MESSAGE(res.code == 3, run_repo::dump(res));
  const auto calls = r.calls();
  CHECK(calls.size() <= 3);
  CHECK_FALSE(calls.empty());
  CHECK(r.sql("SELECT count(*) <= 3 FROM attempts WHERE stage IN ('red', "
              "'green', 'fix', 'refactor')")
        == "1\n");
  int pending = 0;
  for (const auto& [key, status] : r.statuses()) {
    CAPTURE(key);
    CHECK(status != "running");
    CHECK(status != "blocked");
    pending += status == "pending" ? 1 : 0;
  }
  CHECK(pending >= 1);
  const auto st = r.repo.orchestrator({"status", "--json"}).json();
  if (st.contains("budget") && st["budget"].is_object()
      && st["budget"].contains("invocations_used")) {
    CHECK(st["budget"]["invocations_used"].get<int>() <= 3);
  }
}

TEST_CASE("run --resume after a budget halt carries on where it stopped") {
  run_repo r({task_def{"A", "Task A"}});
  auto res = r.run({"--workers", "1", "--max-invocations", "1"});
  CHECK_MESSAGE(res.code == 3, run_repo::dump(res));
  CHECK(r.attempts("A") == "red|passed|\n");
  CHECK(r.statuses().at("A") == "pending");

  res = r.run({"--workers", "1", "--resume"});
  REQUIRE_MESSAGE(res.code == 0, run_repo::dump(res));
  CHECK(r.statuses().at("A") == "complete");
  CHECK(r.git({"log", "main", "--merges", "--format=%s"})
        == "Merge tdd/A: Task A\n");
  // The red that passed (and was paid for) is not done again: the task
  // resumes at green, from red's recorded commit.
  CHECK(r.attempts("A")
        == "red|passed|\ngreen|passed|\nverify|passed|\nrefactor|passed|\n"
           "commit|passed|\n");
  std::string calls;
  for (const auto& call : r.calls()) {
    calls += call + "\n";
  }
  CHECK(calls == "A red 1 good\nA green 1 good\nA refactor 1 good\n");
}

TEST_CASE("run: a usage limit is retried and counted by nothing") {
  run_repo r({task_def{"A", "Task A"}});
  r.scenario({"A:green:*=limit"});
  // red + green + refactor: exactly the budget, if the limited call is
  // not counted.
  const auto res = r.run({"--workers", "1", "--max-invocations", "3"},
                         {{"TDD_USAGE_LIMIT_BACKOFF_S", "1"}});
  REQUIRE_MESSAGE(res.code == 0, run_repo::dump(res));
  CHECK(r.statuses().at("A") == "complete");
  int green_calls = 0;
  for (const auto& call : r.calls()) {
    green_calls += call.rfind("A green ", 0) == 0 ? 1 : 0;
  }
  CHECK(green_calls == 2);
  for (const auto& row : lines_of(r.attempts("A"))) {
    CAPTURE(row);
    CHECK((row.find("|passed|") != std::string::npos
           || row == "green|usage_limit|usage_limit"));
  }
  const auto circuits = r.repo.orchestrator({"circuits", "status", "--json"});
  REQUIRE_MESSAGE(circuits.code == 0, circuits.err);
  const auto circuits_doc = circuits.json();
  for (const auto& c : circuits_doc["circuits"]) {
    CAPTURE(c.dump());
    CHECK(c["failure_count"] == 0);
    CHECK(c["state"] == "closed");
  }
}

TEST_CASE("run: an agent timeout kills its whole process group") {
  run_repo r({task_def{"A", "Task A"}});
  r.scenario({"A:red:1=hang"});
  const auto res = r.run({"--workers", "1", "--stage-timeout", "2"});
  int child = 0;
  std::ifstream(r.state.path() / "hang.A.red.pid") >> child;
  r.pids.push_back(child);
  REQUIRE(child > 0);
  CHECK_FALSE(process_alive(child));
  CHECK_MESSAGE(res.code == 0, run_repo::dump(res));
  CHECK(r.statuses().at("A") == "complete");
  const auto rows = lines_of(r.attempts("A"));
  REQUIRE_FALSE(rows.empty());
  CHECK(rows.front() == "red|timeout|agent_timeout");
  CHECK(in_order(
    rows, {"red|timeout|agent_timeout", "red|passed|", "commit|passed|"}));
  const auto ms = r.sql("SELECT duration_ms FROM attempts WHERE task_key = "
                        "'A' ORDER BY id LIMIT 1");
  CHECK(std::stoi(ms) >= 2000);
  CHECK(std::stoi(ms) < 15000);
}
