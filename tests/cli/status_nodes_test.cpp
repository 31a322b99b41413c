#include "cli/status_view.hpp"
#include "messages/cluster.hpp"
#include "store/run_fixture.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

using namespace tdd;
using strings = std::vector<std::string>;

namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

struct status_nodes_fixture : test::run_fixture {
  /// What `status` reads, from a read-only connection as the command does.
  cli::status_data read() {
    auto ro = test::value_of(
      store::database::open(path, store::open_mode::read_only));
    return test::value_of(cli::read_status(ro));
  }

  /// Node `id` joins at `seconds` (relative to t0) with `workers` workers.
  void join(const std::string& id, int seconds, int32_t workers = 2) {
    TDD_REQUIRE_OK(db.register_node(
      {id, id + ".lan", "10.0.0.7:51234", workers, at(seconds)}));
  }

  static strings ids(const nlohmann::json& nodes) {
    strings result;
    for (const auto& x : nodes) {
      result.push_back(x.at("id").get<std::string>());
    }
    return result;
  }
};

} // namespace

TEST_CASE_FIXTURE(status_nodes_fixture,
                  "status shows connected nodes and those of the latest run") {
  join("stale-box", -500); // lost before the run: not shown
  TDD_REQUIRE_OK(db.set_node_state("stale-box", "lost", at(-400)));
  join("old-box", -100); // connected before the run, still connected
  join("mid-box", -10);  // heard of during the run, then lost
  TDD_REQUIRE_OK(db.node_heartbeat("mid-box", at(2)));
  TDD_REQUIRE_OK(db.set_node_state("mid-box", "lost", at(20)));
  start_run(); // started at t0
  join("gpu-box", 5, 4);
  TDD_REQUIRE_OK(db.node_heartbeat("gpu-box", at(50)));
  join("arm-box", 6);
  TDD_REQUIRE_OK(db.set_node_state("arm-box", "left", at(30)));

  const auto x = read();
  const auto doc = cli::status_json(x);
  CHECK(ids(doc.at("nodes"))
        == strings{"arm-box", "gpu-box", "mid-box", "old-box"});
  CHECK(doc.at("nodes")[1]
        == nlohmann::json({{"id", "gpu-box"},
                           {"host", "gpu-box.lan"},
                           {"address", "10.0.0.7:51234"},
                           {"state", "connected"},
                           {"workers", 4},
                           {"connected_at", text_at(5)},
                           {"heartbeat_at", text_at(50)}}));
  CHECK(doc.at("nodes")[0].at("state") == "left");
  CHECK(doc.at("nodes")[2].at("state") == "lost");

  const auto text = cli::status_text(x, at(53));
  INFO(text);
  CHECK(has(text, "NODE     HOST         STATE      WORKERS  HEARTBEAT\n"
                  "arm-box  arm-box.lan  left       2        47s ago\n"
                  "gpu-box  gpu-box.lan  connected  4        3s ago\n"
                  "mid-box  mid-box.lan  lost       2        51s ago\n"
                  "old-box  old-box.lan  connected  2        2m ago\n"));
  CHECK(!has(text, "stale-box"));
}

TEST_CASE_FIXTURE(status_nodes_fixture,
                  "status without nodes has an empty nodes array") {
  const auto before = read();
  CHECK(cli::status_json(before).at("nodes") == nlohmann::json::array());
  const auto run = start_run();
  TDD_REQUIRE_OK(db.register_worker({"worker_1", "", run, "idle", at(1)}));
  const auto x = read();
  CHECK(cli::status_json(x).at("nodes") == nlohmann::json::array());
  const auto text = cli::status_text(x, at(2));
  INFO(text);
  CHECK(has(text, "WORKER "));
  CHECK(!has(text, "NODE"));
}

TEST_CASE_FIXTURE(status_nodes_fixture,
                  "status before any run shows only connected nodes") {
  join("gone-box", 1);
  TDD_REQUIRE_OK(db.set_node_state("gone-box", "left", at(2)));
  join("live-box", 3);
  const auto x = read();
  CHECK(ids(cli::status_json(x).at("nodes")) == strings{"live-box"});
  const auto text = cli::status_text(x, at(4));
  INFO(text);
  CHECK(has(text, "\nlive-box  live-box.lan  connected  2        1s ago\n"));
  // After the tasks and before the circuits, as with the workers.
  CHECK(text.find("Progress:") < text.find("NODE"));
  CHECK(text.find("NODE") < text.find("Circuits:"));
}

TEST_CASE_FIXTURE(status_nodes_fixture,
                  "a finished run keeps its nodes until the next run") {
  const auto run = start_run();
  join("gpu-box", 5);
  TDD_REQUIRE_OK(db.set_node_state("gpu-box", "left", at(40)));
  TDD_REQUIRE_OK(db.finish_run(run, core::run_outcome::complete, "", at(60)));
  CHECK(ids(cli::status_json(read()).at("nodes")) == strings{"gpu-box"});

  test::value_of(
    db.start_run({4242, "build-1", "main", R"({"workers": 2})", at(100)}));
  CHECK(cli::status_json(read()).at("nodes") == nlohmann::json::array());
}
