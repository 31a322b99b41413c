#pragma once

#include "core/diagnostic.hpp"
#include "core/task.hpp"
#include "core/task_graph.hpp"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace tdd::core {

/// Where the parts of one task were written (1-based lines), so that errors
/// point at the offending text.
struct task_lines {
  int task = 0; ///< where the task starts
  /// Line of each field the task gave a value for (by field name).
  std::map<std::string, int> fields;
  std::vector<int> depends_on; ///< one per entry of task_spec::depends_on

  /// The line of `field`, or of the task if it was not given.
  int of(const std::string& field) const;
};

/// A task as read from a file, with its lines.
struct located_spec {
  task_spec spec;
  task_lines lines;
  /// Fields whose value the reader refused (and reported): they are not
  /// reported again as missing.
  std::set<std::string> refused;
};

/// Checks the rules within and between tasks read from one file: required
/// fields (key, title, test_file, impl_file, verify; `defaults` must have
/// been applied), key format, duplicate keys, unknown and self dependencies
/// (keys in `existing` are known), dependency cycles over the tasks and
/// `existing` (a task overrides an existing node with the same key) and
/// paths that leave the repo. Returns every error, sorted by line, located
/// in `source`.
diagnostics validate_tasks(const std::vector<located_spec>& tasks,
                           const std::vector<graph_node>& existing,
                           const std::string& source);

/// How a task is named in messages: its key (quoted if it is not a valid
/// key), or `#<n>` (1-based position in the file) if it has none.
std::string task_label(const task_spec& spec, size_t index);

} // namespace tdd::core
