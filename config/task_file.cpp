#include "config/task_file.hpp"

#include "config/yaml_documents.hpp"
#include "core/suggest.hpp"
#include "core/task_validation.hpp"

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <system_error>

namespace tdd::config {

namespace {

using core::quote;

// Ties in "did you mean" go to the earlier name: `file` suggests test_file.
const std::vector<std::string> task_fields{
  "key",    "test_file",  "impl_file",  "title", "goal",      "acceptance",
  "verify", "verify_all", "depends_on", "phase", "complexity"};

// Per-task identity (key, title) and dependencies make no sense as defaults.
const std::vector<std::string> default_fields{
  "goal",   "acceptance", "test_file", "impl_file",
  "verify", "verify_all", "phase",     "complexity"};

/// The task_spec member behind a string field, or nullptr.
std::string core::task_spec::*string_member(std::string_view name) {
  static const std::map<std::string_view, std::string core::task_spec::*>
    strings{{"key", &core::task_spec::key},
            {"title", &core::task_spec::title},
            {"goal", &core::task_spec::goal},
            {"test_file", &core::task_spec::test_file},
            {"impl_file", &core::task_spec::impl_file},
            {"verify", &core::task_spec::verify},
            {"verify_all", &core::task_spec::verify_all}};
  const auto it = strings.find(name);
  return it == strings.end() ? nullptr : it->second;
}

/// Copies field `name` from `from` to `to`.
void copy_field(std::string_view name, const core::task_spec& from,
                core::task_spec& to) {
  if (auto member = string_member(name)) {
    to.*member = from.*member;
  } else if (name == "acceptance") {
    to.acceptance = from.acceptance;
  } else if (name == "phase") {
    to.phase = from.phase;
  } else if (name == "complexity") {
    to.complexity = from.complexity;
  }
}

const std::vector<std::string> top_fields{"defaults", "tasks"};

int line_or(int line, int fallback) {
  return line > 0 ? line : fallback;
}

/// 1-based line of a node; 0 if yaml-cpp has no position for it.
int line_of(const YAML::Node& node) {
  const auto mark = node.Mark();
  return mark.is_null() ? 0 : mark.line + 1;
}

/// One `name: value` entry of a map, with the line of the name.
struct field {
  std::string name;
  int line = 0;
  YAML::Node value;
};

/// Stores `value` if there is one; false if it was wrong (and reported).
template <class T> bool assign(T& dst, std::optional<T> value) {
  if (!value) {
    return false;
  }
  dst = std::move(*value);
  return true;
}

std::optional<int> parse_phase(const std::string& text) {
  if (text.empty() || text.size() > 9
      || !std::all_of(text.begin(), text.end(),
                      [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return std::stoi(text);
}

/// Rewrites JSON's UTF-16 surrogate pairs (`\ud83d\ude00`, as Python's
/// json.dumps writes emoji) to YAML's `\U0001f600`, which yaml-cpp 0.7
/// understands; it rejects the pairs. Only called on valid JSON, where
/// every backslash is inside a double-quoted string.
std::string join_surrogate_pairs(const std::string& text) {
  const auto hex_at = [&text](size_t pos) -> long {
    if (pos + 6 > text.size() || text[pos] != '\\' || text[pos + 1] != 'u') {
      return -1;
    }
    return std::strtol(text.substr(pos + 2, 4).c_str(), nullptr, 16);
  };
  std::string out;
  for (size_t pos = 0; pos < text.size(); ++pos) {
    const long high = hex_at(pos);
    const long low = high >= 0xD800 && high < 0xDC00 ? hex_at(pos + 6) : -1;
    if (low >= 0xDC00 && low < 0xE000) {
      const long code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
      std::array<char, 11> buf{};
      // Cannot truncate: 10 characters for codes up to 0x10ffff.
      (void)std::snprintf(buf.data(), buf.size(), "\\U%08lx", code);
      out += buf.data();
      pos += 11;
      continue;
    }
    out += text[pos];
    if (text[pos] == '\\' && pos + 1 < text.size()) {
      out += text[++pos]; // keeps `\\u...` (an escaped backslash) as it is
    }
  }
  return out;
}

/// Turns the YAML tree into located specs, collecting every error.
class reader {
public:
  explicit reader(std::string source) : source_(std::move(source)) {}

  void error(int line, std::string message) {
    errors_.push_back({source_, line, std::move(message)});
  }

  void read_root(const YAML::Node& root);

  std::vector<core::located_spec>& tasks() { return tasks_; }
  core::diagnostics& errors() { return errors_; }

private:
  std::vector<field> fields_of(const YAML::Node& map, const std::string& where,
                               const std::vector<std::string>& known);
  void read_defaults(const YAML::Node& node);
  void read_task(const YAML::Node& node, size_t index);
  bool read_task_field(const field& f, core::located_spec& task);
  void apply_defaults(core::located_spec& task) const;
  std::optional<std::string> string_value(const field& f);
  std::optional<std::vector<std::string>>
  list_value(const field& f, bool allow_single, std::vector<int>* lines);
  template <class T, class Parse>
  std::optional<T> scalar_value(const field& f, const char* expected,
                                Parse parse);
  std::optional<int> phase_value(const field& f);
  std::optional<core::task_complexity> complexity_value(const field& f);

  std::string source_;
  core::diagnostics errors_;
  core::located_spec defaults_; ///< fields given in `defaults`
  std::vector<core::located_spec> tasks_;
};

/// The entries of `map` whose names are in `known`; reports the others and
/// names given twice. `where` completes "unknown field ... in <where>".
std::vector<field> reader::fields_of(const YAML::Node& map,
                                     const std::string& where,
                                     const std::vector<std::string>& known) {
  std::vector<field> out;
  std::map<std::string, int> seen;
  for (const auto& entry : map) {
    const int line = line_of(entry.first);
    if (!entry.first.IsScalar()) {
      error(line, "field names in " + where + " must be strings");
      continue;
    }
    const auto& name = entry.first.Scalar();
    if (const auto [at, fresh] = seen.emplace(name, line); !fresh) {
      error(line, "field " + quote(name) + " appears twice in " + where
                    + " (first on line " + std::to_string(at->second) + ")");
      continue;
    }
    if (std::find(known.begin(), known.end(), name) != known.end()) {
      out.push_back({name, line, entry.second});
      continue;
    }
    auto message = "unknown field " + quote(name) + " in " + where;
    if (const auto hints = core::close_matches(name, known, 2, 1);
        !hints.empty()) {
      message += " (did you mean " + quote(hints.front()) + "?)";
    }
    error(line, std::move(message));
  }
  return out;
}

void reader::read_root(const YAML::Node& root) {
  if (!root.IsMap()) {
    error(line_of(root), "the top level must be a map with a \"tasks\" list");
    return;
  }
  YAML::Node tasks;
  int tasks_line = 0;
  for (const auto& f : fields_of(root, "the top level", top_fields)) {
    if (f.name == "defaults") {
      read_defaults(f.value);
    } else {
      tasks = f.value;
      tasks_line = f.line;
    }
  }
  if (tasks_line == 0) {
    error(line_of(root), "missing required field \"tasks\"");
    return;
  }
  if (!tasks.IsSequence() || tasks.size() == 0) {
    error(tasks_line, "tasks must be a non-empty list of tasks");
    return;
  }
  size_t index = 0;
  for (const auto& task : tasks) {
    read_task(task, index++);
  }
}

void reader::read_defaults(const YAML::Node& node) {
  if (node.IsNull()) {
    return;
  }
  if (!node.IsMap()) {
    error(line_of(node), "defaults must be a map of task fields");
    return;
  }
  for (const auto& f : fields_of(node, "defaults", task_fields)) {
    if (std::find(default_fields.begin(), default_fields.end(), f.name)
        == default_fields.end()) {
      std::string allowed;
      for (const auto& name : default_fields) {
        allowed += (allowed.empty() ? "" : ", ") + name;
      }
      error(f.line, "field " + quote(f.name)
                      + " cannot be set in defaults (allowed: " + allowed
                      + ")");
    } else if (!f.value.IsNull() && read_task_field(f, defaults_)) {
      defaults_.lines.fields[f.name] = f.line;
    }
  }
}

void reader::read_task(const YAML::Node& node, size_t index) {
  core::located_spec task;
  task.lines.task = line_of(node);
  if (!node.IsMap()) {
    error(task.lines.task,
          "task #" + std::to_string(index + 1) + " must be a map of fields");
    return;
  }
  // The key goes first so that other messages can name the task.
  if (const auto key = node["key"]; key && key.IsScalar()) {
    task.spec.key = key.Scalar();
  }
  const auto fields = fields_of(
    node, "task " + core::task_label(task.spec, index), task_fields);
  for (const auto& f : fields) {
    if (f.value.IsNull()) {
      continue; // `name:` without a value counts as not given
    }
    task.lines.fields[f.name] = f.line;
    if (!read_task_field(f, task)) {
      task.refused.insert(f.name);
    }
  }
  apply_defaults(task);
  tasks_.push_back(std::move(task));
}

bool reader::read_task_field(const field& f, core::located_spec& task) {
  auto& spec = task.spec;
  if (const auto member = string_member(f.name)) {
    return assign(spec.*member, string_value(f));
  }
  if (f.name == "acceptance") {
    return assign(spec.acceptance, list_value(f, true, nullptr));
  }
  if (f.name == "depends_on") {
    return assign(spec.depends_on,
                  list_value(f, false, &task.lines.depends_on));
  }
  if (f.name == "phase") {
    return assign(spec.phase, phase_value(f));
  }
  return assign(spec.complexity, complexity_value(f));
}

/// Fills in from `defaults` what the task did not give.
void reader::apply_defaults(core::located_spec& task) const {
  for (const auto& given : defaults_.lines.fields) {
    if (task.lines.fields.count(given.first) == 0) {
      copy_field(given.first, defaults_.spec, task.spec);
    }
  }
}

std::optional<std::string> reader::string_value(const field& f) {
  if (f.value.IsNull()) {
    return std::nullopt;
  }
  if (!f.value.IsScalar()) {
    error(f.line, f.name + " must be a string");
    return std::nullopt;
  }
  return f.value.Scalar();
}

/// A list of strings; with `allow_single`, a lone string is a list of one.
/// Stores each entry's line in `lines` if given.
std::optional<std::vector<std::string>>
reader::list_value(const field& f, bool allow_single, std::vector<int>* lines) {
  const char* const what = allow_single
                             ? " must be a list of strings or a string"
                             : " must be a list of task keys";
  if (allow_single && f.value.IsScalar()) {
    return std::vector<std::string>{f.value.Scalar()};
  }
  if (!f.value.IsSequence()) {
    error(f.line, f.name + what);
    return std::nullopt;
  }
  std::vector<std::string> out;
  std::vector<int> entry_lines;
  for (const auto& entry : f.value) {
    if (!entry.IsScalar()) {
      error(line_or(line_of(entry), f.line), f.name + what);
      return std::nullopt;
    }
    out.push_back(entry.Scalar());
    entry_lines.push_back(line_or(line_of(entry), f.line));
  }
  if (lines != nullptr) {
    *lines = std::move(entry_lines);
  }
  return out;
}

/// A scalar that `parse` accepts; `expected` completes "<name> must be".
template <class T, class Parse>
std::optional<T> reader::scalar_value(const field& f, const char* expected,
                                      Parse parse) {
  if (f.value.IsNull()) {
    return std::nullopt;
  }
  if (!f.value.IsScalar()) {
    error(f.line, f.name + " must be " + expected);
    return std::nullopt;
  }
  if (auto x = parse(f.value.Scalar())) {
    return x;
  }
  error(f.line,
        f.name + " must be " + expected + ", got " + quote(f.value.Scalar()));
  return std::nullopt;
}

std::optional<int> reader::phase_value(const field& f) {
  return scalar_value<int>(f, "a non-negative integer", parse_phase);
}

std::optional<core::task_complexity> reader::complexity_value(const field& f) {
  return scalar_value<core::task_complexity>(f, "low, medium or high",
                                             core::parse_task_complexity);
}

/// Parses `text`; yaml-cpp's syntax errors become diagnostics.
std::optional<YAML::Node> parse_yaml(const std::string& text, reader& out) {
  try {
    // JSON is YAML, except for surrogate pairs (see join_surrogate_pairs).
    const auto yaml
      = nlohmann::json::accept(text) ? join_surrogate_pairs(text) : text;
    const auto docs = count_yaml_documents(yaml);
    if (docs.stuck) {
      out.error(docs.stuck->line + 1, stuck_message(yaml, *docs.stuck));
      return std::nullopt;
    }
    if (docs.count > 1) {
      const auto mark = docs.second_root.value_or(YAML::Mark::null_mark());
      out.error(mark.is_null() ? 0 : mark.line + 1,
                "expected one YAML document, found "
                  + std::to_string(docs.count));
      return std::nullopt;
    }
    auto root = docs.count == 0 ? YAML::Node{} : YAML::Load(yaml);
    if (root.IsNull()) {
      out.error(0, "the file is empty; expected a map with a \"tasks\" list");
      return std::nullopt;
    }
    return root;
  } catch (const YAML::Exception& e) {
    out.error(e.mark.is_null() ? 0 : e.mark.line + 1, e.msg);
    return std::nullopt;
  }
}

} // namespace

task_file_result
parse_task_file(const std::string& text, const std::string& display_path,
                const std::vector<core::graph_node>& existing) {
  reader in{display_path};
  if (const auto root = parse_yaml(text, in)) {
    in.read_root(*root);
  }
  auto& errors = in.errors();
  auto more = core::validate_tasks(in.tasks(), existing, display_path);
  errors.insert(errors.end(), more.begin(), more.end());
  std::stable_sort(
    errors.begin(), errors.end(),
    [](const auto& x, const auto& y) { return x.line < y.line; });
  task_file_result result;
  result.errors = std::move(errors);
  if (!result.errors.empty()) {
    return result;
  }
  for (auto& task : in.tasks()) {
    result.tasks.push_back({std::move(task.spec), task.lines.task});
  }
  return result;
}

task_file_result load_task_file(const std::string& path,
                                const std::string& display_path,
                                const std::vector<core::graph_node>& existing) {
  const auto fail = [&display_path](int code) {
    task_file_result result;
    result.errors.push_back(
      {display_path, 0,
       "cannot read: "
         + std::error_code{code, std::generic_category()}.message()});
    return result;
  };
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file{
    std::fopen(path.c_str(), "rb"), &std::fclose};
  if (!file) {
    return fail(errno);
  }
  std::string text;
  std::array<char, 65536> buf{};
  size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), file.get())) > 0) {
    text.append(buf.data(), n);
  }
  if (std::ferror(file.get()) != 0) {
    return fail(errno);
  }
  return parse_task_file(text, display_path, existing);
}

} // namespace tdd::config
