// SPEC.md 8 "Nothing lost": after `kill -9` of the whole process group at
// any moment, `run --resume` completes every task exactly once (one merge
// per task on the target) and the attempts history stays consistent.
//
// The kill points are random: a run is killed once the scripted agent has
// been called N times (N random) plus a random 0..300 ms, so kills land in
// agent calls, verify, WIP commits, the commit stage and the merge queue.
// The seed is printed; TDD_TEST_SEED=<seed> replays the same choices (the
// timing of the run itself still varies).
//
// "Consistent history", what check_history() asserts after the last
// resume, given that a killed attempt cannot record how it ended:
// - no attempt is left open: every attempt of a killed run is closed as
//   `interrupted` when the next run takes over;
// - per (task, stage) the attempt numbers are exactly 1..n: a resumed
//   stage numbers its attempts after the highest recorded one, and an
//   attempt whose row never reached the database leaves no hole;
// - an `interrupted` attempt is followed, in that task's history, by an
//   attempt of the same stage: the resume restarts the stage it died in
//   (from the commit that stage started from, not from the killed
//   attempt's leftovers);
// - each task has exactly one passed `commit` attempt, and it is the
//   task's last attempt: it is recorded only after the merge, and a task
//   found merged on resume is completed without another attempt.
// A stage may still show two passed attempts: the run can die after the
// store recorded a pass and before it recorded the next stage; the stage
// then ran twice, and both rows tell the truth.
//
// Two cases at the end place the kill exactly: in refactor's verify_all
// (its never-judged WIP commit must not land), and after a merge whose
// task was never recorded complete (no second commit attempt).

#include "e2e/crash_support.hpp"
#include "e2e/run_repo.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using tdd::test::lines_of;
using tdd::test::run_repo;
using tdd::test::task_def;

namespace fs = std::filesystem;
using std::chrono::milliseconds;

