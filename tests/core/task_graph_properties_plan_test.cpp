// The run plan and validation checks of the task graph property test
// (task_graph_properties_test.cpp runs them for every seed): plan_run's
// selection, waves and unrunnable tasks, and validate_tasks's cycle
// reports, each against brute force over the random graph.

#include "core/run_plan.hpp"
#include "core/task_validation.hpp"
#include "task_graph_property_support.hpp"

#include <algorithm>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace tdd::test::property {

// -- run plans ----------------------------------------------------------------

/// A random --task (some keys unknown), --phase, or nothing.
run_selection draw_selection(generator& g, const brute_graph& b) {
  run_selection out;
  const int pick = g.between(0, 2);
  if (pick == 1) {
    out.phase = g.between(0, 3);
  }
  if (pick == 2) {
    const int n = g.between(1, 3);
    for (int i = 0; i < n; ++i) {
      out.task_keys.push_back(
        b.size() == 0 || g.chance(10)
          ? "X" + std::to_string(g.between(0, 2))
          : b.names[size_t(g.between(0, int(b.size()) - 1))]);
    }
  }
  return out;
}

namespace {

/// The tasks --task names (`named`) and their active dependencies,
/// transitively; nullopt if a name is unknown or blocked.
std::optional<task_selection> brute_named(const brute_graph& b,
                                          const keys& names) {
  const auto active = [&b](size_t i) { return b.is_active(i); };
  const auto d = b.distances([](size_t) { return true; }, active);
  std::set<std::string> named;
  std::set<std::string> selected;
  std::set<std::string> complete;
  for (const auto& key : names) {
    const auto i = b.at.find(key);
    if (i == b.at.end() || b.is(size_t(i->second), task_status::blocked)) {
      return std::nullopt;
    }
    const auto n = size_t(i->second);
    if (b.is(n, task_status::complete)) {
      complete.insert(key);
      continue;
    }
    named.insert(key);
    selected.insert(key);
    for (size_t j = 0; j < b.size(); ++j) {
      if (active(j) && d[n][j] < unreachable) {
        selected.insert(b.names[j]);
      }
    }
  }
  task_selection out{{selected.begin(), selected.end()}, {}, {}};
  std::set_difference(selected.begin(), selected.end(), named.begin(),
                      named.end(), std::back_inserter(out.dependencies));
  out.already_complete.assign(complete.begin(), complete.end());
  return out;
}

/// What select_tasks should choose; nullopt when it should refuse.
std::optional<task_selection> brute_selection(const brute_graph& b,
                                              const run_selection& x) {
  if (!x.task_keys.empty()) {
    return brute_named(b, x.task_keys);
  }
  task_selection out;
  bool phase_exists = false;
  for (size_t i = 0; i < b.size(); ++i) {
    const int phase = b.node[i].phase;
    phase_exists |= x.phase == phase;
    if (x.phase && phase < *x.phase && b.is_active(i)) {
      return std::nullopt; // the lower phases are not done
    }
    if (b.is_active(i) && (!x.phase || phase == *x.phase)) {
      out.keys.push_back(b.names[i]);
    }
  }
  if (x.phase && !phase_exists) {
    return std::nullopt;
  }
  return out;
}

/// The nodes a run over `keys` sees, with the tasks a blocked dependency
/// keeps from running marked blocked; their reasons by key.
std::vector<graph_node> brute_scope(const brute_graph& b, const keys& keys,
                                    std::map<std::string, std::string>& why) {
  std::vector<graph_node> out;
  for (size_t i = 0; i < b.size(); ++i) {
    if (!b.is_active(i)
        || std::binary_search(keys.begin(), keys.end(), b.names[i])) {
      out.push_back(b.node[i]);
    }
  }
  for (const auto& [key, dep] : brute_blocked(brute_graph{out})) {
    why[key] = "dependency_blocked:" + dep;
  }
  for (auto& x : out) {
    if (why.count(x.key) > 0) {
      x.status = task_status::blocked;
    }
  }
  return out;
}

/// Each wave's tasks carry their node's data and the wave's phase.
std::string check_plan_tasks(const run_plan& plan, const brute_graph& b,
                             const task_selection& s) {
  for (const auto& wave : plan.waves) {
    for (const auto& t : wave.tasks) {
      const auto& node = b.node[size_t(b.at.at(t.key))];
      std::set<std::string> deps(node.depends_on.begin(),
                                 node.depends_on.end());
      const bool is_dep = std::binary_search(s.dependencies.begin(),
                                             s.dependencies.end(), t.key);
      if (t.phase != wave.phase || t.phase != node.phase
          || t.status != node.status || t.is_dependency != is_dep
          || t.depends_on != keys(deps.begin(), deps.end())) {
        return "planned task " + t.key + " does not match its node";
      }
    }
  }
  return "";
}

} // namespace

