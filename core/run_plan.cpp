#include "core/run_plan.hpp"

#include "core/suggest.hpp"

#include <algorithm>
#include <array>
#include <deque>
#include <map>
#include <set>
#include <utility>

namespace tdd::core {

namespace {

using key_set = std::set<std::string>;
using node_index = std::map<std::string, const graph_node*>;

constexpr std::array<std::pair<run_outcome, std::string_view>, 4> outcome_names{
  {{run_outcome::complete, "complete"},
   {run_outcome::blocked, "blocked"},
   {run_outcome::halted, "halted"},
   {run_outcome::interrupted, "interrupted"}}};

/// How many keys a message names before it says "and N more".
constexpr size_t keys_in_messages = 5;

bool is_active(const graph_node& x) {
  return x.status == task_status::pending || x.status == task_status::running;
}

/// A later node with the same key replaces an earlier one, as in
/// task_graph.
node_index index_of(const std::vector<graph_node>& all) {
  node_index out;
  for (const auto& node : all) {
    out[node.key] = &node;
  }
  return out;
}

std::vector<std::string> sorted(const key_set& xs) {
  return {xs.begin(), xs.end()};
}

/// `"A", "B" and 3 more`
std::string quoted_list(const std::vector<std::string>& keys) {
  std::string out;
  for (size_t i = 0; i < keys.size() && i < keys_in_messages; ++i) {
    out += (i > 0 ? ", " : "") + quote(keys[i]);
  }
  if (keys.size() > keys_in_messages) {
    out += " and " + std::to_string(keys.size() - keys_in_messages) + " more";
  }
  return out;
}

std::string unknown_task(const std::string& key, const node_index& index) {
  std::vector<std::string> known;
  for (const auto& entry : index) {
    known.push_back(entry.first);
  }
  auto out = "unknown task " + quote(key);
  const auto close = close_matches(key, known);
  if (!close.empty()) {
    out += "; did you mean " + quoted_list(close) + "?";
  }
  return out;
}

/// Adds to `keys` every dependency of them that is not complete,
/// transitively. Blocked dependencies stay out: they block their dependents
/// instead (build_plan). Unknown ones stay out too: a task waiting for one
/// cannot start.
void add_dependencies(key_set& keys, const node_index& index) {
  std::deque<std::string> queue(keys.begin(), keys.end());
  while (!queue.empty()) {
    const auto key = queue.front();
    queue.pop_front();
    for (const auto& dep : index.at(key)->depends_on) {
      const auto i = index.find(dep);
      if (i != index.end() && is_active(*i->second)
          && keys.insert(dep).second) {
        queue.push_back(dep);
      }
    }
  }
}

selection_result select_named(const std::vector<std::string>& names,
                              const node_index& index) {
  selection_result out;
  key_set named;
  key_set complete;
  for (const auto& key : key_set(names.begin(), names.end())) {
    const auto i = index.find(key);
    if (i == index.end()) {
      out.errors.push_back(unknown_task(key, index));
    } else if (i->second->status == task_status::blocked) {
      out.errors.push_back("task " + quote(key)
                           + " is blocked; `orchestrator tasks retry " + key
                           + "` puts it back to pending");
    } else if (i->second->status == task_status::complete) {
      complete.insert(key);
    } else {
      named.insert(key);
    }
  }
  if (!out.errors.empty()) {
    return out;
  }
  auto keys = named;
  add_dependencies(keys, index);
  task_selection x;
  x.keys = sorted(keys);
  std::set_difference(keys.begin(), keys.end(), named.begin(), named.end(),
                      std::back_inserter(x.dependencies));
  x.already_complete = sorted(complete);
  out.selection = std::move(x);
  return out;
}

selection_result select_phase(int phase, const node_index& index) {
  selection_result out;
  std::set<int> phases;
  key_set keys;
  std::vector<std::string> lower_active;
  for (const auto& [key, node] : index) {
    phases.insert(node->phase);
    if (node->phase == phase && is_active(*node)) {
      keys.insert(key);
    } else if (node->phase < phase && is_active(*node)) {
      lower_active.push_back(key);
    }
  }
  const auto name = "phase " + std::to_string(phase);
  if (phases.count(phase) == 0) {
    std::string known;
    for (const auto p : phases) {
      known += (known.empty() ? "" : ", ") + std::to_string(p);
    }
    out.errors.push_back("no task has " + name + " (phases: "
                         + (known.empty() ? "none" : known) + ")");
    return out;
  }
  if (!lower_active.empty()) {
    out.errors.push_back(name
                         + " cannot start before the lower phases are "
                           "complete or blocked; still to run: "
                         + quoted_list(lower_active)
                         + " (run them first, or run without --phase)");
    return out;
  }
  out.selection = task_selection{sorted(keys), {}, {}};
  return out;
}

planned_task planned(const graph_node& node, const key_set& dependencies) {
  auto deps = node.depends_on;
  std::sort(deps.begin(), deps.end());
  deps.erase(std::unique(deps.begin(), deps.end()), deps.end());
  return {node.key, node.phase, node.status, std::move(deps),
          dependencies.count(node.key) > 0};
}

/// Marks the tasks of `nodes` that a blocked dependency keeps from ever
/// running as blocked, and returns their reasons by key. The run blocks
/// them before it starts anything, which opens the phase barriers they
/// would otherwise hold; the plan does the same.
std::map<std::string, std::string>
block_dependents(std::vector<graph_node>& nodes) {
  std::map<std::string, std::string> out;
  for (const auto& x : task_graph{nodes}.blocked_by_dependencies()) {
    out.emplace(x.key, "dependency_blocked:" + x.dependency);
  }
  for (auto& node : nodes) {
    if (out.count(node.key) > 0) {
      node.status = task_status::blocked;
    }
  }
  return out;
}

} // namespace

std::string to_string(run_outcome x) {
  for (const auto& [value, name] : outcome_names) {
    if (value == x) {
      return std::string{name};
    }
  }
  return "unknown";
}

std::optional<run_outcome> parse_run_outcome(std::string_view x) {
  for (const auto& [value, name] : outcome_names) {
    if (name == x) {
      return value;
    }
  }
  return std::nullopt;
}

int exit_code(run_outcome x) {
  switch (x) {
  case run_outcome::complete:
    return 0;
  case run_outcome::blocked:
    return 1;
  case run_outcome::halted:
    return 3;
  case run_outcome::interrupted:
    return 130;
  }
  return 1; // unreachable with a valid enumerator
}

selection_result select_tasks(const std::vector<graph_node>& all,
                              const run_selection& x) {
  const auto index = index_of(all);
  if (!x.task_keys.empty() && x.phase) {
    return {std::nullopt, {"--task and --phase cannot be combined"}};
  }
  if (!x.task_keys.empty()) {
    return select_named(x.task_keys, index);
  }
  if (x.phase) {
    return select_phase(*x.phase, index);
  }
  key_set keys;
  for (const auto& [key, node] : index) {
    if (is_active(*node)) {
      keys.insert(key);
    }
  }
  return {task_selection{sorted(keys), {}, {}}, {}};
}

std::vector<graph_node> scope_nodes(const std::vector<graph_node>& all,
                                    const std::vector<std::string>& keys) {
  const key_set scope(keys.begin(), keys.end());
  std::vector<graph_node> out;
  for (const auto& [key, node] : index_of(all)) {
    if (!is_active(*node) || scope.count(key) > 0) {
      out.push_back(*node);
    }
  }
  return out;
}

run_plan build_plan(const std::vector<graph_node>& all,
                    const task_selection& selection) {
  run_plan out;
  out.already_complete = selection.already_complete;
  auto nodes = scope_nodes(all, selection.keys);
  const auto blocked = block_dependents(nodes);
  const task_graph graph{nodes};
  const auto index = index_of(graph.nodes());
  const key_set dependencies(selection.dependencies.begin(),
                             selection.dependencies.end());
  key_set planned_keys;
  for (const auto& wave : graph.waves()) {
    plan_wave w;
    for (const auto& key : wave) {
      w.tasks.push_back(planned(*index.at(key), dependencies));
      planned_keys.insert(key);
    }
    w.phase = w.tasks.front().phase;
    out.waves.push_back(std::move(w));
  }
  for (const auto& key : selection.keys) {
    if (const auto i = blocked.find(key); i != blocked.end()) {
      out.unrunnable.push_back({key, i->second});
    } else if (planned_keys.count(key) == 0) {
      out.unrunnable.push_back({key, "cannot_start"});
    }
  }
  return out;
}

plan_result plan_run(const std::vector<graph_node>& all,
                     const run_selection& x) {
  auto selected = select_tasks(all, x);
  if (!selected.selection) {
    return {std::nullopt, std::move(selected.errors), {}};
  }
  auto plan = build_plan(all, *selected.selection);
  return {std::move(plan), {}, std::move(*selected.selection)};
}

std::vector<std::string> run_plan::order() const {
  std::vector<std::string> out;
  for (const auto& wave : waves) {
    for (const auto& task : wave.tasks) {
      out.push_back(task.key);
    }
  }
  return out;
}

size_t run_plan::task_count() const {
  size_t n = 0;
  for (const auto& wave : waves) {
    n += wave.tasks.size();
  }
  return n;
}

} // namespace tdd::core