namespace {

/// A diamond: B and C need A, D needs B and C.
const std::vector<task_def> diamond{{"A", "Task A"},
                                    {"B", "Task B", {"A"}},
                                    {"C", "Task C", {"A"}},
                                    {"D", "Task D", {"B", "C"}}};
const std::vector<std::string> keys{"A", "B", "C", "D"};

/// Agents that take a moment, so that kills find them in flight.
const std::map<std::string, std::string> slow_agent{
  {"E2E_AGENT_DELAY", "0.15"}};

unsigned test_seed() {
  if (const char* text = std::getenv("TDD_TEST_SEED"); text != nullptr) {
    return static_cast<unsigned>(std::stoul(text));
  }
  return std::random_device{}();
}

/// The fields of the '|'-separated rows the sqlite3 shell prints.
std::vector<std::vector<std::string>> rows_of(const std::string& text) {
  std::vector<std::vector<std::string>> out;
  for (const auto& line : lines_of(text)) {
    std::vector<std::string> fields;
    std::istringstream in(line + "|");
    for (std::string f; std::getline(in, f, '|');) {
      fields.push_back(f);
    }
    out.push_back(fields);
  }
  return out;
}

/// Processes other than this one working inside `dir`: what a killed run
/// may leave running there (agents, verify commands).
std::vector<int> processes_in(const fs::path& dir) {
  std::vector<int> out;
  const auto root = fs::canonical(dir).string() + "/";
  std::error_code ec;
  for (fs::directory_iterator it("/proc", ec), end; !ec && it != end;
       it.increment(ec)) {
    const auto name = it->path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    const int pid = std::stoi(name);
    std::error_code gone;
    const auto cwd = fs::read_symlink(it->path() / "cwd", gone).string();
    if (!gone && pid != getpid() && (cwd + "/").rfind(root, 0) == 0
        && tdd::test::process_alive(pid)) {
      out.push_back(pid);
    }
  }
  return out;
}

/// Gives the watchdog (exec/watchdog.hpp) a few seconds to end what the
/// killed run left in the repository, then kills what is still there, so
/// that no stray agent writes into a resumed run's worktree. Returns how
/// many it had to kill.
size_t kill_strays(const fs::path& dir) {
  tdd::test::wait_until([&] { return processes_in(dir).empty(); },
                        std::chrono::seconds{5});
  size_t killed = 0;
  for (int round = 0; round < 20; ++round) {
    const auto left = processes_in(dir);
    if (left.empty()) {
      return killed;
    }
    for (const int pid : left) {
      ::kill(pid, SIGKILL);
    }
    killed += left.size();
    tdd::test::wait_until([&] { return processes_in(dir).empty(); },
                          std::chrono::seconds{1});
  }
  FAIL("processes keep running in " << dir);
  return killed;
}

/// Whether commit `c` is on main.
bool on_main(const run_repo& r, const std::string& c) {
  return r.repo.run({"git", "merge-base", "--is-ancestor", c, "main"}).code
         == 0;
}

/// Right after a kill: each recorded stage has the commit it starts from,
/// and that commit is where the stage before it ended (its WIP commit),
/// or for red a commit of the target.
void check_stage_commits(const run_repo& r) {
  // The stages whose WIP commit the recorded stage starts from.
  const std::map<std::string, std::set<std::string>> before{
    {"green", {"red"}},
    {"verify", {"green"}},
    {"fix", {"green", "fix"}},
    {"refactor", {"green", "fix"}},
    {"commit", {"refactor", "green", "fix"}}};
  for (const auto& row :
       rows_of(r.sql("SELECT key, current_stage, stage_commit FROM tasks"))) {
    const auto& key = row.at(0);
    const auto& stage = row.at(1);
    CAPTURE(key);
    CAPTURE(stage);
    if (stage.empty()) {
      continue;
    }
    const auto& commit = row.at(2);
    REQUIRE_FALSE(commit.empty());
    if (stage == "red") {
      CHECK(on_main(r, commit));
      continue;
    }
    const auto subject = r.git({"log", "-1", "--format=%s", commit});
    CAPTURE(subject);
    if (stage == "commit"
        && r.git({"log", "-1", "--format=%(trailers:key=TDD-Task,valueonly)",
                  commit})
             == key + "\n\n") {
      continue; // a resumed commit stage found the task commit at the tip
    }
    const auto prefix = "tdd-orchestrator: " + key + " ";
    REQUIRE(subject.rfind(prefix, 0) == 0);
    const auto ended = subject.substr(
      prefix.size(), subject.find(' ', prefix.size()) - prefix.size());
    CHECK(before.at(stage).count(ended) == 1);
  }
}

/// After the last resume: see the file comment.
void check_history(const run_repo& r) {
  CHECK(r.sql("SELECT count(*) FROM attempts WHERE outcome = ''") == "0\n");
  for (const auto& row : rows_of(
         r.sql("SELECT task_key, stage, count(*), count(DISTINCT attempt), "
               "min(attempt), max(attempt) FROM attempts GROUP BY 1, 2"))) {
    CAPTURE(row.at(0));
    CAPTURE(row.at(1));
    CHECK(row.at(2) == row.at(3)); // no duplicates
    CHECK(row.at(4) == "1");
    CHECK(row.at(5) == row.at(2)); // no holes
  }
  for (const auto& key : keys) {
    CAPTURE(key);
    const auto history
      = rows_of(r.sql("SELECT stage, outcome FROM attempts WHERE task_key = '"
                      + key + "' ORDER BY id"));
    REQUIRE_FALSE(history.empty());
    CHECK(history.back() == std::vector<std::string>{"commit", "passed"});
    int passed_commits = 0;
    for (size_t i = 0; i < history.size(); ++i) {
      const auto& stage = history[i].at(0);
      const auto& outcome = history[i].at(1);
      passed_commits += stage == "commit" && outcome == "passed" ? 1 : 0;
      if (outcome == "interrupted") {
        CAPTURE(i);
        REQUIRE(i + 1 < history.size());
        CHECK(history[i + 1].at(0) == stage);
      }
    }
    CHECK(passed_commits == 1);
  }
}

/// After the last resume: every task complete and merged exactly once,
/// main passes its whole suite, no lease and no stale worktree left.
void check_outcome(const run_repo& r) {
  INFO(
    "main:\n"
    << r.git(
         {"log", "main", "--graph",
          "--format=%h %s %(trailers:key=TDD-Task,valueonly,separator=%x2C)"}));
  INFO("attempts:\n"
       << r.sql("SELECT task_key, stage, attempt, outcome, reason, run_id FROM "
                "attempts ORDER BY id"));
  INFO("branches:\n" << r.git({"branch", "-v", "--no-abbrev"}));
  const auto statuses = r.statuses();
  for (const auto& key : keys) {
    CAPTURE(key);
    CHECK(statuses.at(key) == "complete");
    CHECK(tdd::test::task_commits(r, key) == 1);
  }
  // main is checked out in the repository and moved with each merge.
  CHECK(r.git({"rev-parse", "HEAD"}) == r.git({"rev-parse", "main"}));
  CHECK(r.git({"status", "--porcelain", "--untracked-files=no"}).empty());
  const auto suite = r.repo.run({"sh", "check.sh", "--all"});
  CHECK_MESSAGE(suite.code == 0, suite.out);
  CHECK(r.sql("SELECT count(*) FROM tasks WHERE claimed_by IS NOT NULL")
        == "0\n");
  CHECK(r.git({"worktree", "list", "--porcelain"}).find("prunable")
        == std::string::npos);
}

/// What one round did, for the messages.
struct round_stats {
  int kills = 0;
  int leases_left = 0; ///< kills that left a task leased (running)
  size_t strays = 0;   ///< processes the watchdog left behind
};

/// Starts a run (resuming after the first), kills its process group at a
/// random point; false when the run finished before that point.
bool kill_at_random_point(run_repo& r, std::mt19937& rng, bool resume,
                          round_stats& stats) {
  std::vector<std::string> args{"--workers", "2"};
  if (resume) {
    args.emplace_back("--resume");
  }
  // 12 agent calls make a full run: a first kill by call 6 leaves room
  // for a second one.
  const size_t at
    = r.calls().size()
      + std::uniform_int_distribution<size_t>{1, resume ? 4U : 6U}(rng);
  const milliseconds extra{std::uniform_int_distribution<int>{0, 300}(rng)};
  INFO("kill after call " << at << " + " << extra.count() << " ms");
  auto bg = r.start(args, slow_agent);
  std::optional<tdd::test::run_result> done;
  tdd::test::wait_until(
    [&] {
      done = bg.wait(milliseconds{0});
      return done || r.calls().size() >= at;
    },
    std::chrono::seconds{60});
  if (!done) {
    done = bg.wait(extra); // the random delay, unless the run ends first
  }
  if (done) {
    REQUIRE_MESSAGE(done->code == 0, run_repo::dump(*done));
    return false;
  }
  bg.signal(SIGKILL, true);
  const auto killed = bg.wait(std::chrono::seconds{10});
  REQUIRE(killed);
  if (killed->code != 128 + SIGKILL) { // it ended just before the signal
    REQUIRE_MESSAGE(killed->code == 0, run_repo::dump(*killed));
    return false;
  }
  ++stats.kills;
  stats.strays += kill_strays(r.repo.dir());
  stats.leases_left
    += r.sql("SELECT count(*) FROM tasks WHERE claimed_by IS NOT NULL")
       != "0\n";
  return true;
}

/// After a kill: a plain run refuses and says to resume, changing nothing;
/// unless the kill came after the run recorded its end (then there is
/// nothing to resume).
void check_plain_run_refused(const run_repo& r) {
  const auto calls = r.calls().size();
  const bool ended
    = r.sql("SELECT count(*) FROM runs WHERE status = 'active'") == "0\n";
  const auto plain = r.run({"--workers", "2"});
  if (ended) {
    CHECK_MESSAGE(plain.code == 0, run_repo::dump(plain));
    return;
  }
  CHECK_MESSAGE(plain.code == 2, run_repo::dump(plain));
  CHECK(plain.err.find("orchestrator run --resume") != std::string::npos);
  CHECK(r.calls().size() == calls);
}

} // namespace

