#pragma once

// Whether `run` may start: one run per database (cli/run_lock.hpp), and a
// run whose process died is finished (SPEC.md 8) before --resume goes on.

#include "cli/run_lock.hpp"
#include "store/database.hpp"

#include <optional>

namespace tdd::cli {

/// Takes the run lock into `lock` (held until the run ends), refuses a
/// second run, finishes a dead one when resuming. Returns an exit code, or
/// nullopt to go on. The lock decides whether a run is alive: a recorded
/// pid may belong to another process by now.
std::optional<int> check_active_run(store::database& db, bool resume,
                                    std::optional<run_lock>& lock);

} // namespace tdd::cli
