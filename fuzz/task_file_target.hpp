#pragma once

// One input of the task-file fuzz target: `config::parse_task_file` on the
// bytes as tasks.yaml, without and with stored tasks, and the promises its
// header makes about the result.

#include "config/task_file.hpp"
#include "core/task.hpp"
#include "core/task_graph.hpp"
#include "fuzz/findings.hpp"

#include <nlohmann/json.hpp>

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace tdd::fuzz {

namespace task_file_detail {

inline constexpr const char* source = "tasks.yaml";

/// Stored tasks: a file can depend on them, and OLD-3 waits for T-1, so a
/// file task T-1 depending on OLD-3 closes a cycle through them.
inline const std::vector<core::graph_node>& stored_tasks() {
  static const std::vector<core::graph_node> nodes{
    {"OLD-1", {}, 0, core::task_status::complete},
    {"OLD-2", {"OLD-1"}, 1, core::task_status::pending},
    {"OLD-3", {"T-1"}, 0, core::task_status::pending},
  };
  return nodes;
}

inline bool same(const config::task_file_result& x,
                 const config::task_file_result& y) {
  if (x.tasks.size() != y.tasks.size() || x.errors.size() != y.errors.size()) {
    return false;
  }
  for (size_t i = 0; i < x.tasks.size(); ++i) {
    if (x.tasks[i].spec != y.tasks[i].spec
        || x.tasks[i].line != y.tasks[i].line) {
      return false;
    }
  }
  for (size_t i = 0; i < x.errors.size(); ++i) {
    if (x.errors[i].to_string() != y.errors[i].to_string()) {
      return false;
    }
  }
  return true;
}

inline void check_errors(const core::diagnostics& errors, findings& out) {
  int previous_line = 0;
  for (const auto& e : errors) {
    out.expect(e.source == source, "an error does not name tasks.yaml");
    out.expect(e.line >= 0, "an error has a negative line");
    out.expect(e.line >= previous_line, "errors are not sorted by line");
    out.expect(!e.message.empty(), "an error has no message");
    previous_line = e.line;
  }
}

/// What validation promises of every task it lets through.
inline void check_tasks(const std::vector<config::located_task>& tasks,
                        const std::vector<core::graph_node>& existing,
                        findings& out) {
  std::set<std::string> known;
  for (const auto& node : existing) {
    known.insert(node.key);
  }
  std::set<std::string> keys;
  for (const auto& task : tasks) {
    out.expect(keys.insert(task.spec.key).second, "a duplicate key passed");
  }
  for (const auto& task : tasks) {
    const auto& spec = task.spec;
    out.expect(task.line >= 1, "a task has no line");
    out.expect(core::is_valid_task_key(spec.key), "an invalid key passed");
    out.expect(!spec.title.empty() && !spec.test_file.empty()
                 && !spec.impl_file.empty() && !spec.verify.empty(),
               "a task lacks a required field");
    out.expect(core::path_escape_reason(spec.test_file).empty()
                 && core::path_escape_reason(spec.impl_file).empty(),
               "a path leaving the repo passed");
    for (const auto& dep : spec.depends_on) {
      out.expect(dep != spec.key, "a self-dependency passed");
      out.expect(keys.count(dep) > 0 || known.count(dep) > 0,
                 "an unknown dependency passed");
    }
  }
  // The stored tasks have no cycle of their own, so any cycle is the file's.
  auto nodes = existing;
  for (const auto& task : tasks) {
    nodes.push_back({task.spec.key, task.spec.depends_on, task.spec.phase,
                     core::task_status::pending});
  }
  out.expect(core::task_graph{nodes}.find_cycle().empty(),
             "a dependency cycle passed");
}

/// The tasks written back as a JSON task file.
inline std::string as_json(const std::vector<config::located_task>& tasks) {
  auto list = nlohmann::json::array();
  for (const auto& task : tasks) {
    const auto& spec = task.spec;
    list.push_back({{"key", spec.key},
                    {"title", spec.title},
                    {"goal", spec.goal},
                    {"acceptance", spec.acceptance},
                    {"test_file", spec.test_file},
                    {"impl_file", spec.impl_file},
                    {"verify", spec.verify},
                    {"verify_all", spec.verify_all},
                    {"depends_on", spec.depends_on},
                    {"phase", spec.phase},
                    {"complexity", core::to_string(spec.complexity)}});
  }
  // Throws json::type_error for text that is not UTF-8: such a task has no
  // JSON form, and the caller skips the round trip.
  return nlohmann::json{{"tasks", list}}.dump(2);
}

/// The header promises JSON task files: what was read, written as JSON,
/// must read back the same.
inline void check_json_round_trip(const config::task_file_result& result,
                                  const std::vector<core::graph_node>& existing,
                                  findings& out) {
  std::string json;
  try {
    json = as_json(result.tasks);
  } catch (const nlohmann::json::type_error&) {
    return;
  }
  const auto again = config::parse_task_file(json, source, existing);
  out.expect(
    again.errors.empty(),
    "its JSON form does not load: "
      + (again.errors.empty() ? std::string{} : again.errors[0].to_string()));
  out.expect(again.tasks.size() == result.tasks.size(),
             "its JSON form has another number of tasks");
  for (size_t i = 0; i < again.tasks.size() && i < result.tasks.size(); ++i) {
    out.expect(again.tasks[i].spec == result.tasks[i].spec,
               "its JSON form reads back different: task "
                 + result.tasks[i].spec.key);
  }
}

} // namespace task_file_detail

/// The first broken invariant for `data` as a task file, "" if none.
inline std::string check_task_file(std::string_view data) {
  using namespace task_file_detail;
  const std::string text{data};
  findings out;
  const std::vector<core::graph_node> none;
  for (const auto* existing : {&none, &stored_tasks()}) {
    const auto result = config::parse_task_file(text, source, *existing);
    const auto again = config::parse_task_file(text, source, *existing);
    out.expect(same(result, again), "two parses differ");
    out.expect(result.tasks.empty() != result.errors.empty(),
               "not either tasks or errors");
    check_errors(result.errors, out);
    check_tasks(result.tasks, *existing, out);
    if (!result.tasks.empty()) {
      check_json_round_trip(result, *existing, out);
    }
  }
  return out.first();
}

} // namespace tdd::fuzz
