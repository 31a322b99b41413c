#pragma once

#include "core/diagnostic.hpp"
#include "core/task.hpp"
#include "core/task_graph.hpp"

#include <string>
#include <vector>

namespace tdd::config {

/// A task from a task file with the line it starts on, for later errors
/// such as "refusing to change a running task".
struct located_task {
  core::task_spec spec;
  int line = 0;
};

/// The outcome of reading a task file: either tasks or errors, never both.
struct task_file_result {
  std::vector<located_task> tasks;
  core::diagnostics errors; ///< every problem found, in file order
};

/// Reads and validates a YAML (or JSON) task file: required and unknown
/// fields, types, key format, duplicate keys, unknown dependencies (keys in
/// `existing` are known), dependency cycles (over the file's tasks together
/// with `existing`, the cycle printed), paths escaping the repo. `defaults`
/// are applied before validation. Each error is located as `path:line:`
/// using `display_path` as the file name.
task_file_result load_task_file(const std::string& path,
                                const std::string& display_path,
                                const std::vector<core::graph_node>& existing);

/// As load_task_file, from text already in memory (for tests and stdin).
task_file_result parse_task_file(const std::string& text,
                                 const std::string& display_path,
                                 const std::vector<core::graph_node>& existing);

} // namespace tdd::config