std::string check_plan(const std::vector<graph_node>& nodes,
                       const run_selection& x, reached& r) {
  const brute_graph b{nodes};
  const auto result = plan_run(nodes, x);
  r.plans += result.plan ? 1 : 0;
  r.refused_selections += result.plan ? 0 : 1;
  r.unrunnable += result.plan && !result.plan->unrunnable.empty() ? 1 : 0;
  const auto expected = brute_selection(b, x);
  if (result.plan.has_value() != expected.has_value()
      || result.plan.has_value() == !result.errors.empty()) {
    return "plan_run accepted or refused the selection against brute force";
  }
  if (!expected) {
    return "";
  }
  const auto& s = result.selection;
  if (s.keys != expected->keys || s.dependencies != expected->dependencies
      || s.already_complete != expected->already_complete) {
    return "selected " + show(s.keys) + " deps " + show(s.dependencies)
           + ", brute force " + show(expected->keys) + " deps "
           + show(expected->dependencies);
  }
  const auto& plan = *result.plan;
  std::map<std::string, std::string> why;
  const brute_graph scope{brute_scope(b, s.keys, why)};
  std::vector<keys> waves;
  for (const auto& wave : plan.waves) {
    waves.emplace_back();
    for (const auto& t : wave.tasks) {
      waves.back().push_back(t.key);
    }
  }
  if (waves != brute_waves(scope)) {
    return "plan waves " + show(waves) + ", brute force "
           + show(brute_waves(scope));
  }
  if (auto e = check_wave_rules(waves, scope); !e.empty()) {
    return "plan: " + e;
  }
  std::map<std::string, std::string> unrunnable;
  const auto order = plan.order();
  for (const auto& key : s.keys) {
    if (std::find(order.begin(), order.end(), key) == order.end()) {
      unrunnable[key] = why.count(key) > 0 ? why[key] : "cannot_start";
    }
  }
  std::map<std::string, std::string> got;
  for (const auto& u : plan.unrunnable) {
    got[u.key] = u.reason;
  }
  if (got != unrunnable || got.size() != plan.unrunnable.size()
      || plan.task_count() + got.size() != s.keys.size()) {
    return "unrunnable tasks disagree with brute force";
  }
  return check_plan_tasks(plan, b, s);
}

// -- validation ---------------------------------------------------------------

namespace {

/// The graph's tasks as a task file, each on its own line.
std::vector<located_spec> as_file(const brute_graph& b) {
  std::vector<located_spec> out;
  for (size_t i = 0; i < b.size(); ++i) {
    located_spec x;
    x.spec.key = b.names[i];
    x.spec.title = "t";
    x.spec.test_file = "t.py";
    x.spec.impl_file = "i.py";
    x.spec.verify = "v";
    x.spec.depends_on = b.node[i].depends_on;
    x.spec.phase = b.node[i].phase;
    x.lines.task = static_cast<int>(i) + 1;
    out.push_back(std::move(x));
  }
  return out;
}

/// "A -> B -> A" as keys.
keys split_cycle(const std::string& text) {
  keys out;
  size_t at = 0;
  for (auto arrow = text.find(" -> "); arrow != std::string::npos;
       arrow = text.find(" -> ", at)) {
    out.push_back(text.substr(at, arrow - at));
    at = arrow + 4;
  }
  out.push_back(text.substr(at));
  return out;
}

} // namespace

/// validate_tasks reports a cycle iff there is one (self-dependencies are
/// reported on their own), each reported cycle is real, and removing the
/// tasks of the reported cycles leaves none.
std::string check_validation(const brute_graph& b, reached& r) {
  const std::string prefix = "dependency cycle: ";
  std::set<std::string> dropped;
  int self_reports = 0;
  for (const auto& d : validate_tasks(as_file(b), {}, "f")) {
    self_reports += d.message.find("depends on itself") != std::string::npos;
    if (d.message.rfind(prefix, 0) != 0) {
      continue;
    }
    ++r.cycle_reports;
    const auto cycle = split_cycle(d.message.substr(prefix.size()));
    for (size_t k = 0; k + 1 < cycle.size(); ++k) {
      const auto i = b.at.find(cycle[k]);
      const auto j = b.at.find(cycle[k + 1]);
      if (i == b.at.end() || j == b.at.end() || i == j
          || b.edge[size_t(i->second)][size_t(j->second)] == 0) {
        return "reported a cycle that is none: " + d.message;
      }
    }
    for (size_t k = 0; k + 1 < cycle.size(); ++k) { // the last is the first
      if (!dropped.insert(cycle[k]).second) {
        return "reported cycles overlap: " + d.message;
      }
    }
  }
  int self_loops = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    for (const auto& dep : b.node[i].depends_on) {
      self_loops += dep == b.names[i];
    }
  }
  if (self_reports != self_loops) {
    return "self-dependencies reported " + std::to_string(self_reports)
           + " times, written " + std::to_string(self_loops);
  }
  const auto kept = [&](size_t i) { return dropped.count(b.names[i]) == 0; };
  auto without_self = b;
  for (size_t i = 0; i < b.size(); ++i) {
    without_self.edge[i][i] = 0;
  }
  const auto d = without_self.distances(kept, kept);
  for (size_t i = 0; i < b.size(); ++i) {
    if (kept(i) && d[i][i] < unreachable) {
      return b.names[i] + " is on a cycle no report covers";
    }
  }
  return "";
}

} // namespace tdd::test::property
