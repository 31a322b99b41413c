#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tdd::core {

/// Lifecycle of a task; the names are the ones users type and read.
enum class task_status { pending, running, complete, blocked };

/// Scales stage timeouts and agent turns.
enum class task_complexity { low, medium, high };

std::string to_string(task_status x);
std::optional<task_status> parse_task_status(std::string_view x);
std::string to_string(task_complexity x);
std::optional<task_complexity> parse_task_complexity(std::string_view x);

/// One TDD task as the user wrote it in the task file (after `defaults`
/// were applied). This is what `tasks import` stores.
struct task_spec {
  std::string key;   ///< unique, matches [A-Za-z0-9._-]{1,64}
  std::string title; ///< required
  std::string goal;
  std::vector<std::string> acceptance;
  std::string test_file;  ///< relative to the repo root
  std::string impl_file;  ///< relative to the repo root
  std::string verify;     ///< shell command for the task's own test
  std::string verify_all; ///< full suite for the verify stage; "" = verify
  std::vector<std::string> depends_on;
  int phase = 0; ///< lower phases run first; tasks without one are phase 0
  task_complexity complexity = task_complexity::medium;
};

bool operator==(const task_spec& x, const task_spec& y);
inline bool operator!=(const task_spec& x, const task_spec& y) {
  return !(x == y);
}

/// True if `key` matches [A-Za-z0-9._-]{1,64}.
bool is_valid_task_key(std::string_view key);

/// Quotes user text for messages: `"` and `\` are escaped, control bytes
/// shown as `\n`, `\t` or `\xNN`; other bytes (UTF-8 or not) are kept.
std::string quote(std::string_view text);

/// Returns why `path` (relative to the repo root) would leave the repo, or
/// an empty string if it stays inside: absolute paths and `..` components
/// that climb above the root are refused. Purely lexical; symlinks are
/// checked where the file system is at hand.
std::string path_escape_reason(std::string_view path);

/// Replaces `{test_file}`, `{impl_file}` and `{key}` in `command`; any other
/// brace text is left as it is.
std::string expand_placeholders(std::string_view command,
                                const task_spec& task);

} // namespace tdd::core
