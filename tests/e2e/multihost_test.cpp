// Multi-host (SPEC.md 7) end to end: a coordinator (`run --listen`) and
// node processes (`worker --connect`) on loopback, sharing work through a
// bare repository as the git remote.

#include "e2e/harness.hpp"
#include "e2e/run_repo.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

namespace tdd::test {

namespace {

using namespace std::chrono_literals;

const std::vector<task_def> six_tasks{
  {"M1", "one"},          {"M2", "two"},  {"M3", "three", {"M1"}},
  {"M4", "four", {"M2"}}, {"M5", "five"}, {"M6", "six", {"M3", "M4"}},
};

/// A run_repo whose `origin` is a bare repository, and a coordinator
/// listening on a free loopback port.
struct cluster {
  run_repo r;
  temp_dir shared; ///< remote.git, the nodes' work directories
  std::string remote;

  explicit cluster(const std::vector<task_def>& tasks)
      : r(tasks), remote((shared.path() / "remote.git").string()) {
    REQUIRE(r.repo.run({"git", "init", "-q", "--bare", remote}).code == 0);
    r.git({"remote", "add", "origin", remote});
  }

  /// `run --workers 0 --listen 127.0.0.1:0 args...`, and the port it
  /// printed once it listens.
  std::pair<background_run, std::string>
  start_coordinator(const std::vector<std::string>& args = {},
                    const std::map<std::string, std::string>& env = {}) {
    std::vector<std::string> argv{"--workers", "0", "--listen", "127.0.0.1:0"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto proc = r.start(argv, env);
    std::string port;
    const std::regex listening{"accepting nodes on 127\\.0\\.0\\.1:([0-9]+)"};
    const bool up = wait_until(
      [&] {
        std::smatch m;
        const auto out = proc.output();
        if (std::regex_search(out, m, listening)) {
          port = m[1];
          return true;
        }
        return false;
      },
      30s);
    REQUIRE_MESSAGE(up, proc.output());
    return {std::move(proc), port};
  }

  /// `worker --connect 127.0.0.1:PORT ...` with the scripted agent of
  /// `state` (default: the run_repo's).
  background_run
  start_node(const std::string& port, const std::string& name, int workers,
             const std::vector<std::string>& extra = {},
             const std::string& agent = {},
             const std::map<std::string, std::string>& env = {}) const {
    std::vector<std::string> argv{orchestrator_binary(),
                                  "worker",
                                  "--connect",
                                  "127.0.0.1:" + port,
                                  "--repo",
                                  remote,
                                  "--workers",
                                  std::to_string(workers),
                                  "--name",
                                  name,
                                  "--workdir",
                                  (shared.path() / name).string(),
                                  "--agent",
                                  agent.empty() ? r.agent() : agent};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return background_run{argv, env, shared.path()};
  }

  std::string write_secret(const std::string& name,
                           const std::string& text) const {
    const auto path = shared.path() / name;
    std::ofstream out(path);
    out << text << "\n";
    out.close();
    std::filesystem::permissions(path, std::filesystem::perms::owner_read
                                         | std::filesystem::perms::owner_write);
    return path.string();
  }

  /// How many commits on main merge tdd/KEY.
  int merges_of(const std::string& key) const {
    const auto out = r.git(
      {"log", "--oneline", "main", "--grep", "^Merge tdd/" + key + ":"});
    return static_cast<int>(lines_of(out).size());
  }
};

std::string agent_with_state(const std::filesystem::path& state) {
  return "cmd:/bin/sh '" + std::string(TDD_SOURCE_DIR)
         + "/tests/e2e/scripts/agent.sh' '" + state.string() + "'";
}

} // namespace

TEST_CASE("two nodes on loopback complete every task and merge each once") {
  cluster c{six_tasks};
  auto [coordinator, port] = c.start_coordinator();
  const std::map<std::string, std::string> slow{{"E2E_AGENT_DELAY", "0.05"}};
  auto n1 = c.start_node(port, "alpha", 2, {}, {}, slow);
  auto n2 = c.start_node(port, "beta", 2, {}, {}, slow);

  const auto done = coordinator.wait(120s);
  REQUIRE_MESSAGE(done, coordinator.output());
  CHECK_MESSAGE(done->code == 0, run_repo::dump(*done));
  for (auto* node : {&n1, &n2}) {
    const auto end = node->wait(30s);
    REQUIRE_MESSAGE(end, node->output());
    CHECK_MESSAGE(end->code == 0, run_repo::dump(*end));
  }
  for (const auto& [key, status] : c.r.statuses()) {
    CHECK_MESSAGE(status == "complete", key);
    CHECK_MESSAGE(c.merges_of(key) == 1, key);
  }
  // The coordinator pushed the target after the merges.
  CHECK(
    c.r.git({"rev-parse", "main"})
    == c.r.repo.run({"git", "--git-dir", c.remote, "rev-parse", "main"}).out);
  // Every attempt ran on a node's worker; each node registered two.
  CHECK(c.r.sql("SELECT COUNT(*) FROM attempts WHERE worker_id NOT LIKE "
                "'alpha.worker_%' AND worker_id NOT LIKE 'beta.worker_%'")
        == "0\n");
  CHECK(c.r.sql("SELECT node_id || ' ' || COUNT(*) FROM workers GROUP BY "
                "node_id ORDER BY node_id")
        == "alpha 2\nbeta 2\n");
  const auto status = c.r.repo.orchestrator({"status", "--json"});
  REQUIRE(status.code == 0);
  const auto nodes = status.json()["nodes"];
  REQUIRE(nodes.size() == 2);
  for (const auto& n : nodes) {
    CHECK(n["state"] == "left");
    CHECK(n["workers"] == 2);
  }
  CHECK(done->out.find("node joined") != std::string::npos);
}

TEST_CASE("a node with a wrong secret gets no task and exits 2") {
  cluster c{{{"S1", "one"}}};
  const auto secret = c.write_secret("secret", "correct horse battery");
  const auto wrong = c.write_secret("wrong", "incorrect mule");
  auto [coordinator, port] = c.start_coordinator({"--secret-file", secret});

  auto bad = c.start_node(port, "intruder", 1, {"--secret-file", wrong});
  const auto refused = bad.wait(30s);
  REQUIRE_MESSAGE(refused, bad.output());
  CHECK(refused->code == 2);
  CHECK(refused->err.find("refused this node") != std::string::npos);
  auto none = c.start_node(port, "nosecret", 1);
  const auto refused2 = none.wait(30s);
  REQUIRE_MESSAGE(refused2, none.output());
  CHECK(refused2->code == 2);
  CHECK(c.r.sql("SELECT COUNT(*) FROM workers") == "0\n");
  CHECK(c.r.sql("SELECT COUNT(*) FROM attempts") == "0\n");

  // The right secret gets the work done.
  auto good = c.start_node(port, "friend", 1, {"--secret-file", secret});
  const auto done = coordinator.wait(60s);
  REQUIRE_MESSAGE(done, coordinator.output());
  CHECK_MESSAGE(done->code == 0, run_repo::dump(*done));
  REQUIRE(good.wait(30s));
  CHECK(done->err.find("node_refused") != std::string::npos);
  // The secrets are nowhere: output, logs or database.
  const auto dump = c.r.repo.run({"sqlite3", c.r.db, ".dump"}).out;
  for (const auto* text : {"correct horse battery", "incorrect mule"}) {
    CHECK((done->out + done->err).find(text) == std::string::npos);
    CHECK(refused->err.find(text) == std::string::npos);
    CHECK(dump.find(text) == std::string::npos);
  }
}

TEST_CASE("kill -9 of a node mid-run: its task goes back and another node "
          "completes the run") {
  cluster c{{{"K1", "one"}, {"K2", "two"}}};
  temp_dir hang_state;
  {
    std::ofstream s(hang_state.path() / "scenario");
    s << "*:green:*=hang\n";
  }
  auto [coordinator, port] = c.start_coordinator();
  auto doomed
    = c.start_node(port, "doomed", 1, {}, agent_with_state(hang_state.path()));
  // Its worker hangs in green.
  const auto hung = wait_until(
    [&] {
      return c.r.sql("SELECT COUNT(*) FROM attempts WHERE stage = 'green' "
                     "AND outcome = '' AND worker_id = 'doomed.worker_1'")
             == "1\n";
    },
    60s);
  REQUIRE_MESSAGE(hung, doomed.output());
  const auto key = c.r.sql("SELECT task_key FROM attempts WHERE worker_id = "
                           "'doomed.worker_1' AND stage = 'green'");
  // The other node finishes the other task meanwhile.
  auto rescuer = c.start_node(port, "rescuer", 1);
  REQUIRE_MESSAGE(wait_until(
                    [&] {
                      return c.r.sql("SELECT COUNT(*) FROM tasks WHERE "
                                     "status = 'complete'")
                             == "1\n";
                    },
                    60s),
                  rescuer.output());
  doomed.signal(SIGKILL, true);
  const auto killed = doomed.wait(10s);
  REQUIRE(killed);

  const auto done = coordinator.wait(90s);
  // The hung agent's sleep, whatever happened to it.
  for (const auto& entry :
       std::filesystem::directory_iterator(hang_state.path())) {
    if (entry.path().extension() == ".pid") {
      std::ifstream in(entry.path());
      int pid = 0;
      if (in >> pid && process_alive(pid)) {
        kill(pid, SIGKILL);
      }
    }
  }
  REQUIRE_MESSAGE(done, coordinator.output());
  CHECK_MESSAGE(done->code == 0, run_repo::dump(*done));
  REQUIRE(rescuer.wait(30s));
  for (const auto& [k, status] : c.r.statuses()) {
    CHECK_MESSAGE(status == "complete", k);
    CHECK_MESSAGE(c.merges_of(k) == 1, k);
  }
  CHECK(c.r.sql("SELECT outcome || ' ' || reason FROM attempts WHERE "
                "worker_id = 'doomed.worker_1' AND stage = 'green'")
        == "interrupted worker_crashed\n");
  CHECK(c.r.sql("SELECT state FROM nodes WHERE id = 'doomed'") == "lost\n");
  CHECK(c.r.sql("SELECT state FROM workers WHERE id = 'doomed.worker_1'")
        == "lost\n");
  CHECK(c.r.sql("SELECT failure_count > 0 FROM circuit_breakers WHERE level "
                "= 'worker' AND identifier = 'doomed.worker_1'")
        == "1\n");
  CHECK(c.r.sql("SELECT COUNT(*) FROM attempts WHERE task_key = '"
                + key.substr(0, key.size() - 1)
                + "' AND stage = 'commit' AND outcome = 'passed' AND "
                  "worker_id = 'rescuer.worker_1'")
        == "1\n");
}

TEST_CASE("listen flags refuse what cannot work before anything is recorded") {
  run_repo r{{{"F1", "one"}}};
  const auto open = r.run({"--listen", "0.0.0.0:0"});
  CHECK(open.code == 2);
  CHECK(open.err.find("--secret-file") != std::string::npos);
  const auto lonely = r.run({"--secret-file", "x"});
  CHECK(lonely.code == 2);
  CHECK(lonely.err.find("needs --listen") != std::string::npos);
  const auto idle = r.run({"--workers", "0"});
  CHECK(idle.code == 2);
  const auto no_remote = r.run({"--listen", "127.0.0.1:0", "--remote", "nope"});
  CHECK(no_remote.code == 2);
  CHECK(no_remote.err.find("no git remote \"nope\"") != std::string::npos);
  CHECK(r.sql("SELECT COUNT(*) FROM runs") == "0\n");
  const auto node
    = r.repo.orchestrator({"worker", "--connect", "127.0.0.1:1", "--repo",
                           "/nonexistent/x.git", "--name", "bad name"});
  CHECK(node.code == 2);
  CHECK(node.err.find("--name") != std::string::npos);
}

} // namespace tdd::test
