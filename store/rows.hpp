#pragma once

// Internal to store/: turning result rows into message structs. Each reader
// expects the column order of the matching statement in
// database_statements.cpp.

#include "messages/task.hpp"
#include "store/sqlite_handle.hpp"

#include <caf/expected.hpp>

#include <string>
#include <vector>

namespace tdd::store {

/// Splits newline-joined keys (as group_concat returns them) and sorts them.
std::vector<std::string> split_sorted(const std::string& joined);

/// Columns of TDD_TASK_COLUMNS.
[[nodiscard]] caf::expected<task_row> read_task_row(const statement& s);

/// Columns: key, phase, status, joined dependencies.
[[nodiscard]] caf::expected<core::graph_node>
read_graph_node(const statement& s);

/// Columns of the attempts_of statement.
attempt_row read_attempt_row(const statement& s);

} // namespace tdd::store
