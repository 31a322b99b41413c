#pragma once

// Persisted timestamps are UTC ISO-8601 text with milliseconds,
// `2026-11-26T17:00:00.123Z`: the form SQLite's
// strftime('%Y-%m-%dT%H:%M:%fZ', ...) writes, so stored rows, views and
// C++ agree, and text order is time order.

#include "core/circuit.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace tdd::store {

/// `t` as `YYYY-MM-DDTHH:MM:SS.mmmZ`, truncated (towards the past) to
/// milliseconds. Meant for years 0000 to 9999, where text order is time
/// order.
std::string format_time(core::wall_time t);

/// Parses `YYYY-MM-DDTHH:MM:SS[.f]Z` with 1 to 9 fraction digits (UTC only);
/// nullopt for anything else, including impossible dates such as February
/// 30. format_time's output parses back to the same millisecond.
std::optional<core::wall_time> parse_time(std::string_view text);

} // namespace tdd::store
