#pragma once

// Internal to exec/agent_*.cpp: text helpers and the per-preset readers
// that `interpret` dispatches to. Not part of the exec API.

#include "exec/agent.hpp"

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace tdd::exec::detail {

/// `text` split at '\n', a trailing '\r' dropped from each line.
std::vector<std::string_view> split_lines(std::string_view text);

/// `text` without leading and trailing blanks (space, tab, CR, LF).
std::string_view trim(std::string_view text);

/// ASCII lower case; other bytes unchanged.
std::string lower(std::string_view text);

/// True if `haystack` contains any of `needles`.
bool contains_any(std::string_view haystack,
                  std::initializer_list<std::string_view> needles);

/// The last line of `text` that is not blank, trimmed; "" if none.
std::string_view last_line(std::string_view text);

/// `text` for a one-line message: control bytes become spaces, at most 400
/// bytes (cut on a UTF-8 boundary, "..." appended).
std::string one_line(std::string_view text);

/// "exited with status 3" or "was killed by signal 9" (exit code 128 + N).
std::string exit_text(int exit_code);

/// A Unix time in seconds; values that only fit milliseconds are divided.
int64_t normalize_epoch(int64_t value);

agent_report interpret_claude(const command_result& result);
agent_report interpret_codex(const command_result& result);
agent_report interpret_aider(const command_result& result);

} // namespace tdd::exec::detail
