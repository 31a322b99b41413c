#include "core/task.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace tdd::core {

namespace {

constexpr std::array<std::pair<task_status, std::string_view>, 4> status_names{
  {{task_status::pending, "pending"},
   {task_status::running, "running"},
   {task_status::complete, "complete"},
   {task_status::blocked, "blocked"}}};

constexpr std::array<std::pair<task_complexity, std::string_view>, 3>
  complexity_names{{{task_complexity::low, "low"},
                    {task_complexity::medium, "medium"},
                    {task_complexity::high, "high"}}};

template <class Enum, size_t N>
std::string name_of(const std::array<std::pair<Enum, std::string_view>, N>& xs,
                    Enum x) {
  for (const auto& [value, name] : xs) {
    if (value == x) {
      return std::string{name};
    }
  }
  return "unknown";
}

template <class Enum, size_t N>
std::optional<Enum>
value_of(const std::array<std::pair<Enum, std::string_view>, N>& xs,
         std::string_view x) {
  for (const auto& [value, name] : xs) {
    if (name == x) {
      return value;
    }
  }
  return std::nullopt;
}

bool is_key_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
         || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/// The placeholder at the start of `rest` and its value, if any.
std::optional<std::pair<size_t, const std::string*>>
match_placeholder(std::string_view rest, const task_spec& task) {
  const std::array<std::pair<std::string_view, const std::string*>, 3> names{
    {{"{test_file}", &task.test_file},
     {"{impl_file}", &task.impl_file},
     {"{key}", &task.key}}};
  for (const auto& [name, value] : names) {
    if (rest.substr(0, name.size()) == name) {
      return std::make_pair(name.size(), value);
    }
  }
  return std::nullopt;
}

} // namespace

std::string to_string(task_status x) {
  return name_of(status_names, x);
}

std::optional<task_status> parse_task_status(std::string_view x) {
  return value_of(status_names, x);
}

std::string to_string(task_complexity x) {
  return name_of(complexity_names, x);
}

std::optional<task_complexity> parse_task_complexity(std::string_view x) {
  return value_of(complexity_names, x);
}

bool operator==(const task_spec& x, const task_spec& y) {
  return x.key == y.key && x.title == y.title && x.goal == y.goal
         && x.acceptance == y.acceptance && x.test_file == y.test_file
         && x.impl_file == y.impl_file && x.verify == y.verify
         && x.verify_all == y.verify_all && x.depends_on == y.depends_on
         && x.phase == y.phase && x.complexity == y.complexity;
}

bool is_valid_task_key(std::string_view key) {
  if (key.empty() || key.size() > 64) {
    return false;
  }
  return std::all_of(key.begin(), key.end(), is_key_char);
}

std::string quote(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      constexpr std::string_view digits = "0123456789abcdef";
      out += "\\x";
      out += digits[byte >> 4U];
      out += digits[byte & 0xfU];
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

std::string path_escape_reason(std::string_view path) {
  if (path.empty()) {
    return "the path is empty";
  }
  if (path.find('\0') != std::string_view::npos) {
    return quote(path) + " contains a NUL byte";
  }
  if (path.front() == '/') {
    return quote(path) + " is absolute";
  }
  int depth = 0;
  size_t pos = 0;
  while (pos <= path.size()) {
    const size_t end = std::min(path.find('/', pos), path.size());
    const auto part = path.substr(pos, end - pos);
    if (part == "..") {
      if (--depth < 0) {
        return quote(path) + " leaves the repository";
      }
    } else if (!part.empty() && part != ".") {
      ++depth;
    }
    pos = end + 1;
  }
  return {};
}

std::string expand_placeholders(std::string_view command,
                                const task_spec& task) {
  std::string out;
  out.reserve(command.size());
  size_t pos = 0;
  while (pos < command.size()) {
    if (command[pos] == '{') {
      if (const auto hit = match_placeholder(command.substr(pos), task)) {
        out += *hit->second;
        pos += hit->first;
        continue;
      }
    }
    out += command[pos++];
  }
  return out;
}

} // namespace tdd::core
