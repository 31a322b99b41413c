// Property tests for the task graph, the run plan and the cycle check of
// task validation: random graphs (up to 12 tasks, random edges, cycles,
// self-loops, unknown dependencies, overriding duplicates, phases and
// statuses) against brute force over an adjacency matrix. A failure names
// the seed and prints the graph. This file holds the test cases and the
// task graph checks; the run plan and validation checks are in
// task_graph_properties_plan_test.cpp.

#include "core/task_graph.hpp"
#include "task_graph_property_support.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

using namespace tdd::core;
using namespace tdd::test::property;

namespace {

/// Pending tasks whose dependencies are all complete, in the lowest phase
/// that has pending or running tasks.
keys brute_ready(const brute_graph& b) {
  std::optional<int> lowest;
  for (size_t i = 0; i < b.size(); ++i) {
    if (b.is_active(i) && (!lowest || b.node[i].phase < *lowest)) {
      lowest = b.node[i].phase;
    }
  }
  std::vector<bool> complete(b.size());
  for (size_t i = 0; i < b.size(); ++i) {
    complete[i] = b.is(i, task_status::complete);
  }
  keys out;
  for (size_t i = 0; i < b.size(); ++i) {
    if (b.is(i, task_status::pending) && b.node[i].phase == lowest
        && b.deps_all(i, complete)) {
      out.push_back(b.names[i]);
    }
  }
  return out;
}

// -- checks -------------------------------------------------------------------

/// Each check returns what is wrong, "" if nothing.
std::string check_cycle(const task_graph& graph, const brute_graph& b) {
  const auto d = b.distances();
  std::optional<size_t> first; // the smallest key on a cycle
  for (size_t i = 0; i < b.size() && !first; ++i) {
    if (d[i][i] < unreachable) {
      first = i;
    }
  }
  const auto cycle = graph.find_cycle();
  if (cycle.empty() != !first) {
    return "find_cycle " + show(cycle) + ", brute force "
           + (first ? "finds a cycle through " + b.names[*first] : "none");
  }
  if (!first) {
    return "";
  }
  if (cycle.front() != b.names[*first] || cycle.back() != cycle.front()) {
    return "find_cycle " + show(cycle) + " does not start and end with "
           + b.names[*first];
  }
  if (static_cast<int>(cycle.size()) - 1 != d[*first][*first]) {
    return "find_cycle " + show(cycle) + " is not a shortest one ("
           + std::to_string(d[*first][*first]) + " steps)";
  }
  for (size_t k = 0; k + 1 < cycle.size(); ++k) {
    const auto i = b.at.find(cycle[k]);
    const auto j = b.at.find(cycle[k + 1]);
    if (i == b.at.end() || j == b.at.end()
        || b.edge[size_t(i->second)][size_t(j->second)] == 0) {
      return "find_cycle " + show(cycle) + ": " + cycle[k]
             + " does not depend on " + cycle[k + 1];
    }
  }
  return "";
}

/// A pending task on a cycle of pending tasks never runs.
std::string check_pending_cycles(const std::vector<keys>& waves,
                                 const brute_graph& b) {
  const auto pending = [&b](size_t i) { return b.is(i, task_status::pending); };
  const auto d = b.distances(pending, pending);
  for (const auto& wave : waves) {
    for (const auto& key : wave) {
      const auto i = size_t(b.at.at(key));
      if (d[i][i] < unreachable) {
        return key + " is on a cycle of pending tasks, yet planned";
      }
    }
  }
  return "";
}

std::string check_graph(const std::vector<graph_node>& nodes, reached& r) {
  const task_graph graph{nodes};
  const brute_graph b{nodes};
  r.cycles += graph.find_cycle().empty() ? 0 : 1;
  r.blocked_dependents += graph.blocked_by_dependencies().empty() ? 0 : 1;
  r.multi_wave += graph.waves().size() > 1 ? 1 : 0;
  if (auto e = check_cycle(graph, b); !e.empty()) {
    return e;
  }
  const auto ready = graph.ready();
  if (ready != brute_ready(b)) {
    return "ready " + show(ready) + ", brute force " + show(brute_ready(b));
  }
  if (graph.first_ready()
      != (ready.empty() ? std::nullopt : std::optional{ready.front()})) {
    return "first_ready " + graph.first_ready().value_or("none") + ", ready "
           + show(ready);
  }
  const auto waves = graph.waves();
  if (waves != brute_waves(b)) {
    return "waves " + show(waves) + ", brute force " + show(brute_waves(b));
  }
  keys first_pending; // wave 0's pending tasks are ready()
  for (const auto& key : waves.empty() ? keys{} : waves.front()) {
    if (b.is(size_t(b.at.at(key)), task_status::pending)) {
      first_pending.push_back(key);
    }
  }
  if (first_pending != ready) {
    return "wave 0 pending " + show(first_pending) + " != ready";
  }
  for (auto e : {check_wave_rules(waves, b), check_pending_cycles(waves, b)}) {
    if (!e.empty()) {
      return e;
    }
  }
  std::vector<std::pair<std::string, std::string>> blocked;
  for (const auto& x : graph.blocked_by_dependencies()) {
    blocked.emplace_back(x.key, x.dependency);
  }
  if (blocked != brute_blocked(b)) {
    std::string got;
    for (const auto& [key, dep] : blocked) {
      got += " " + key + "<-" + dep;
    }
    return "blocked_by_dependencies" + got + " disagrees with brute force";
  }
  return "";
}

bool has_duplicate_keys(const std::vector<graph_node>& nodes) {
  std::set<std::string> seen;
  for (const auto& x : nodes) {
    if (!seen.insert(x.key).second) {
      return true;
    }
  }
  return false;
}

/// Every property for one seed; "" if all hold.
std::string check_seed(uint64_t seed, std::string& graph_text, reached& r) {
  generator g{seed};
  const auto nodes = draw_graph(g);
  graph_text = show(nodes);
  if (auto e = check_graph(nodes, r); !e.empty()) {
    return e;
  }
  const brute_graph b{nodes};
  for (int i = 0; i < 4; ++i) {
    const auto x = draw_selection(g, b);
    if (auto e = check_plan(nodes, x, r); !e.empty()) {
      return "run_plan with --task " + show(x.task_keys) + " --phase "
             + (x.phase ? std::to_string(*x.phase) : "none") + ": " + e;
    }
  }
  if (has_duplicate_keys(nodes)) {
    return ""; // a task file with duplicates fails on them first
  }
  return check_validation(b, r);
}

} // namespace

