#pragma once

#include "cli/output.hpp"
#include "cli/workspace.hpp"
#include "core/circuit.hpp"
#include "core/health.hpp"

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string>
#include <vector>

namespace tdd::store {
class database;
} // namespace tdd::store

namespace tdd::cli {

/// `circuits status --level/--state`.
struct circuit_filter {
  std::optional<core::circuit_level> level;
  std::optional<core::circuit_state> state;

  std::vector<core::circuit_snapshot>
  apply(const std::vector<core::circuit_snapshot>& all) const;
};

/// Parses the filter flags; prints the error and returns false when bad.
bool parse_filter(const std::string& level, const std::string& state,
                  circuit_filter& out);

/// The `circuits` array of `circuits status --json` (docs/json.md).
nlohmann::json circuits_json(const std::vector<core::circuit_snapshot>& xs,
                             core::wall_time now);

/// The `circuits status` table.
table circuits_table(const std::vector<core::circuit_snapshot>& xs,
                     core::wall_time now);

/// A health verdict and what it was judged on.
struct health_check {
  core::health_report report;
  core::health_input input;
};

/// Judges health from `db` (SPEC.md 5): UNKNOWN with reason `why` when
/// `db` is null, or with the error when it cannot be read.
health_check check_health(store::database* db, std::string why);

/// `circuits health --json` (SPEC.md 5).
nlohmann::json health_json(const core::health_report& report,
                           const core::health_input& input,
                           const std::string& checked_at);

/// The human `circuits health` page.
std::string health_text(const core::health_report& report,
                        const core::health_input& input);

/// `circuits reset ID [--force]`.
struct reset_options {
  std::string id;
  bool force = false;
};

/// Turns the ID argument into the circuits to reset: checks the form, that
/// the task/stage/worker exists, and asks (TTY) or refuses (no --force)
/// for `all`. Prints errors; returns an exit code.
int resolve_reset_targets(store::database& db, const reset_options& args,
                          core::wall_time now,
                          std::vector<core::circuit_ref>& out);

/// Resets the targets: through the `control` table when a run is live (and
/// waits up to 3 s for it to pick the command up), else directly in the
/// database. Prints what happened; returns an exit code.
int apply_reset(const global_options& opts, store::database& db,
                const std::vector<core::circuit_ref>& targets, bool all,
                core::wall_time now);

} // namespace tdd::cli
