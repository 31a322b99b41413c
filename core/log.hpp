#pragma once

// The project's one log format (STYLE.md "Logging"): one `key=value` line on
// stderr per event, the actor (name and id) first. stdout stays for CLI
// output.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace tdd::core {

/// Writes `level=L actor=A id=N event=E key="value" ...` with one write, so
/// lines of different threads never mix; values are quoted and escaped so a
/// line stays one line whatever bytes they hold.
void log_line(
  std::string_view level, std::string_view actor, uint64_t id,
  std::string_view event,
  std::initializer_list<std::pair<std::string_view, std::string>> fields);

} // namespace tdd::core
