#pragma once

#include "core/task.hpp"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace tdd::core {

/// What the scheduler needs to know of one task.
struct graph_node {
  std::string key;
  std::vector<std::string> depends_on;
  int phase = 0;
  task_status status = task_status::pending;
};

/// A task that can never run because a dependency is blocked.
struct dependency_block {
  std::string key;        ///< the task that is blocked by it
  std::string dependency; ///< the blocked dependency (reason
                          ///< `dependency_blocked:<dependency>`)
};

/// Dependency graph of all tasks of a run. Nodes whose dependencies name
/// unknown keys are tolerated (validation reports them); such a dependency
/// is never complete.
class task_graph {
public:
  /// A node whose key appeared before replaces the earlier one (a task file
  /// appended after stored tasks overrides them).
  explicit task_graph(std::vector<graph_node> nodes);

  /// A dependency cycle as a path that starts and ends with the same key
  /// (`A -> B -> A` is {"A", "B", "A"}), or empty when there is none.
  /// Deterministic: the cycle through the smallest key is reported.
  std::vector<std::string> find_cycle() const;

  /// Pending tasks whose dependencies are all complete and whose phase is
  /// open (every task of a lower phase is complete or blocked), sorted by
  /// (phase, key).
  std::vector<std::string> ready() const;

  /// The first key of ready(), without building the list: O(tasks), no
  /// allocation but the key's; for a dispatcher that takes one at a time.
  std::optional<std::string> first_ready() const;

  /// The plan for the pending and running tasks: wave 0 holds what can run
  /// now, wave n what can run once waves < n are complete. Phases are
  /// barriers, so a wave never mixes phases. Tasks that can never run
  /// (blocked dependencies, cycles) are left out, and so are later phases
  /// while such a task holds its phase's barrier (ready() agrees: wave 0's
  /// pending tasks are exactly ready()). Keys sorted within a wave.
  std::vector<std::vector<std::string>> waves() const;

  /// Pending tasks that can never run because a dependency (direct or
  /// through other tasks) is blocked, with the blocked task that causes it.
  std::vector<dependency_block> blocked_by_dependencies() const;

  const std::vector<graph_node>& nodes() const { return nodes_; }

  /// The node of `key`, or nullptr. Callers may change its status (a run
  /// keeps one graph and follows its tasks); its key and edges stay.
  graph_node* find(const std::string& key);

private:
  /// The lowest phase with a pending or running task: the one open phase.
  std::optional<int> open_phase() const;

  /// Pending, in the open phase, every dependency complete.
  bool is_ready(const graph_node& node, std::optional<int> open_phase) const;

  /// The tasks of the lowest phase in `remaining` that can start once
  /// `done` is complete.
  std::vector<std::string> next_wave(const std::set<std::string>& remaining,
                                     const std::set<std::string>& done) const;

  /// The closest blocked task that `key` waits for, through pending tasks.
  std::optional<std::string> nearest_blocked(const std::string& key) const;

  std::vector<graph_node> nodes_;
  std::map<std::string, size_t> index_;
};

} // namespace tdd::core
