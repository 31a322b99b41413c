#pragma once

#include "cli/output.hpp"
#include "messages/task.hpp"

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

namespace tdd::cli {

/// One task as the JSON of `tasks list` / `tasks show` (docs/json.md).
nlohmann::json task_json(const task_row& row);

/// Attempts as a JSON array (docs/json.md).
nlohmann::json attempts_json(const std::vector<attempt_row>& attempts);

/// The `tasks list` table.
table task_table(const std::vector<task_row>& rows);

/// The human page of `tasks show`.
std::string task_details(const task_row& row,
                         const std::vector<attempt_row>& attempts);

/// Money stored as micro-dollars, shown as dollars with cents ("$0.12").
std::string format_usd(int64_t micros);

/// A duration in milliseconds, shown compactly ("850ms", "12.3s", "4m05s").
std::string format_duration_ms(int64_t ms);

} // namespace tdd::cli
