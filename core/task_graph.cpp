#include "core/task_graph.hpp"

#include <algorithm>
#include <deque>
#include <optional>
#include <set>

namespace tdd::core {

namespace {

using key_set = std::set<std::string>;
using node_index = std::map<std::string, size_t>;

bool is_active(const graph_node& x) {
  return x.status == task_status::pending || x.status == task_status::running;
}

/// Dependencies of `x` that are nodes of the graph, sorted, no repeats.
key_set known_deps(const graph_node& x, const node_index& index) {
  key_set out;
  for (const auto& dep : x.depends_on) {
    if (index.count(dep) > 0) {
      out.insert(dep);
    }
  }
  return out;
}

/// Keys that lie on a cycle or lead into one: what is left after
/// repeatedly removing nodes without (remaining) dependencies.
key_set cycle_candidates(const std::vector<graph_node>& nodes,
                         const node_index& index) {
  std::map<std::string, size_t> out_degree;
  std::map<std::string, std::vector<std::string>> dependents;
  std::deque<std::string> free;
  for (const auto& [key, i] : index) {
    const auto deps = known_deps(nodes[i], index);
    out_degree[key] = deps.size();
    for (const auto& dep : deps) {
      dependents[dep].push_back(key);
    }
    if (deps.empty()) {
      free.push_back(key);
    }
  }
  while (!free.empty()) {
    const auto key = free.front();
    free.pop_front();
    out_degree.erase(key);
    for (const auto& user : dependents[key]) {
      if (--out_degree[user] == 0) {
        free.push_back(user);
      }
    }
  }
  key_set out;
  for (const auto& entry : out_degree) {
    out.insert(entry.first);
  }
  return out;
}

/// The shortest path `start -> ... -> start` within `allowed`, if any;
/// ties go to the smaller key because dependencies are visited sorted.
std::optional<std::vector<std::string>>
cycle_through(const std::string& start, const key_set& allowed,
              const std::vector<graph_node>& nodes, const node_index& index) {
  std::map<std::string, std::string> parent;
  std::deque<std::string> queue{start};
  while (!queue.empty()) {
    const auto at = queue.front();
    queue.pop_front();
    for (const auto& dep : known_deps(nodes[index.at(at)], index)) {
      if (dep == start) {
        std::vector<std::string> path{start};
        for (auto step = at; step != start; step = parent.at(step)) {
          path.push_back(step);
        }
        std::reverse(path.begin() + 1, path.end());
        path.push_back(start);
        return path;
      }
      if (allowed.count(dep) > 0 && parent.count(dep) == 0) {
        parent.emplace(dep, at);
        queue.push_back(dep);
      }
    }
  }
  return std::nullopt;
}

} // namespace

task_graph::task_graph(std::vector<graph_node> nodes) {
  // A later node with the same key replaces the earlier one, so callers can
  // append fresh nodes (a task file) after stored ones.
  for (auto& node : nodes) {
    if (const auto i = index_.find(node.key); i != index_.end()) {
      nodes_[i->second] = std::move(node);
      continue;
    }
    index_.emplace(node.key, nodes_.size());
    nodes_.push_back(std::move(node));
  }
}

std::vector<std::string> task_graph::find_cycle() const {
  const auto candidates = cycle_candidates(nodes_, index_);
  for (const auto& key : candidates) {
    if (auto path = cycle_through(key, candidates, nodes_, index_)) {
      return std::move(*path);
    }
  }
  return {};
}

graph_node* task_graph::find(const std::string& key) {
  const auto i = index_.find(key);
  return i == index_.end() ? nullptr : &nodes_[i->second];
}

std::optional<int> task_graph::open_phase() const {
  // A phase is open when no lower phase has pending or running tasks, so
  // the only phase with ready tasks is the lowest active one.
  std::optional<int> out;
  for (const auto& node : nodes_) {
    if (is_active(node) && (!out || node.phase < *out)) {
      out = node.phase;
    }
  }
  return out;
}

bool task_graph::is_ready(const graph_node& node,
                          std::optional<int> open_phase) const {
  if (node.status != task_status::pending || node.phase != open_phase) {
    return false;
  }
  const auto& deps = node.depends_on;
  return std::all_of(deps.begin(), deps.end(), [this](const std::string& dep) {
    const auto j = index_.find(dep);
    return j != index_.end()
           && nodes_[j->second].status == task_status::complete;
  });
}

std::vector<std::string> task_graph::ready() const {
  const auto phase = open_phase();
  std::vector<std::string> out;
  for (const auto& [key, i] : index_) {
    if (is_ready(nodes_[i], phase)) {
      out.push_back(key);
    }
  }
  return out;
}

std::optional<std::string> task_graph::first_ready() const {
  const auto phase = open_phase();
  for (const auto& [key, i] : index_) {
    if (is_ready(nodes_[i], phase)) {
      return key;
    }
  }
  return std::nullopt;
}

std::vector<std::vector<std::string>> task_graph::waves() const {
  // Simulates the run: each wave completes before the next one starts. A
  // phase whose remaining tasks can never run keeps its barrier closed, as
  // ready() does, so everything from there on is left out.
  key_set done;
  key_set remaining;
  for (const auto& [key, i] : index_) {
    if (nodes_[i].status == task_status::complete) {
      done.insert(key);
    } else if (is_active(nodes_[i])) {
      remaining.insert(key);
    }
  }
  std::vector<std::vector<std::string>> out;
  while (!remaining.empty()) {
    auto wave = next_wave(remaining, done);
    if (wave.empty()) {
      break;
    }
    for (const auto& key : wave) {
      remaining.erase(key);
      done.insert(key);
    }
    out.push_back(std::move(wave));
  }
  return out;
}

std::vector<std::string>
task_graph::next_wave(const std::set<std::string>& remaining,
                      const std::set<std::string>& done) const {
  int phase = nodes_[index_.at(*remaining.begin())].phase;
  for (const auto& key : remaining) {
    phase = std::min(phase, nodes_[index_.at(key)].phase);
  }
  std::vector<std::string> wave;
  for (const auto& key : remaining) {
    const auto& node = nodes_[index_.at(key)];
    const auto& deps = node.depends_on;
    // A running task has started already, whatever its dependencies say.
    const bool can_start
      = node.status == task_status::running
        || std::all_of(deps.begin(), deps.end(), [&done](const auto& dep) {
             return done.count(dep) > 0;
           });
    if (node.phase == phase && can_start) {
      wave.push_back(key);
    }
  }
  return wave;
}

std::vector<dependency_block> task_graph::blocked_by_dependencies() const {
  std::vector<dependency_block> out;
  for (const auto& [key, i] : index_) {
    if (nodes_[i].status != task_status::pending
        || nodes_[i].depends_on.empty()) {
      continue;
    }
    if (auto cause = nearest_blocked(key)) {
      out.push_back({key, std::move(*cause)});
    }
  }
  return out;
}

std::optional<std::string>
task_graph::nearest_blocked(const std::string& key) const {
  // Breadth first through pending tasks only: a complete dependency is
  // satisfied and a running one may still succeed. The nearest blocked task
  // is the most useful cause; ties go to the smallest key.
  std::set<std::string> visited{key};
  std::set<std::string> frontier{key};
  while (!frontier.empty()) {
    std::set<std::string> next;
    for (const auto& at : frontier) {
      for (const auto& dep : known_deps(nodes_[index_.at(at)], index_)) {
        if (visited.insert(dep).second) {
          next.insert(dep);
        }
      }
    }
    frontier.clear();
    for (const auto& dep : next) {
      const auto status = nodes_[index_.at(dep)].status;
      if (status == task_status::blocked) {
        return dep;
      }
      if (status == task_status::pending) {
        frontier.insert(dep);
      }
    }
  }
  return std::nullopt;
}

} // namespace tdd::core
