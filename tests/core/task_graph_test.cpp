#include "core/task_graph.hpp"

#include <doctest/doctest.h>

using namespace tdd::core;

namespace {

using keys = std::vector<std::string>;

graph_node node(std::string key, keys deps = {}, int phase = 0,
                task_status status = task_status::pending) {
  return graph_node{std::move(key), std::move(deps), phase, status};
}

constexpr auto running = task_status::running;
constexpr auto complete = task_status::complete;
constexpr auto blocked = task_status::blocked;

} // namespace

TEST_CASE("find_cycle: none in a DAG, unknown dependencies are ignored") {
  const task_graph g{{node("A"), node("B", {"A"}), node("C", {"A", "B", "X"}),
                      node("D", {"NOPE"})}};
  CHECK(g.find_cycle().empty());
  CHECK(task_graph{{}}.find_cycle().empty());
}

TEST_CASE("find_cycle: a self-loop is a cycle of one") {
  const task_graph g{{node("A"), node("B", {"B"})}};
  CHECK(g.find_cycle() == keys{"B", "B"});
}

TEST_CASE("find_cycle: the path starts and ends with the smallest key") {
  const task_graph g{{node("B", {"A"}), node("A", {"B"})}};
  CHECK(g.find_cycle() == keys{"A", "B", "A"});
  const task_graph longer{
    {node("Z", {"M"}), node("M", {"K"}), node("K", {"Z"})}};
  CHECK(longer.find_cycle() == keys{"K", "Z", "M", "K"});
}

TEST_CASE("find_cycle: of two cycles, the one through the smallest key") {
  const task_graph g{
    {node("D", {"C"}), node("C", {"D"}), node("B", {"A"}), node("A", {"B"})}};
  CHECK(g.find_cycle() == keys{"A", "B", "A"});
}

TEST_CASE("find_cycle: a task leading into a cycle is not part of it") {
  // A is the smallest key but only depends on the cycle B -> C -> B.
  const task_graph g{{node("A", {"B"}), node("B", {"C"}), node("C", {"B"})}};
  CHECK(g.find_cycle() == keys{"B", "C", "B"});
}

TEST_CASE("find_cycle: the shortest way back is reported") {
  const task_graph g{
    {node("A", {"B", "C"}), node("B", {"C"}), node("C", {"A"})}};
  CHECK(g.find_cycle() == keys{"A", "C", "A"});
}

TEST_CASE("find_cycle: cycles through stored nodes, later nodes override") {
  // Stored X depends on A; the file's A depends on X.
  const task_graph g{{node("X", {"A"}, 0, complete), node("A", {"X"})}};
  CHECK(g.find_cycle() == keys{"A", "X", "A"});
  // The later A replaces the earlier one and breaks the cycle.
  const task_graph fixed{{node("A", {"B"}), node("B", {"A"}), node("A")}};
  CHECK(fixed.find_cycle().empty());
  CHECK(fixed.nodes().size() == 2);
}

TEST_CASE("ready: pending tasks whose dependencies are complete, sorted") {
  const task_graph g{{node("E", {"A"}), node("D", {"A", "B"}),
                      node("A", {}, 0, complete), node("B", {}, 0, running),
                      node("C"), node("F", {"NOPE"}),
                      node("G", {}, 0, blocked)}};
  CHECK(g.ready() == keys{"C", "E"});
}

TEST_CASE("find and first_ready: a run follows its tasks in one graph") {
  task_graph g{{node("B", {"A"}), node("A"), node("C", {}, 1)}};
  CHECK(g.first_ready() == "A");
  REQUIRE(g.find("A") != nullptr);
  CHECK(g.find("NOPE") == nullptr);
  g.find("A")->status = running;
  CHECK(g.first_ready() == std::nullopt); // B waits for A, C for phase 0
  g.find("A")->status = complete;
  CHECK(g.first_ready() == "B");
  CHECK(g.ready() == keys{"B"});
  g.find("B")->status = blocked;
  CHECK(g.first_ready() == "C");
}

TEST_CASE("ready: a phase opens when lower phases are complete or blocked") {
  SUBCASE("a pending lower phase holds the barrier") {
    const task_graph g{{node("A", {}, 1), node("B", {}, 2), node("C", {}, 1)}};
    CHECK(g.ready() == keys{"A", "C"});
  }
  SUBCASE("a running lower phase holds the barrier") {
    const task_graph g{{node("A", {}, 1, running), node("B", {}, 2)}};
    CHECK(g.ready().empty());
  }
  SUBCASE("complete and blocked lower phases open it") {
    const task_graph g{{node("A", {}, 1, complete), node("B", {}, 1, blocked),
                        node("C", {}, 2), node("D", {}, 3)}};
    CHECK(g.ready() == keys{"C"});
  }
  SUBCASE("nothing pending, nothing ready") {
    CHECK(task_graph{{node("A", {}, 0, complete)}}.ready().empty());
  }
}