TEST_CASE("crash: kill -9 of the process group at random moments, then "
          "--resume completes every task exactly once") {
  const auto seed = test_seed();
  MESSAGE("seed " << seed << " (replay with TDD_TEST_SEED=" << seed << ")");
  INFO("seed " << seed);
  std::mt19937 rng{seed};
  constexpr int rounds = 3;
  constexpr int kills_per_round = 2;
  round_stats total;
  for (int round = 0; round < rounds; ++round) {
    CAPTURE(round);
    run_repo r(diamond);
    round_stats stats;
    for (int k = 0; k < kills_per_round; ++k) {
      if (!kill_at_random_point(r, rng, k > 0, stats)) {
        break;
      }
      check_plain_run_refused(r);
      check_stage_commits(r);
      if (round == 1 && k == 0) {
        // A worktree deleted by hand (or lost with a disk) while its task
        // was in flight: pruned at the next start, its branch taken over.
        fs::remove_all(r.repo.dir() / ".orchestrator/worktrees/worker_1");
      }
    }
    // For a failure: what a git killed mid-way may have left in the
    // user's repository (the target's work tree, index and refs).
    INFO("main's work tree: " << r.git({"status", "--porcelain"}));
    INFO(
      "locks: "
      << r.repo.run({"find", ".git", "-maxdepth", "4", "-name", "*.lock"}).out);
    const auto last = r.run({"--workers", "2", "--resume"});
    REQUIRE_MESSAGE(last.code == 0, run_repo::dump(last));
    check_outcome(r);
    check_history(r);
    total.kills += stats.kills;
    total.leases_left += stats.leases_left;
    total.strays += stats.strays;
  }
  MESSAGE(total.kills << " kills, " << total.leases_left
                      << " left leased tasks to reclaim");
  CHECK(total.kills >= 5);
  WARN_MESSAGE(total.strays == 0,
               total.strays << " processes outlived a kill -9 of the run "
                               "(the watchdog's job); the test killed them");
}

