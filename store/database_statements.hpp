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
  // Runs and budget (store/database_runs.cpp).
  statement options_valid;
  statement insert_run;
  statement finish_run;
  statement find_run;
  statement latest_run;
  statement init_budget;
  statement record_budget;
  statement budget_of;
  // Task leases (store/database_leases.cpp).
  statement claim_task;
  statement renew_lease;
  statement release_task;
  statement reclaim_expired;
  statement reclaim_all;
  statement interrupt_task_attempts;
  statement set_stage;
  statement lease_of;
  statement task_leases;
  // Attempts and workers (store/database_attempts.cpp).
  statement start_attempt;
  statement finish_attempt;
  statement find_open_attempt;
  statement attempt_outcome;
  statement interrupt_run_attempts;
  statement register_worker;
  statement set_worker_state;
  statement heartbeat;
  statement list_workers;
  // Notifications (store/database_notifications.cpp).
  statement insert_notification;
  // Nodes (store/database_nodes.cpp).
  statement register_node;
  statement set_node_state;
  statement set_node_workers;
  statement node_heartbeat;
  statement node_state;
  statement list_nodes;
  statement lose_connected_workers;
  statement lose_connected_nodes;
};

/// Prepares every statement of `database::statements` on `db`.
[[nodiscard]] caf::expected<std::unique_ptr<database::statements>>
prepare_statements(sqlite3* db);

} // namespace tdd::store
