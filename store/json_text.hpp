#pragma once

// JSON arrays of strings, as stored in `tasks.acceptance`. Bytes pass
// through unchanged (task text may be any bytes, including invalid UTF-8,
// which SQLite's json_valid accepts); only what JSON requires is escaped.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tdd::store {

/// `["a","b\n"]`: escapes `"`, `\` and control characters only.
std::string to_json_array(const std::vector<std::string>& xs);

/// Parses what to_json_array writes, and any JSON array of strings (with
/// \uXXXX escapes and surrogate pairs); std::nullopt on anything else.
std::optional<std::vector<std::string>> parse_json_array(std::string_view x);

} // namespace tdd::store
