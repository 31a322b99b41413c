#include "messages/cluster.hpp"
#include "messages/errc.hpp"
#include "store/database.hpp"
#include "store/run_fixture.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace tdd;
using strings = std::vector<std::string>;

namespace {

struct node_fixture : test::run_fixture {
  int64_t run = start_run();

  node_registration node(const std::string& id, int seconds) {
    return {id, id + ".lan", "10.0.0.7:51234", 2, at(seconds)};
  }

  /// Registers node `id` at `seconds` with two workers, the first busy.
  void join(const std::string& id, int seconds) {
    TDD_REQUIRE_OK(db.register_node(node(id, seconds)));
    for (const auto* n : {".worker_1", ".worker_2"}) {
      TDD_REQUIRE_OK(
        db.register_worker({id + n, id, run, "idle", at(seconds)}));
    }
    TDD_REQUIRE_OK(
      db.set_worker_state({id + ".worker_1", "busy", "A", "green"}));
  }

  node_row find(const std::string& id) {
    for (auto& x : test::value_of(db.list_nodes())) {
      if (x.id == id) {
        return x;
      }
    }
    FAIL("no node " << id);
    return {};
  }

  /// "id:state:task:stage" of every worker, by id.
  strings workers() {
    return column("SELECT id || ':' || state || ':' || "
                  "COALESCE(current_task, '') || ':' || current_stage "
                  "FROM workers ORDER BY id");
  }

  strings states() {
    return column("SELECT id || ':' || state FROM nodes ORDER BY id");
  }
};

} // namespace

TEST_CASE_FIXTURE(node_fixture, "a node registers connected and heartbeats") {
  CHECK(test::value_of(db.list_nodes()).empty());
  TDD_REQUIRE_OK(db.register_node(node("gpu-box", 3)));
  auto x = find("gpu-box");
  CHECK(x.host == "gpu-box.lan");
  CHECK(x.address == "10.0.0.7:51234");
  CHECK(x.state == "connected");
  CHECK(x.workers == 2);
  CHECK(x.connected_at == text_at(3));
  CHECK(x.heartbeat_at == text_at(3));

  TDD_REQUIRE_OK(db.node_heartbeat("gpu-box", at(8)));
  x = find("gpu-box");
  CHECK(x.heartbeat_at == text_at(8));
  CHECK(x.connected_at == text_at(3));
}

TEST_CASE_FIXTURE(node_fixture, "a lost node loses its workers") {
  TDD_REQUIRE_OK(db.register_worker({"worker_1", "", run, "idle", at(0)}));
  TDD_REQUIRE_OK(db.set_worker_state({"worker_1", "busy", "C", "red"}));
  join("gpu-box", 1);
  join("arm-box", 1);
  TDD_REQUIRE_OK(db.node_heartbeat("gpu-box", at(5)));

  TDD_REQUIRE_OK(db.set_node_state("gpu-box", "lost", at(20)));
  const auto x = find("gpu-box");
  CHECK(x.state == "lost");
  CHECK(x.heartbeat_at == text_at(5)); // the last time it was heard of
  CHECK(workers()
        == strings{"arm-box.worker_1:busy:A:green",
                   "arm-box.worker_2:idle::", "gpu-box.worker_1:lost::",
                   "gpu-box.worker_2:lost::", "worker_1:busy:C:red"});
  // A late heartbeat changes nothing and is no error.
  TDD_REQUIRE_OK(db.node_heartbeat("gpu-box", at(21)));
  CHECK(find("gpu-box").heartbeat_at == text_at(5));
  CHECK(find("gpu-box").state == "lost");
}

TEST_CASE_FIXTURE(node_fixture, "a node that left stops its workers") {
  join("gpu-box", 1);
  TDD_REQUIRE_OK(db.set_node_state("gpu-box", "left", at(30)));
  CHECK(states() == strings{"gpu-box:left"});
  CHECK(find("gpu-box").heartbeat_at == text_at(1));
  CHECK(workers()
        == strings{"gpu-box.worker_1:stopped::", "gpu-box.worker_2:stopped::"});
}

