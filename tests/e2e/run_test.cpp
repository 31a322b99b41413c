// `orchestrator run` end to end: tasks that succeed, the merge modes, and
// input `run` must refuse or must not execute. Failures of stages are in
// run_failures_test.cpp.

#include "e2e/run_repo.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

using tdd::test::lines_of;
using tdd::test::run_repo;
using tdd::test::task_def;

namespace fs = std::filesystem;

namespace {

const std::vector<task_def> diamond{
  {"A", "Task A"}, {"B", "Task B"}, {"C", "Task C", {"A", "B"}}};

constexpr const char* all_passed = "red|passed|\ngreen|passed|\n"
                                   "verify|passed|\nrefactor|passed|\n"
                                   "commit|passed|\n";

/// The TDD-Task trailers of the commits on `branch`, sorted.
std::vector<std::string> trailers(const run_repo& r,
                                  const std::string& branch) {
  return lines_of(
    r.git({"log", branch, "--format=%(trailers:key=TDD-Task,valueonly)"}),
    true);
}

/// The commit on `branch` with the trailer `TDD-Task: key`.
std::string task_commit(const run_repo& r, const std::string& branch,
                        const std::string& key) {
  for (const auto& line : lines_of(r.git(
         {"log", branch,
          "--format=%H %(trailers:key=TDD-Task,valueonly,separator=%x2C)"}))) {
    if (line.substr(line.find(' ') + 1) == key) {
      return line.substr(0, line.find(' '));
    }
  }
  FAIL("no commit with TDD-Task: " << key << " on " << branch);
  return {};
}

bool no_worktrees(const run_repo& r) {
  const auto dir = r.repo.dir() / ".orchestrator/worktrees";
  return !fs::exists(dir) || fs::is_empty(dir);
}

} // namespace

TEST_CASE("run: a diamond of tasks runs in parallel and merges each once") {
  run_repo r(diamond);
  // A and B are both in red at once, or the agent notes a sync timeout.
  r.scenario({"A:red:*=sync good", "B:red:*=sync good"});
  const auto res = r.run({"--workers", "3"});
  REQUIRE_MESSAGE(res.code == 0, run_repo::dump(res));

  const auto status = r.statuses();
  CHECK(status.at("A") == "complete");
  CHECK(status.at("B") == "complete");
  CHECK(status.at("C") == "complete");
  CHECK_FALSE(r.state_file("sync_timeout.A.red"));
  CHECK_FALSE(r.state_file("sync_timeout.B.red"));

  // One merge commit per task, each task commit with its trailer.
  CHECK(lines_of(r.git({"log", "main", "--merges", "--format=%s"}), true)
        == std::vector<std::string>{
          "Merge tdd/A: Task A", "Merge tdd/B: Task B", "Merge tdd/C: Task C"});
  CHECK(trailers(r, "main") == std::vector<std::string>{"A", "B", "C"});

  // Every stage passed the first time.
  for (const char* key : {"A", "B", "C"}) {
    CAPTURE(key);
    CHECK(r.attempts(key) == all_passed);
  }

  // C started after A and B were committed, on top of their work.
  const auto c_start
    = r.sql("SELECT min(started_at) FROM attempts WHERE task_key = 'C'");
  const auto ab_commit = r.sql("SELECT max(started_at) FROM attempts WHERE "
                               "task_key IN ('A', 'B') AND stage = 'commit'");
  CHECK(ab_commit < c_start);
  const auto c_commit = task_commit(r, "main", "C");
  for (const char* dep : {"A", "B"}) {
    CAPTURE(dep);
    CHECK(r.repo
            .run({"git", "merge-base", "--is-ancestor",
                  task_commit(r, "main", dep), c_commit})
            .code
          == 0);
  }

  // Agent attempts carry the reported cost, every attempt its log.
  for (const char* key : {"A", "B", "C"}) {
    CAPTURE(key);
    const auto shown = r.show(key);
    for (const auto& a : shown["attempts"]) {
      const auto stage = a["stage"].get<std::string>();
      CAPTURE(stage);
      CHECK(a["worker"].get<std::string>().rfind("worker_", 0) == 0);
      if (stage == "red" || stage == "green" || stage == "refactor") {
        CHECK(a["cost_usd_micros"] == 10000);
        CHECK(a["tokens"] == 100);
      }
      const auto log = a["log"].get<std::string>();
      CHECK(
        fs::exists(log.front() == '/' ? fs::path(log) : r.repo.dir() / log));
    }
  }
  CHECK(r.calls().size() == 9);

  // The user's work tree (main checked out) moved with the merges.
  CHECK(r.repo.read("lib/C.sh") == "echo 'C ok'\n");
  CHECK(r.git({"status", "--porcelain", "--untracked-files=no"}).empty());
  const auto st = r.repo.orchestrator({"status", "--json"}).json();
  CHECK(st["tasks"]["complete"] == 3);
  if (st.contains("run") && st["run"].is_object()
      && st["run"].contains("exit_code")) {
    CHECK(st["run"]["exit_code"] == 0);
  }
}

TEST_CASE("run --single-branch: linear history and no task branches left") {
  run_repo r(diamond);
  const auto res = r.run({"--workers", "3", "--single-branch"});
  REQUIRE_MESSAGE(res.code == 0, run_repo::dump(res));
  for (const auto& [key, status] : r.statuses()) {
    CAPTURE(key);
    CHECK(status == "complete");
  }
  CHECK(r.git({"rev-list", "--merges", "main"}).empty());
  CHECK(r.git({"branch", "--list", "tdd/*"}).empty());
  CHECK(r.git({"rev-list", "--count", "main"}) == "4\n");
  CHECK(trailers(r, "main") == std::vector<std::string>{"A", "B", "C"});
  CHECK(lines_of(r.git({"log", "main", "--format=%s", "-3"}), true)
        == std::vector<std::string>{"Task A", "Task B", "Task C"});
  CHECK(r.repo.read("lib/A.sh") == "echo 'A ok'\n");
  CHECK(r.repo.read("lib/C.sh") == "echo 'C ok'\n");
}

