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
  "FROM task_deps d WHERE d.task_key = t.key) FROM tasks t "

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
   "current_stage = '', claimed_by = NULL, claim_expires_at = NULL, "
   "version = version + 1, updated_at = " TDD_NOW " WHERE key = ?1"},
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
};

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
