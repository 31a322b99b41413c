#pragma once

#include <string>
#include <string_view>

namespace tdd::core {

/// Appends `text` to `out` as a quoted JSON string, escaping only what JSON
/// requires (`"`, `\`, control bytes as \u00XX). Other bytes pass through
/// unchanged, invalid UTF-8 too, so stored task text keeps every byte.
void append_json_string(std::string& out, std::string_view text);

} // namespace tdd::core