TEST_CASE("run --dry-run prints the plan and changes nothing") {
  run_repo r(diamond);
  const auto head = r.git({"rev-parse", "main"});
  const auto res = r.run({"--dry-run", "--workers", "3"});
  REQUIRE_MESSAGE(res.code == 0, run_repo::dump(res));
  for (const char* key : {"A", "B", "C"}) {
    CAPTURE(key);
    CHECK(res.out.find(key) != std::string::npos);
  }
  for (const auto& [key, status] : r.statuses()) {
    CAPTURE(key);
    CHECK(status == "pending");
  }
  CHECK(r.sql("SELECT count(*) FROM attempts") == "0\n");
  CHECK(r.sql("SELECT count(*) FROM runs WHERE status = 'active'") == "0\n");
  CHECK(r.calls().empty());
  CHECK(no_worktrees(r));
  CHECK(r.git({"branch", "--list", "tdd/*"}).empty());
  CHECK(r.git({"rev-parse", "main"}) == head);
}

TEST_CASE("run --task with an unknown key exits 2 and runs nothing") {
  run_repo r(diamond);
  const auto res = r.run({"--task", "NOPE", "--workers", "1"});
  CHECK_MESSAGE(res.code == 2, run_repo::dump(res));
  CHECK(res.err.find("NOPE") != std::string::npos);
  for (const auto& [key, status] : r.statuses()) {
    CAPTURE(key);
    CHECK(status == "pending");
  }
  CHECK(r.calls().empty());
  CHECK(r.sql("SELECT count(*) FROM attempts") == "0\n");
}

TEST_CASE("run refuses a dirty target and --target runs elsewhere") {
  run_repo r({task_def{"A", "Task A"}});
  const auto head = r.git({"rev-parse", "main"});
  r.repo.write("README", "my uncommitted change\n");
  auto res = r.run({"--workers", "1"});
  CHECK_MESSAGE(res.code == 2, run_repo::dump(res));
  CHECK((res.err.find("--target") != std::string::npos
         || res.err.find("stash") != std::string::npos
         || res.err.find("commit") != std::string::npos));
  CHECK(r.repo.read("README") == "my uncommitted change\n");
  CHECK(r.statuses().at("A") == "pending");
  CHECK(r.calls().empty());
  CHECK(r.sql("SELECT count(*) FROM attempts") == "0\n");
  CHECK(r.sql("SELECT count(*) FROM runs WHERE status = 'active'") == "0\n");
  CHECK(r.git({"rev-parse", "main"}) == head);

  // The way out it suggests: another target branch.
  r.git({"branch", "integration"});
  res = r.run({"--workers", "1", "--target", "integration"});
  REQUIRE_MESSAGE(res.code == 0, run_repo::dump(res));
  CHECK(r.statuses().at("A") == "complete");
  CHECK(r.repo.read("README") == "my uncommitted change\n");
  CHECK(r.git({"rev-parse", "main"}) == head);
  CHECK(trailers(r, "integration") == std::vector<std::string>{"A"});
  CHECK(r.git({"show", "integration:lib/A.sh"}) == "echo 'A ok'\n");
}

TEST_CASE("run never executes task text") {
  const std::string title
    = "Quote \" and ' with $(touch pwned) and `touch pwned`\nsecond line";
  task_def t{"INJ", title};
  t.goal = "$(touch pwned)\n`touch pwned`\n\"double\" 'single' \\ end";
  t.acceptance = {"$(touch pwned) works", "`touch pwned`",
                  "it's \"fine\"\nreally; touch pwned"};
  run_repo r({t});
  const auto res = r.run({"--workers", "1"});
  REQUIRE_MESSAGE(res.code == 0, run_repo::dump(res));
  CHECK(r.statuses().at("INJ") == "complete");
  CHECK(r.show("INJ")["title"] == title);

  for (const auto& root : {r.repo.dir(), r.state.path()}) {
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      CHECK_MESSAGE(e.path().filename().string().find("pwned")
                      == std::string::npos,
                    e.path());
    }
  }
  // Titles reach git literally (a line break becomes a space).
  const auto subjects = r.git({"log", "main", "--format=%s"});
  CHECK(subjects.find("Merge tdd/INJ: Quote \" and ' with $(touch pwned) and "
                      "`touch pwned`")
        != std::string::npos);
  CHECK(subjects.find("\nQuote \" and ' with $(touch pwned)")
        != std::string::npos);
  CHECK(trailers(r, "main") == std::vector<std::string>{"INJ"});
}

TEST_CASE("run --sequential with the agent from TDD_AGENT uses one worker") {
  run_repo r(diamond);
  const auto res
    = r.repo.orchestrator({"run", "--sequential"}, {{"TDD_AGENT", r.agent()}});
  REQUIRE_MESSAGE(res.code == 0, run_repo::dump(res));
  for (const auto& [key, status] : r.statuses()) {
    CAPTURE(key);
    CHECK(status == "complete");
  }
  CHECK(r.sql("SELECT DISTINCT worker_id FROM attempts") == "worker_1\n");
  CHECK(r.calls().size() == 9);
}
