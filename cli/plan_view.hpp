#pragma once

// `run --dry-run`: the plan as a table or one JSON document (docs/json.md).

#include <nlohmann/json_fwd.hpp>

#include <iosfwd>
#include <string>

namespace tdd::core {
struct run_plan;
} // namespace tdd::core

namespace tdd::cli {

/// The `plan` object of `run --dry-run --json`: waves (numbered from 1),
/// unrunnable tasks with their reason, tasks already complete, the start
/// order and the number of tasks in the waves.
nlohmann::json plan_json(const core::run_plan& plan);

/// The human page: "Plan: N tasks in W waves", one table (WAVE, PHASE,
/// TASK, DEPENDS ON, NOTE), then the tasks that will not run and why, and
/// those complete already.
std::string plan_text(const core::run_plan& plan);

/// Writes plan_text, or `{"plan": plan_json}` when `json`, to `out`.
void print_plan(const core::run_plan& plan, bool json, std::ostream& out);

} // namespace tdd::cli
