// One run per database, decided by the run lock (`<db>.lock`, see
// cli/run_lock.hpp), never by the recorded pid alone: a second run is
// refused while one lives, a run killed by kill -9 is found dead and taken
// over by `run --resume`, even when its pid now belongs to a live process.

#include "e2e/crash_support.hpp"
#include "e2e/run_lock_holder.hpp"
#include "e2e/run_repo.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <csignal>
#include <string>
#include <vector>

using tdd::test::recorded_pids;
using tdd::test::run_repo;
using tdd::test::survivors;
using tdd::test::task_def;
using tdd::test::wait_for_hang;

namespace {

std::string this_host() {
  char host[256] = {};
  REQUIRE(gethostname(host, sizeof(host) - 1) == 0);
  return host;
}

/// Whether `status --json` reports the active run as alive.
bool status_says_alive(const run_repo& r) {
  const auto st = r.repo.orchestrator({"status", "--json"});
  REQUIRE_MESSAGE(st.code == 0, st.err);
  const auto doc = st.json();
  return doc["run"].is_object() && doc["run"].value("alive", false);
}

/// Starts a run whose agents hang in red for `keys`, then kills its whole
/// process group with SIGKILL; returns once everything it started is gone.
void start_and_kill(run_repo& r, const std::vector<std::string>& keys) {
  r.scenario({"*:red:*=hang"});
  auto bg = r.start({"--workers", std::to_string(keys.size())});
  REQUIRE_MESSAGE(wait_for_hang(r, keys), bg.output());
  CHECK(status_says_alive(r));
  bg.signal(SIGKILL, true);
  const auto res = bg.wait(std::chrono::seconds{10});
  const auto pids = recorded_pids(r); // the fixture kills survivors
  REQUIRE(res);
  CHECK(res->code == 128 + SIGKILL);
  CHECK(survivors(pids).empty());
  r.scenario({});
}

} // namespace

TEST_CASE("run: a second run while one is alive is exit 2 naming pid, host "
          "and start") {
  run_repo r({task_def{"A", "Task A"}});
  r.scenario({"A:red:*=hang"});
  auto first = r.start({"--workers", "1"});
  REQUIRE_MESSAGE(wait_for_hang(r, {"A"}), first.output());
  const auto started
    = r.sql("SELECT started_at FROM runs WHERE status = 'active'");
  REQUIRE_FALSE(started.empty());
  const auto second = r.run({"--workers", "1"});
  CHECK_MESSAGE(second.code == 2, run_repo::dump(second));
  CHECK(second.err.find("(pid " + std::to_string(first.pid()) + " on "
                        + this_host() + ", started "
                        + started.substr(0, started.size() - 1) + ")")
        != std::string::npos);
  CHECK(second.err.find("is active on this database") != std::string::npos);
  // --resume does not take over a live run either.
  CHECK(r.run({"--workers", "1", "--resume"}).code == 2);
  CHECK(status_says_alive(r));

  first.signal(SIGINT);
  const auto res = first.wait(std::chrono::seconds{60});
  const auto pids = recorded_pids(r);
  REQUIRE_MESSAGE(res, first.output());
  CHECK_MESSAGE(res->code == 130, run_repo::dump(*res));
  CHECK(survivors(pids).empty());
}

TEST_CASE("run after a kill -9 needs --resume, which completes every task") {
  run_repo r({{"A", "Task A"}, {"B", "Task B"}});
  start_and_kill(r, {"A", "B"});
  CHECK_FALSE(status_says_alive(r));

  const auto plain = r.run({"--workers", "2"});
  CHECK_MESSAGE(plain.code == 2, run_repo::dump(plain));
  CHECK(plain.err.find("stopped without finishing; continue it with: "
                       "orchestrator run --resume")
        != std::string::npos);

  const auto resumed = r.run({"--workers", "2", "--resume"});
  REQUIRE_MESSAGE(resumed.code == 0, run_repo::dump(resumed));
  const auto statuses = r.statuses();
  for (const std::string key : {"A", "B"}) {
    CAPTURE(key);
    CHECK(statuses.at(key) == "complete");
    CHECK(tdd::test::task_commits(r, key) == 1);
  }
  CHECK(r.sql("SELECT count(*) FROM attempts WHERE outcome = ''") == "0\n");
  CHECK(r.sql("SELECT count(*) FROM runs WHERE status = 'active'") == "0\n");
}

TEST_CASE("run: a dead run whose recorded pid is a live process is dead") {
  run_repo r({task_def{"A", "Task A"}});
  start_and_kill(r, {"A"});
  // The pid was reused: by this very test process, alive on this host.
  r.sql("UPDATE runs SET pid = " + std::to_string(getpid())
        + " WHERE status = 'active'");
  CHECK_FALSE(status_says_alive(r));
  const auto plain = r.run({"--workers", "1"});
  CHECK_MESSAGE(plain.code == 2, run_repo::dump(plain));
  CHECK(plain.err.find("stopped without finishing") != std::string::npos);
  const auto resumed = r.run({"--workers", "1", "--resume"});
  REQUIRE_MESSAGE(resumed.code == 0, run_repo::dump(resumed));
  CHECK(r.statuses().at("A") == "complete");
}

TEST_CASE("run: a lock held before any run is recorded means one is "
          "starting") {
  run_repo r({task_def{"A", "Task A"}});
  const tdd::test::run_lock_holder lock{r.db};
  const auto res = r.run({"--workers", "1"});
  CHECK_MESSAGE(res.code == 2, run_repo::dump(res));
  CHECK(res.err.find("another run is starting on this database")
        != std::string::npos);
  CHECK(res.err.find("orchestrator.db.lock") != std::string::npos);
  CHECK(r.calls().empty());
  CHECK(r.sql("SELECT count(*) FROM runs") == "0\n");
}

TEST_CASE("tasks retry reaches a recorded run only while it holds the lock") {
  run_repo r({task_def{"A", "Task A"}});
  const auto block = [&r] {
    r.sql("UPDATE tasks SET status = 'blocked', blocked_reason = "
          "'stage_circuit_open:green' WHERE key = 'A'");
  };
  block();
  // An active run whose recorded pid is alive (ours), on this host.
  r.sql("INSERT INTO runs (status, pid, host) VALUES ('active', "
        + std::to_string(getpid()) + ", '" + this_host() + "')");
  auto res = r.repo.orchestrator({"tasks", "retry", "A", "--json"});
  REQUIRE_MESSAGE(res.code == 0, res.err);
  CHECK(res.json()["via"] == "database"); // dead: applied right here
  CHECK(r.statuses().at("A") == "pending");

  block();
  const tdd::test::run_lock_holder lock{r.db};
  res = r.repo.orchestrator({"tasks", "retry", "A", "--json"});
  REQUIRE_MESSAGE(res.code == 0, res.err);
  CHECK(res.json()["via"] == "live_run");
  CHECK(r.statuses().at("A") == "blocked");
  CHECK(r.sql("SELECT command, argument FROM control") == "task_retry|A\n");
}