TEST_CASE("property: task graph agrees with brute force on random graphs") {
  reached r;
  for (auto seed = first_seed; seed < first_seed + seed_count; ++seed) {
    std::string graph_text;
    const auto error = check_seed(seed, graph_text, r);
    REQUIRE_MESSAGE(error.empty(), "seed " << seed << ": " << error
                                           << "\ngraph (key phase status "
                                              "<- depends_on):\n"
                                           << graph_text);
  }
  // The checks bite only if the graphs get there.
  INFO("cycles " << r.cycles << ", blocked dependents " << r.blocked_dependents
                 << ", multi-wave " << r.multi_wave << ", plans " << r.plans
                 << ", refused " << r.refused_selections << ", with unrunnable "
                 << r.unrunnable << ", cycle reports " << r.cycle_reports);
  CHECK(r.cycles > 20);
  CHECK(r.blocked_dependents > 20);
  CHECK(r.multi_wave > 20);
  CHECK(r.plans > 100);
  CHECK(r.refused_selections > 20);
  CHECK(r.unrunnable > 20);
  CHECK(r.cycle_reports > 20);
}

TEST_CASE("property: random graphs replay the same from the same seed") {
  for (auto seed = first_seed; seed < first_seed + seed_count; ++seed) {
    generator a{seed};
    generator b{seed};
    const task_graph x{draw_graph(a)};
    const task_graph y{draw_graph(b)};
    CAPTURE(seed);
    REQUIRE(x.find_cycle() == y.find_cycle());
    REQUIRE(x.waves() == y.waves());
    REQUIRE(show(x.nodes()) == show(y.nodes()));
  }
}
