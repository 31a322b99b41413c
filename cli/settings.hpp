#pragma once

// The effective configuration for a command: orchestrator.yaml (or
// --config), the environment and the command's own flags.

#include "cli/workspace.hpp"
#include "config/config_loader.hpp"

#include <optional>
#include <vector>

namespace tdd::cli {

/// What load_config reads for this invocation, plus `flags`.
config::config_request make_config_request(const global_options& opts,
                                           std::vector<config::flag_value> flags
                                           = {});

/// Loads the configuration; prints every problem (naming its source) and
/// returns nothing when there is one.
std::optional<config::loaded_config>
load_settings(const global_options& opts,
              std::vector<config::flag_value> flags = {});

} // namespace tdd::cli
