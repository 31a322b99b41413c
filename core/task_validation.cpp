#include "core/task_validation.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <set>

namespace tdd::core {

namespace {

/// Index of the first task with each (non-empty) key.
using first_index = std::map<std::string, size_t>;

/// A key as shown in messages: bare when valid, quoted otherwise.
std::string show_key(const std::string& key) {
  return is_valid_task_key(key) ? key : quote(key);
}

class checker {
public:
  checker(const std::vector<located_spec>& tasks, const std::string& source)
      : tasks_(tasks), source_(source) {}

  void check_keys() {
    for (size_t i = 0; i < tasks_.size(); ++i) {
      const auto& spec = tasks_[i].spec;
      const auto& lines = tasks_[i].lines;
      const int line = lines.of("key");
      if (spec.key.empty()) {
        continue;
      }
      if (!is_valid_task_key(spec.key)) {
        add(line, "invalid task key " + quote(spec.key)
                    + ": use 1 to 64 of A-Z a-z 0-9 . _ -");
      }
      const auto [at, fresh] = first_.emplace(spec.key, i);
      if (!fresh) {
        const auto& other = tasks_[at->second].lines;
        add(line, "duplicate task key " + quote(spec.key)
                    + " (first defined on line "
                    + std::to_string(other.of("key")) + ")");
      }
    }
  }

  void check_paths() {
    for (const auto& task : tasks_) {
      check_path("test_file", task.spec.test_file, task.lines.of("test_file"));
      check_path("impl_file", task.spec.impl_file, task.lines.of("impl_file"));
    }
  }

  void check_dependencies(const std::vector<graph_node>& existing) {
    std::set<std::string> known;
    for (const auto& node : existing) {
      known.insert(node.key);
    }
    for (size_t i = 0; i < tasks_.size(); ++i) {
      const auto& spec = tasks_[i].spec;
      const auto& lines = tasks_[i].lines;
      for (size_t j = 0; j < spec.depends_on.size(); ++j) {
        const auto& dep = spec.depends_on[j];
        const int line
          = j < lines.depends_on.size() ? lines.depends_on[j] : lines.task;
        const auto who = "task " + task_label(spec, i);
        if (!spec.key.empty() && dep == spec.key) {
          add(line, who + " depends on itself");
        } else if (known.count(dep) == 0 && first_.count(dep) == 0) {
          add(line, who + " depends on unknown task " + quote(dep));
        }
      }
    }
  }

  void check_required() {
    for (size_t i = 0; i < tasks_.size(); ++i) {
      const auto& spec = tasks_[i].spec;
      const std::array<std::pair<const char*, const std::string*>, 5> required{
        {{"key", &spec.key},
         {"title", &spec.title},
         {"test_file", &spec.test_file},
         {"impl_file", &spec.impl_file},
         {"verify", &spec.verify}}};
      for (const auto& [name, value] : required) {
        if (value->empty() && tasks_[i].refused.count(name) == 0) {
          report_missing(i, name);
        }
      }
    }
  }

  void check_cycles(const std::vector<graph_node>& existing);

  diagnostics take() {
    std::stable_sort(
      out_.begin(), out_.end(),
      [](const diagnostic& x, const diagnostic& y) { return x.line < y.line; });
    return std::move(out_);
  }

private:
  void add(int line, std::string message) {
    out_.push_back({source_, line, std::move(message)});
  }

  void check_path(const char* field, const std::string& path, int line) {
    if (path.empty()) {
      return; // a missing path is the reader's error
    }
    if (const auto reason = path_escape_reason(path); !reason.empty()) {
      add(line, std::string{field} + ": " + reason);
    }
  }

  void report_missing(size_t index, const std::string& name) {
    const auto& spec = tasks_[index].spec;
    const auto& lines = tasks_[index].lines;
    if (lines.fields.count(name) > 0) {
      add(lines.of(name), name + " must not be empty");
      return;
    }
    auto message = "task " + task_label(spec, index)
                   + " is missing required field " + quote(name);
    if (name == "verify") {
      message += " (set it on the task or in defaults)";
    }
    add(lines.task, std::move(message));
  }

  std::vector<graph_node> file_nodes() const;

  const std::vector<located_spec>& tasks_;
  const std::string& source_;
  first_index first_;
  diagnostics out_;
};

std::vector<graph_node> checker::file_nodes() const {
  std::vector<graph_node> out;
  for (const auto& entry : first_) {
    const auto& key = entry.first; // lambdas cannot capture bindings in C++17
    const auto& spec = tasks_[entry.second].spec;
    graph_node node{key, {}, spec.phase, task_status::pending};
    // Self-dependencies are reported on their own, not as cycles.
    std::copy_if(spec.depends_on.begin(), spec.depends_on.end(),
                 std::back_inserter(node.depends_on),
                 [&key](const std::string& dep) { return dep != key; });
    out.push_back(std::move(node));
  }
  return out;
}

void checker::check_cycles(const std::vector<graph_node>& existing) {
  // Report a cycle, drop its tasks and look again, so that every disjoint
  // cycle is reported once. Cycles among stored tasks alone are not this
  // file's doing and are skipped.
  auto nodes = existing;
  auto mine = file_nodes();
  nodes.insert(nodes.end(), mine.begin(), mine.end());
  for (;;) {
    const auto cycle = task_graph{nodes}.find_cycle();
    if (cycle.empty()) {
      return;
    }
    const auto in_file = std::find_if(
      cycle.begin(), cycle.end(),
      [this](const std::string& key) { return first_.count(key) > 0; });
    if (in_file != cycle.end()) {
      std::string text;
      for (const auto& key : cycle) {
        text += (text.empty() ? "" : " -> ") + show_key(key);
      }
      add(tasks_[first_.at(*in_file)].lines.task, "dependency cycle: " + text);
    }
    const std::set<std::string> drop(cycle.begin(), cycle.end());
    nodes.erase(std::remove_if(nodes.begin(), nodes.end(),
                               [&drop](const graph_node& node) {
                                 return drop.count(node.key) > 0;
                               }),
                nodes.end());
  }
}

} // namespace

diagnostics validate_tasks(const std::vector<located_spec>& tasks,
                           const std::vector<graph_node>& existing,
                           const std::string& source) {
  checker check{tasks, source};
  check.check_required();
  check.check_keys();
  check.check_paths();
  check.check_dependencies(existing);
  check.check_cycles(existing);
  return check.take();
}

int task_lines::of(const std::string& field) const {
  const auto at = fields.find(field);
  return at != fields.end() ? at->second : task;
}

std::string task_label(const task_spec& spec, size_t index) {
  if (spec.key.empty()) {
    return "#" + std::to_string(index + 1);
  }
  return show_key(spec.key);
}

} // namespace tdd::core
