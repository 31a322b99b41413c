#include "store/database_statements.hpp"

#include <string>
#include <utility>

namespace tdd::store {

namespace {

#define TDD_NOW "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

// Columns read_task_row expects, in order. Dependencies arrive as one
// newline-separated text (keys hold no newlines) and are sorted in C++, as
// group_concat's order is unspecified.
#define TDD_TASK_COLUMNS                                                       \
  "SELECT t.key, t.title, t.goal, t.acceptance, t.test_file, t.impl_file, "    \
  "t.verify, t.verify_all, t.phase, t.complexity, t.status, "                  \
  "t.blocked_reason, COALESCE(t.claimed_by, ''), t.current_stage, "            \
  "t.created_at, t.updated_at, (SELECT group_concat(d.depends_on, char(10)) "  \
  "FROM task_deps d WHERE d.task_key = t.key), t.stage_commit FROM tasks t "

// Columns read_circuit expects, in order (store/database_circuits.cpp).
#define TDD_CIRCUIT_COLUMNS                                                    \
  "SELECT id, level, identifier, state, failure_count, "                       \
  "consecutive_failures, success_count, extensions, opened_at, "               \
  "half_open_at, last_failure_at, last_change_at, version "                    \
  "FROM circuit_breakers "

// ?1 .. ?11 of insert_circuit and update_circuit, in this order.
#define TDD_CIRCUIT_VALUES                                                     \
  "level, identifier, state, failure_count, consecutive_failures, "            \
  "success_count, extensions, opened_at, half_open_at, last_failure_at, "      \
  "last_change_at"

// Columns read_control expects, in order (store/database_control.cpp).
#define TDD_CONTROL_COLUMNS                                                    \
  "SELECT id, command, argument, created_at, COALESCE(processed_at, ''), "     \
  "COALESCE(result, '') FROM control "

// Columns read_run expects, in order (store/database_runs.cpp).
#define TDD_RUN_COLUMNS                                                        \
  "SELECT id, status, pid, host, target_branch, options, exit_code, "          \
  "halt_reason, started_at, COALESCE(finished_at, '') FROM runs "

// Columns read_lease expects, in order (store/database_leases.cpp).
#define TDD_LEASE_COLUMNS                                                      \
  "SELECT key, status, COALESCE(claimed_by, ''), "                             \
  "COALESCE(claim_expires_at, ''), version FROM tasks "

// A task back to pending, its lease cleared (reclaims).
#define TDD_UNCLAIM                                                            \
  "status = 'pending', claimed_by = NULL, claim_expires_at = NULL, "           \
  "version = version + 1, updated_at = " TDD_NOW

using member = statement database::statements::*;

const std::pair<member, const char*> statement_table[] = {
  {&database::statements::task_nodes,
   "SELECT t.key, t.phase, t.status, (SELECT group_concat(d.depends_on, "
   "char(10)) FROM task_deps d WHERE d.task_key = t.key) FROM tasks t "
   "ORDER BY t.phase, t.key"},
  {&database::statements::list_all, TDD_TASK_COLUMNS "ORDER BY t.phase, t.key"},
  {&database::statements::list_by_status,
   TDD_TASK_COLUMNS "WHERE t.status = ?1 ORDER BY t.phase, t.key"},
  {&database::statements::list_by_phase,
   TDD_TASK_COLUMNS "WHERE t.phase = ?1 ORDER BY t.key"},
  {&database::statements::list_by_status_phase,
   TDD_TASK_COLUMNS "WHERE t.status = ?1 AND t.phase = ?2 ORDER BY t.key"},
  {&database::statements::find_task, TDD_TASK_COLUMNS "WHERE t.key = ?1"},
  {&database::statements::task_exists, "SELECT 1 FROM tasks WHERE key = ?1"},
  {&database::statements::dependencies_of,
   "SELECT depends_on FROM task_deps WHERE task_key = ?1 ORDER BY depends_on"},
  {&database::statements::dependents_of,
   "SELECT task_key FROM task_deps WHERE depends_on = ?1 ORDER BY task_key"},
  {&database::statements::attempts_of,
   "SELECT id, task_key, stage, attempt, started_at, duration_ms, outcome, "
   "reason, cost_micros, tokens, log_path, worker_id FROM attempts "
   "WHERE task_key = ?1 ORDER BY id"},
  {&database::statements::count_tasks,
   "SELECT status, COUNT(*) FROM tasks GROUP BY status"},
  {&database::statements::insert_task,
   "INSERT INTO tasks (key, title, goal, acceptance, test_file, impl_file, "
   "verify, verify_all, phase, complexity) "
   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"},
  {&database::statements::update_task,
   "UPDATE tasks SET title = ?2, goal = ?3, acceptance = ?4, test_file = ?5, "
   "impl_file = ?6, verify = ?7, verify_all = ?8, phase = ?9, "
   "complexity = ?10, status = 'pending', blocked_reason = '', "
   "current_stage = '', stage_commit = '', claimed_by = NULL, "
   "claim_expires_at = NULL, version = version + 1, updated_at = " TDD_NOW
   " WHERE key = ?1"},
  {&database::statements::delete_deps,
   "DELETE FROM task_deps WHERE task_key = ?1"},
  {&database::statements::insert_dep,
   "INSERT OR IGNORE INTO task_deps (task_key, depends_on) VALUES (?1, ?2)"},
  {&database::statements::insert_attempt,
   "INSERT INTO attempts (task_key, stage, attempt, started_at, duration_ms, "
   "outcome, reason, cost_micros, tokens, log_path, worker_id) "
   "VALUES (?1, ?2, ?3, COALESCE(NULLIF(?4, ''), " TDD_NOW "), ?5, ?6, ?7, "
   "?8, ?9, ?10, ?11)"},
  {&database::statements::set_status,
   "UPDATE tasks SET status = ?2, "
   "blocked_reason = CASE WHEN ?2 = 'blocked' THEN ?3 ELSE '' END, "
   "claimed_by = CASE WHEN ?2 = 'running' THEN claimed_by END, "
   "claim_expires_at = CASE WHEN ?2 = 'running' THEN claim_expires_at END, "
   "version = version + 1, updated_at = " TDD_NOW " WHERE key = ?1"},
  {&database::statements::load_circuits,
   TDD_CIRCUIT_COLUMNS "ORDER BY CASE level WHEN 'stage' THEN 0 "
                       "WHEN 'worker' THEN 1 ELSE 2 END, identifier"},
  {&database::statements::find_circuit,
   TDD_CIRCUIT_COLUMNS "WHERE level = ?1 AND identifier = ?2"},
  // State changes in [?1, ?2] (circuit_breaker_events_by_type).
  {&database::statements::recent_changes,
   "SELECT circuit_id, created_at FROM circuit_breaker_events "
   "WHERE event_type = 'state_change' AND created_at >= ?1 "
   "AND created_at <= ?2 ORDER BY circuit_id, created_at, id"},
  {&database::statements::recent_changes_of,
   "SELECT e.circuit_id, e.created_at FROM circuit_breaker_events e "
   "JOIN circuit_breakers c ON c.id = e.circuit_id "
   "WHERE c.level = ?1 AND c.identifier = ?2 "
   "AND e.event_type = 'state_change' AND e.created_at >= ?3 "
   "AND e.created_at <= ?4 ORDER BY e.created_at, e.id"},
  {&database::statements::circuit_version,
   "SELECT version FROM circuit_breakers WHERE level = ?1 "
   "AND identifier = ?2"},
  // No row back: the circuit exists already.
  {&database::statements::insert_circuit,
   "INSERT INTO circuit_breakers (" TDD_CIRCUIT_VALUES ", version) "
   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 1) "
   "ON CONFLICT (level, identifier) DO NOTHING RETURNING id, version"},
  // No row back: missing, or not at version ?12 any more.
  {&database::statements::update_circuit,
   "UPDATE circuit_breakers SET state = ?3, failure_count = ?4, "
   "consecutive_failures = ?5, success_count = ?6, extensions = ?7, "
   "opened_at = ?8, half_open_at = ?9, last_failure_at = ?10, "
   "last_change_at = ?11, version = version + 1 "
   "WHERE level = ?1 AND identifier = ?2 AND version = ?12 "
   "RETURNING id, version"},
  {&database::statements::insert_circuit_event,
   "INSERT INTO circuit_breaker_events (circuit_id, event_type, from_state, "
   "to_state, details, created_at) "
   "VALUES (?1, ?2, ?3, ?4, COALESCE(NULLIF(?5, ''), '{}'), ?6)"},
  {&database::statements::circuit_events,
   "SELECT e.event_type, e.from_state, e.to_state, e.details, e.created_at "
   "FROM circuit_breaker_events e "
   "JOIN circuit_breakers c ON c.id = e.circuit_id "
   "WHERE c.level = ?1 AND c.identifier = ?2 "
   "ORDER BY e.created_at DESC, e.id DESC LIMIT ?3"},
  {&database::statements::health_summary,
   "SELECT level, closed, open, half_open FROM v_circuit_health_summary"},
  {&database::statements::flapping_count,
   "SELECT COUNT(*) FROM v_flapping_circuits"},
  {&database::statements::enqueue_control,
   "INSERT INTO control (command, argument) VALUES (?1, ?2)"},
  {&database::statements::pending_controls,
   TDD_CONTROL_COLUMNS "WHERE processed_at IS NULL ORDER BY id"},
  {&database::statements::find_control, TDD_CONTROL_COLUMNS "WHERE id = ?1"},
  {&database::statements::mark_control,
   "UPDATE control SET processed_at = " TDD_NOW ", result = ?2 "
   "WHERE id = ?1"},
  {&database::statements::active_run,
   "SELECT id, pid, host, started_at FROM runs WHERE status = 'active'"},
  // json_type fails on malformed JSON, so it runs only on valid JSON.
  {&database::statements::options_valid,
   "SELECT CASE WHEN json_valid(?1) THEN json_type(?1) = 'object' "
   "ELSE 0 END"},
  {&database::statements::insert_run,
   "INSERT INTO runs (pid, host, target_branch, options, started_at) "
   "VALUES (?1, ?2, ?3, ?4, ?5)"},
  {&database::statements::finish_run,
   "UPDATE runs SET status = ?2, exit_code = ?3, halt_reason = ?4, "
   "finished_at = ?5 WHERE id = ?1 AND status = 'active'"},
  {&database::statements::find_run, TDD_RUN_COLUMNS "WHERE id = ?1"},
  {&database::statements::latest_run,
   TDD_RUN_COLUMNS "ORDER BY id DESC LIMIT 1"},
  {&database::statements::init_budget,
   "INSERT INTO budget (run_id, invocations_max, cost_micros_max) "
   "VALUES (?1, ?2, ?3) ON CONFLICT (run_id) DO UPDATE SET "
   "invocations_max = excluded.invocations_max, "
   "cost_micros_max = excluded.cost_micros_max, updated_at = " TDD_NOW},
  {&database::statements::record_budget,
   "UPDATE budget SET invocations_used = ?2, cost_micros_used = ?3, "
   "tokens_used = ?4, updated_at = " TDD_NOW " WHERE run_id = ?1"},
  {&database::statements::budget_of,
   "SELECT invocations_max, cost_micros_max, invocations_used, "
   "cost_micros_used, tokens_used, updated_at FROM budget WHERE run_id = ?1"},
  // No change: not pending, or not at version ?4 any more.
  {&database::statements::claim_task,
   "UPDATE tasks SET status = 'running', claimed_by = ?2, "
   "claim_expires_at = ?3, version = version + 1, updated_at = " TDD_NOW
   " WHERE key = ?1 AND version = ?4 AND status = 'pending'"},
  {&database::statements::renew_lease,
   "UPDATE tasks SET claim_expires_at = ?3 "
   "WHERE key = ?1 AND claimed_by = ?2 AND status = 'running'"},
  {&database::statements::release_task,
   "UPDATE tasks SET status = ?3, "
   "blocked_reason = CASE WHEN ?3 = 'blocked' THEN ?4 ELSE '' END, "
   "claimed_by = NULL, claim_expires_at = NULL, version = version + 1, "
   "updated_at = " TDD_NOW
   " WHERE key = ?1 AND claimed_by = ?2 AND status = 'running'"},
  // tasks_by_status_phase: only running tasks are read.
  {&database::statements::reclaim_expired,
   "UPDATE tasks SET " TDD_UNCLAIM
   " WHERE claimed_by IS NOT NULL AND claim_expires_at < ?1 "
   "AND status = 'running' RETURNING key"},
  {&database::statements::reclaim_all,
   "UPDATE tasks SET " TDD_UNCLAIM " WHERE status = 'running' RETURNING key"},
  {&database::statements::interrupt_task_attempts,
   "UPDATE attempts SET outcome = 'interrupted', reason = ?2 "
   "WHERE task_key = ?1 AND outcome = ''"},
  {&database::statements::set_stage,
   "UPDATE tasks SET current_stage = ?2, stage_commit = ?3, "
   "updated_at = " TDD_NOW " WHERE key = ?1"},
  {&database::statements::lease_of, TDD_LEASE_COLUMNS "WHERE key = ?1"},
  {&database::statements::task_leases, TDD_LEASE_COLUMNS "ORDER BY key"},
  {&database::statements::start_attempt,
   "INSERT INTO attempts (run_id, task_key, stage, attempt, worker_id, "
   "log_path, started_at) VALUES (NULLIF(?1, 0), ?2, ?3, ?4, ?5, ?6, ?7)"},
  // No change: unknown, or finished already.
  {&database::statements::finish_attempt,
   "UPDATE attempts SET duration_ms = ?2, outcome = ?3, reason = ?4, "
   "cost_micros = ?5, tokens = ?6 WHERE id = ?1 AND outcome = ''"},
  // attempts_open: only attempts without an outcome are read.
  {&database::statements::find_open_attempt,
   "SELECT id FROM attempts WHERE run_id IS NULLIF(?1, 0) AND task_key = ?2 "
   "AND stage = ?3 AND attempt = ?4 AND outcome = '' "
   "ORDER BY id DESC LIMIT 1"},
  {&database::statements::attempt_outcome,
   "SELECT outcome FROM attempts WHERE id = ?1"},
  {&database::statements::interrupt_run_attempts,
   "UPDATE attempts SET outcome = 'interrupted', reason = ?2 "
   "WHERE run_id = ?1 AND outcome = ''"},
  // A worker registered again in the same run was restarted.
  {&database::statements::register_worker,
   "INSERT INTO workers (id, node_id, run_id, state, started_at, "
   "heartbeat_at) VALUES (?1, NULLIF(?2, ''), NULLIF(?3, 0), ?4, ?5, ?5) "
   "ON CONFLICT (id) DO UPDATE SET node_id = excluded.node_id, "
   "restarts = CASE WHEN workers.run_id IS excluded.run_id "
   "THEN workers.restarts + 1 ELSE 0 END, run_id = excluded.run_id, "
   "state = excluded.state, current_task = NULL, current_stage = '', "
   "started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at"},
  {&database::statements::set_worker_state,
   "UPDATE workers SET state = ?2, current_task = NULLIF(?3, ''), "
   "current_stage = ?4 WHERE id = ?1"},
  {&database::statements::heartbeat,
   "UPDATE workers SET heartbeat_at = ?2 WHERE id = ?1"},
  {&database::statements::list_workers,
   "SELECT id, COALESCE(node_id, ''), COALESCE(run_id, 0), state, "
   "COALESCE(current_task, ''), current_stage, restarts, started_at, "
   "heartbeat_at FROM workers "
   "ORDER BY COALESCE(node_id, ''), length(id), id"},
  {&database::statements::insert_notification,
   "INSERT INTO notifications (run_id, channel, event, subject, outcome, "
   "tries, error, payload, created_at, sent_at) "
   "VALUES (NULLIF(?1, 0), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"},
  // A node that registers again under the same id starts over connected.
  {&database::statements::register_node,
   "INSERT INTO nodes (id, host, address, state, workers, connected_at, "
   "heartbeat_at) VALUES (?1, ?2, ?3, 'connected', ?4, ?5, ?5) "
   "ON CONFLICT (id) DO UPDATE SET host = excluded.host, "
   "address = excluded.address, state = 'connected', "
   "workers = excluded.workers, connected_at = excluded.connected_at, "
   "heartbeat_at = excluded.heartbeat_at"},
  {&database::statements::set_node_state,
   "UPDATE nodes SET state = ?2 WHERE id = ?1"},
  {&database::statements::set_node_workers,
   "UPDATE workers SET state = ?2, current_task = NULL, current_stage = '' "
   "WHERE node_id = ?1"},
  {&database::statements::node_heartbeat,
   "UPDATE nodes SET heartbeat_at = ?2 WHERE id = ?1 AND state = 'connected'"},
  {&database::statements::node_state, "SELECT state FROM nodes WHERE id = ?1"},
  {&database::statements::list_nodes,
   "SELECT id, host, address, state, workers, connected_at, heartbeat_at "
   "FROM nodes ORDER BY connected_at DESC, id"},
  // Before lose_connected_nodes: afterwards nothing says which were.
  {&database::statements::lose_connected_workers,
   "UPDATE workers SET state = 'lost', current_task = NULL, "
   "current_stage = '' "
   "WHERE node_id IN (SELECT id FROM nodes WHERE state = 'connected')"},
  {&database::statements::lose_connected_nodes,
   "UPDATE nodes SET state = 'lost' WHERE state = 'connected'"},
};

#undef TDD_UNCLAIM
#undef TDD_LEASE_COLUMNS
#undef TDD_RUN_COLUMNS
#undef TDD_CONTROL_COLUMNS
#undef TDD_CIRCUIT_VALUES
#undef TDD_CIRCUIT_COLUMNS
#undef TDD_TASK_COLUMNS
#undef TDD_NOW

} // namespace

caf::expected<std::unique_ptr<database::statements>>
prepare_statements(sqlite3* db) {
  auto result = std::make_unique<database::statements>();
  for (const auto& [field, sql] : statement_table) {
    auto stmt = statement::prepare(db, sql);
    if (!stmt) {
      return std::move(stmt.error());
    }
    (*result).*field = std::move(*stmt);
  }
  return result;
}

} // namespace tdd::store
