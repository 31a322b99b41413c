#pragma once

#include "cli/workspace.hpp"
#include "store/database.hpp"

#include <optional>
#include <string>
#include <vector>

namespace tdd::cli {

/// This machine's host name as runs record it ("unknown" if it has none).
std::string host_name();

/// The active run, if its process is alive: it still holds the run lock
/// (cli/run_lock.hpp). A recorded pid alone proves nothing: pids are
/// reused.
std::optional<store::run_info> live_run(store::database& db);

/// Hands `command` for each argument to the live run through the `control`
/// table (ARCHITECTURE.md "Live control") and waits up to 3 s for the run
/// to pick them up; prints what happened. Returns an exit code.
int hand_to_live_run(const global_options& opts, store::database& db,
                     const store::run_info& run, const std::string& command,
                     const std::vector<std::string>& arguments);

} // namespace tdd::cli