TEST_CASE("waves: each wave depends only on earlier ones, sorted keys") {
  // Diamond: A, then B and C, then D.
  const task_graph g{
    {node("D", {"B", "C"}), node("C", {"A"}), node("B", {"A"}), node("A")}};
  CHECK(g.waves() == std::vector<keys>{{"A"}, {"B", "C"}, {"D"}});
}

TEST_CASE("waves: complete tasks are done, running ones are in wave 0") {
  const task_graph g{{node("A", {}, 0, complete), node("B", {"A"}, 0, running),
                      node("C", {"B"}), node("D", {"A"})}};
  CHECK(g.waves() == std::vector<keys>{{"B", "D"}, {"C"}});
  CHECK(g.ready() == keys{"D"});
}

TEST_CASE("waves: phases are barriers, a wave never mixes phases") {
  const task_graph g{{node("A", {}, 0), node("B", {"A"}, 0), node("C", {}, 1),
                      node("D", {}, 1), node("E", {"C"}, 5)}};
  CHECK(g.waves() == std::vector<keys>{{"A"}, {"B"}, {"C", "D"}, {"E"}});
}

TEST_CASE("waves: tasks that can never run are left out") {
  SUBCASE("a blocked dependency, directly or through another task") {
    const task_graph g{{node("X", {}, 0, blocked), node("A", {"X"}),
                        node("B", {"A"}), node("C")}};
    CHECK(g.waves() == std::vector<keys>{{"C"}});
  }
  SUBCASE("a cycle and an unknown dependency") {
    const task_graph g{
      {node("A", {"B"}), node("B", {"A"}), node("U", {"NOPE"}), node("C")}};
    CHECK(g.waves() == std::vector<keys>{{"C"}});
  }
  SUBCASE("a stuck phase keeps later phases closed, as ready() does") {
    const task_graph g{{node("X", {}, 0, blocked), node("A", {"X"}, 0),
                        node("B", {}, 0), node("C", {}, 1)}};
    CHECK(g.waves() == std::vector<keys>{{"B"}});
    CHECK(g.ready() == keys{"B"});
  }
  SUBCASE("nothing left to do") {
    CHECK(task_graph{{node("A", {}, 0, complete)}}.waves().empty());
  }
}

TEST_CASE("blocked_by_dependencies: direct and transitive, with the cause") {
  const task_graph g{{node("X", {}, 0, blocked), node("A", {"X"}),
                      node("B", {"A"}), node("C", {"B", "NOPE"}), node("D")}};
  const auto blocks = g.blocked_by_dependencies();
  REQUIRE(blocks.size() == 3);
  CHECK(blocks[0].key == "A");
  CHECK(blocks[0].dependency == "X");
  CHECK(blocks[1].key == "B");
  CHECK(blocks[1].dependency == "X");
  CHECK(blocks[2].key == "C");
  CHECK(blocks[2].dependency == "X");
}

TEST_CASE("blocked_by_dependencies: the nearest blocked task is the cause") {
  const task_graph g{{node("Y", {}, 0, blocked), node("Z", {}, 0, blocked),
                      node("W", {}, 0, blocked), node("M", {"W"}),
                      node("A", {"M", "Z", "Y"})}};
  const auto blocks = g.blocked_by_dependencies();
  REQUIRE(blocks.size() == 2);
  CHECK(blocks[0].key == "A");
  CHECK(blocks[0].dependency == "Y"); // Y and Z are nearer than W
  CHECK(blocks[1].key == "M");
  CHECK(blocks[1].dependency == "W");
}

TEST_CASE("blocked_by_dependencies: only pending tasks, through pending") {
  const task_graph g{{node("X", {}, 0, blocked), node("R", {"X"}, 0, running),
                      node("K", {"X"}, 0, complete), node("A", {"R"}),
                      node("B", {"K"}), node("Q", {"X"}, 0, blocked)}};
  CHECK(g.blocked_by_dependencies().empty());
}

TEST_CASE("blocked_by_dependencies: cycles terminate") {
  const task_graph g{{node("X", {}, 0, blocked), node("A", {"B"}),
                      node("B", {"A", "X"}), node("C", {"C"})}};
  const auto blocks = g.blocked_by_dependencies();
  REQUIRE(blocks.size() == 2);
  CHECK(blocks[0].key == "A");
  CHECK(blocks[0].dependency == "X");
  CHECK(blocks[1].key == "B");
}
