// Supervision end to end (actors/supervisor.hpp): a worker actor that
// crashes (made to by the test-only TDD_TEST_FAULT, see
// actors/fault_injection.hpp) loses nothing: its attempt is recorded as
// interrupted, its task goes on from the stage it reached, and the worker
// is restarted. The scripted agent is tests/e2e/scripts/agent.sh.

#include "e2e/crash_support.hpp"
#include "e2e/run_repo.hpp"

#include <doctest/doctest.h>

#include <string>

using tdd::test::run_repo;
using tdd::test::task_def;

namespace {

/// How many times `text` holds `what`.
size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos;
       at = text.find(what, at + what.size())) {
    ++n;
  }
  return n;
}

} // namespace

TEST_CASE("run: a worker that crashes during a stage is restarted and the "
          "task completes") {
  run_repo r({{"A", "Task A"}, {"B", "Task B", {"A"}}});
  const auto res = r.run({"--workers", "1"},
                         {{"TDD_TEST_FAULT", "worker_crash:stage_start:1"}});
  REQUIRE_MESSAGE(res.code == 0, run_repo::dump(res));
  CHECK(r.statuses().at("A") == "complete");
  CHECK(r.statuses().at("B") == "complete");
  // The crashed attempt is on record, then red runs again.
  const auto attempts = r.attempts("A");
  CHECK(attempts.rfind("red|interrupted|worker_crashed\nred|passed|\n", 0)
        == 0);
  CHECK(count_of(res.err, "event=worker_crashed") == 1);
  CHECK(count_of(res.err, "event=worker_restarted") == 1);
  CHECK(r.sql("SELECT restarts FROM workers WHERE id = 'worker_1'") == "1\n");
  // The worker circuit counted the crash (a success closed no trial).
  CHECK(r.sql("SELECT count(*) FROM circuit_breaker_events WHERE "
              "circuit_id = (SELECT id FROM circuit_breakers WHERE level = "
              "'worker' AND identifier = 'worker_1') AND details LIKE "
              "'%worker_crashed%'")
        == "1\n");
  CHECK(tdd::test::task_commits(r, "A") == 1);
}

TEST_CASE("run: a worker that crashes before its merge does not merge twice "
          "and keeps the task's work") {
  run_repo r({task_def{"A", "Task A"}});
  const auto res
    = r.run({"--workers", "1"}, {{"TDD_TEST_FAULT", "worker_crash:merge:1"}});
  REQUIRE_MESSAGE(res.code == 0, run_repo::dump(res));
  CHECK(r.statuses().at("A") == "complete");
  // The task resumed at commit: no agent call was repeated.
  CHECK(r.calls().size() == 3); // red, green, refactor
  CHECK(r.attempts("A")
        == "red|passed|\ngreen|passed|\nverify|passed|\nrefactor|passed|\n"
           "commit|interrupted|worker_crashed\ncommit|passed|\n");
  CHECK(tdd::test::task_commits(r, "A") == 1);
}

TEST_CASE("run: a bad TDD_TEST_FAULT is refused before anything starts") {
  run_repo r({task_def{"A", "Task A"}});
  const auto res = r.run({}, {{"TDD_TEST_FAULT", "worker_crash:somewhere"}});
  CHECK(res.code == 2);
  CHECK(res.err.find("TDD_TEST_FAULT") != std::string::npos);
  CHECK(res.err.find("worker_crash:somewhere") != std::string::npos);
  CHECK(r.calls().empty());
  CHECK(r.sql("SELECT count(*) FROM runs") == "0\n");
}

TEST_CASE("run: an exception on a worker's job thread crashes the worker, "
          "not the run") {
  run_repo r({task_def{"A", "Task A"}});
  const auto res = r.run({"--workers", "1"},
                         {{"TDD_TEST_FAULT", "worker_crash:stage_job:1"}});
  REQUIRE_MESSAGE(res.code == 0, run_repo::dump(res));
  CHECK(r.statuses().at("A") == "complete");
  CHECK(
    r.attempts("A").rfind("red|interrupted|worker_crashed\nred|passed|\n", 0)
    == 0);
  CHECK(count_of(res.err, "event=worker_crashed") == 1);
  CHECK(res.err.find("at stage_job") != std::string::npos);
}
