#pragma once

// The monitoring endpoints' documents, as the CLI renders them: /healthz is
// `circuits health --json`, /api/status is `status --json` (SPEC.md 6).

#include "actors/metrics.hpp"

#include <string>

namespace tdd::cli {

/// The metrics actor's configuration for the database at `db_path`, with
/// the CLI's renderers for /healthz and /api/status.
metrics_config monitor_config(const std::string& db_path);

} // namespace tdd::cli
