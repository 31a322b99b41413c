#pragma once

// Internal to store/: the statements a database prepares once at open.

#include "store/database.hpp"
#include "store/sqlite_handle.hpp"

#include <caf/expected.hpp>

#include <memory>

namespace tdd::store {

struct database::statements {
  // Reads.
  statement task_nodes;
  statement list_all;
  statement list_by_status;
  statement list_by_phase;
  statement list_by_status_phase;
  statement find_task;
  statement task_exists;
  statement dependencies_of;
  statement dependents_of;
  statement attempts_of;
  statement count_tasks;
  // Writes.
  statement insert_task;
  statement update_task;
  statement delete_deps;
  statement insert_dep;
  statement insert_attempt;
  statement set_status;
  // Circuits (store/database_circuits.cpp).
  statement load_circuits;
  statement find_circuit;
  statement recent_changes;
  statement recent_changes_of;
  statement circuit_version;
  statement insert_circuit;
  statement update_circuit;
  statement insert_circuit_event;
  statement circuit_events;
  statement health_summary;
  statement flapping_count;
  // Live control and runs (store/database_control.cpp).
  statement enqueue_control;
  statement pending_controls;
  statement find_control;
  statement mark_control;
  statement active_run;
};

/// Prepares every statement of `database::statements` on `db`.
[[nodiscard]] caf::expected<std::unique_ptr<database::statements>>
prepare_statements(sqlite3* db);

} // namespace tdd::store
