#pragma once

#include "cli/workspace.hpp"
#include "store/database.hpp"

#include <optional>

namespace tdd::cli {

/// Opens the workspace's database for a command, printing a clear error
/// (and returning nothing) when there is none yet or it cannot be used.
/// Never creates a database: only `init` does.
std::optional<store::database> open_database(const global_options& opts,
                                             store::open_mode mode,
                                             workspace* ws_out = nullptr);

/// As open_database read-only, but prints nothing: on failure `why` says
/// what is wrong (for `circuits health`, which reports it as UNKNOWN).
std::optional<store::database> open_database_quietly(const global_options& opts,
                                                     std::string& why);

} // namespace tdd::cli