TEST_CASE("crash: a refactor killed while verify_all runs restarts from the "
          "end of verify, its broken work dropped") {
  run_repo r({task_def{"A", "Task A"}});
  // verify_all hangs the first time it meets a broken implementation, so
  // the kill lands while refactor's WIP commit is there and its verdict is
  // not; later it just fails on it.
  const auto marker = (r.state.path() / "verify_hangs").string();
  r.repo.write("check.sh", "if [ \"$1\" = --all ] && [ ! -e '" + marker
                             + "' ] && grep -qs BROKEN_BY_REFACTOR lib/*.sh; "
                               "then\n  : > '"
                             + marker + "'\n  exec sleep 300\nfi\n"
                             + tdd::test::check_sh);
  r.git({"commit", "-q", "-am", "check.sh that hangs on broken work"});
  r.scenario({"A:refactor:1=break"});
  auto bg = r.start({"--workers", "1"});
  REQUIRE_MESSAGE(tdd::test::wait_until([&] { return fs::exists(marker); },
                                        std::chrono::seconds{30}),
                  bg.output());
  bg.signal(SIGKILL, true);
  REQUIRE(bg.wait(std::chrono::seconds{10}));
  kill_strays(r.repo.dir());
  // Recorded: refactor, from where verify ended (green's WIP commit); the
  // branch holds refactor's never-judged WIP commit on top of it.
  const auto row = rows_of(
    r.sql("SELECT current_stage, stage_commit FROM tasks WHERE key = 'A'"));
  REQUIRE(row.size() == 1);
  CHECK(row[0].at(0) == "refactor");
  CHECK(r.git({"log", "-1", "--format=%s", row[0].at(1)})
        == "tdd-orchestrator: A green attempt 1 (work in progress)\n");
  CHECK(r.git({"log", "-1", "--format=%s", "tdd/A"})
        == "tdd-orchestrator: A refactor attempt 1 (work in progress)\n");

  const auto resumed = r.run({"--workers", "1", "--resume"});
  REQUIRE_MESSAGE(resumed.code == 0, run_repo::dump(resumed));
  // Attempt 2 started from the end of verify: nothing to revert, and the
  // broken implementation never reached main.
  CHECK(r.sql("SELECT stage || ' ' || outcome FROM attempts ORDER BY id")
        == "red passed\ngreen passed\nverify passed\n"
           "refactor interrupted\nrefactor passed\ncommit passed\n");
  CHECK(r.repo.read("lib/A.sh") == "echo 'A ok'\n");
  CHECK(tdd::test::task_commits(r, "A") == 1);
}

TEST_CASE("crash: a task the dead run merged but never recorded complete is "
          "completed without another attempt") {
  run_repo r({task_def{"A", "Task A"}});
  const auto first = r.run({"--workers", "1"});
  REQUIRE_MESSAGE(first.code == 0, run_repo::dump(first));
  const auto history = r.attempts("A");
  // As a run that died between recording the passed commit attempt (the
  // merge was done) and the task's completion leaves it.
  r.sql("UPDATE tasks SET status = 'running', claimed_by = 'worker_1', "
        "claim_expires_at = '2999-01-01T00:00:00.000Z' WHERE key = 'A'");
  const auto calls = r.calls().size();

  const auto resumed = r.run({"--workers", "1", "--resume"});
  REQUIRE_MESSAGE(resumed.code == 0, run_repo::dump(resumed));
  CHECK(r.statuses().at("A") == "complete");
  CHECK(r.attempts("A") == history); // exactly one passed commit attempt
  CHECK(r.calls().size() == calls);
  CHECK(tdd::test::task_commits(r, "A") == 1);
}
