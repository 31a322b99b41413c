#pragma once

// `status`: the latest run, tasks by status, its workers and nodes, its
// budget and a circuits summary, as text or JSON (docs/json.md).

#include "core/circuit.hpp"
#include "core/health.hpp"
#include "messages/cluster.hpp"
#include "messages/run.hpp"
#include "messages/task.hpp"
#include "store/metrics_data.hpp"

#include <caf/expected.hpp>
#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string>
#include <vector>

namespace tdd::store {
class database;
} // namespace tdd::store

namespace tdd::cli {

/// What `status` shows.
struct status_data {
  std::string db_path;
  task_counts tasks;
  std::optional<run_row> run; ///< the latest run; nullopt before the first
  /// For an active run: whether its process still runs (a run on another
  /// host counts as running). False after a crash left it `active`.
  bool run_alive = true;
  std::vector<worker_row> workers; ///< of `run`
  /// Connected nodes, and those seen since `run` started (so a finished
  /// run still shows its nodes); most recently connected first.
  std::vector<node_row> nodes;
  std::optional<budget_row> budget; ///< of `run`, if it has one
  core::health_input circuits;
  /// Open and half_open circuits, longest first.
  std::vector<store::breaker_state> unclosed;
};

/// Reads status_data from `db` with read-only queries.
[[nodiscard]] caf::expected<status_data> read_status(store::database& db);

/// `status --json`.
nlohmann::json status_json(const status_data& x);

/// The human `status` page; heartbeats are shown as ages at `now`.
std::string status_text(const status_data& x, core::wall_time now);

} // namespace tdd::cli