TEST_CASE_FIXTURE(node_fixture, "a node registering again starts over") {
  join("gpu-box", 1);
  TDD_REQUIRE_OK(db.set_node_state("gpu-box", "lost", at(20)));
  TDD_REQUIRE_OK(db.register_node(node("gpu-box", 40)));
  const auto x = find("gpu-box");
  CHECK(x.state == "connected");
  CHECK(x.connected_at == text_at(40));
  CHECK(x.heartbeat_at == text_at(40));
  CHECK(test::value_of(db.list_nodes()).size() == 1);
}

TEST_CASE_FIXTURE(node_fixture, "node errors change nothing") {
  join("gpu-box", 1);
  const auto before = workers();
  CHECK(db.set_node_state("no-such-node", "lost", at(2)) == errc::not_found);
  CHECK(db.node_heartbeat("no-such-node", at(2)) == errc::not_found);
  const auto bad = db.set_node_state("gpu-box", "gone", at(2));
  CHECK(bad == errc::invalid_argument);
  CHECK(describe(bad).find("unknown node state gone") != std::string::npos);
  CHECK(db.set_node_state("gpu-box", "", at(2)) == errc::invalid_argument);
  CHECK(states() == strings{"gpu-box:connected"});
  CHECK(workers() == before);
  CHECK(test::value_of(db.list_nodes()).size() == 1);
}

TEST_CASE_FIXTURE(node_fixture, "lose_connected_nodes counts what it lost") {
  CHECK(test::value_of(db.lose_connected_nodes(at(0))) == 0);
  join("a-box", 1);
  join("b-box", 2);
  join("c-box", 3);
  TDD_REQUIRE_OK(db.set_node_state("c-box", "left", at(4)));
  CHECK(test::value_of(db.lose_connected_nodes(at(100))) == 2);
  CHECK(states() == strings{"a-box:lost", "b-box:lost", "c-box:left"});
  CHECK(workers()
        == strings{"a-box.worker_1:lost::", "a-box.worker_2:lost::",
                   "b-box.worker_1:lost::", "b-box.worker_2:lost::",
                   "c-box.worker_1:stopped::", "c-box.worker_2:stopped::"});
  CHECK(test::value_of(db.lose_connected_nodes(at(101))) == 0);
}

TEST_CASE_FIXTURE(node_fixture, "nodes are listed most recently connected "
                                "first") {
  TDD_REQUIRE_OK(db.register_node(node("n1", 1)));
  TDD_REQUIRE_OK(db.register_node(node("n2", 3)));
  TDD_REQUIRE_OK(db.register_node(node("n3", 2)));
  TDD_REQUIRE_OK(db.node_heartbeat("n1", at(9))); // order: by connected_at
  strings ids;
  for (const auto& x : test::value_of(db.list_nodes())) {
    ids.push_back(x.id);
  }
  CHECK(ids == strings{"n2", "n3", "n1"});
}

TEST_CASE_FIXTURE(node_fixture, "a worker registered with a node gets its "
                                "node_id") {
  TDD_REQUIRE_OK(db.register_worker({"worker_1", "", run, "idle", at(0)}));
  // No row in `nodes` yet: the foreign key refuses it.
  CHECK(db.register_worker({"gpu-box.worker_1", "gpu-box", run, "idle", at(0)})
        != caf::none);
  TDD_REQUIRE_OK(db.register_node(node("gpu-box", 1)));
  TDD_REQUIRE_OK(
    db.register_worker({"gpu-box.worker_1", "gpu-box", run, "idle", at(1)}));
  CHECK(column("SELECT id || ':' || COALESCE(node_id, 'NULL') FROM workers "
               "ORDER BY id")
        == strings{"gpu-box.worker_1:gpu-box", "worker_1:NULL"});
  CHECK(test::value_of(db.list_workers()).at(1).node == "gpu-box");
}

TEST_CASE_FIXTURE(node_fixture, "tdd_nodes_connected counts connected nodes "
                                "only") {
  CHECK(test::value_of(db.metrics_data()).nodes_connected == 0);
  join("a", 1);
  join("b", 2);
  CHECK(test::value_of(db.metrics_data()).nodes_connected == 2);
  TDD_REQUIRE_OK(db.set_node_state("a", "lost", at(20)));
  CHECK(test::value_of(db.metrics_data()).nodes_connected == 1);
  TDD_REQUIRE_OK(db.set_node_state("b", "left", at(30)));
  CHECK(test::value_of(db.metrics_data()).nodes_connected == 0);
}
