#pragma once

// The prompt an agent gets for one stage of one task (SPEC.md 4): what to
// build, which files, and the rules the orchestrator checks afterwards. The
// prompt reaches the agent on stdin and in $TDD_PROMPT_FILE, never in argv,
// so task text is embedded byte for byte.

#include "core/task.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace tdd::core {

/// Bytes of failure output a prompt keeps: the tail, where test runners
/// print their summary.
inline constexpr size_t prompt_failure_limit = size_t{8} * 1024;

/// The prompt for `stage` ("red", "green", "fix" or "refactor") of `task`,
/// attempt `attempt` (1 = first). Holds the goal, acceptance criteria, test
/// and implementation files, the command that checks the work, and the
/// stage's rules. `failure_output` (for fix: the failing `verify_all`
/// output; for a retry: what failed last time) is included when not empty,
/// cut to its last `prompt_failure_limit` bytes with a note saying so.
/// Task text and output are embedded verbatim, whatever bytes they hold.
/// Returns "" for stages no agent works in (verify, commit, unknown).
std::string build_prompt(const task_spec& task, std::string_view stage,
                         int attempt, std::string_view failure_output);

} // namespace tdd::core
