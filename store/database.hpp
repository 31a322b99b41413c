#pragma once

// One SQLite connection with the typed queries of the orchestrator. The
// persistence actor owns the read-write one; read-only commands (`status`,
// `tasks list`, ...) open their own, read-only, without an actor system.

#include "core/circuit.hpp"
#include "core/health.hpp"
#include "core/task.hpp"
#include "core/task_graph.hpp"
#include "messages/control.hpp"
#include "messages/task.hpp"
#include "store/sqlite_handle.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tdd::store {

enum class open_mode {
  read_write, ///< creates the file if missing and migrates it
  read_only,  ///< refuses a missing or unmigrated file and never writes
};

/// Which tasks `list_tasks` returns; empty fields match everything.
struct task_filter {
  std::optional<core::task_status> status;
  std::optional<int> phase;
};

/// The active run (`runs.status = 'active'`), for commands that must know
/// whether a run is live.
struct run_info {
  int64_t id = 0;
  int64_t pid = 0;
  std::string host;
  std::string started_at; ///< UTC ISO-8601 with milliseconds
};

/// A connection to the orchestrator database, with its statements prepared
/// once at open. Move-only; not thread-safe (one owner at a time).
class database {
public:
  /// Opens `path` (or ":memory:"): WAL (read-write only), busy_timeout
  /// 5000 ms, foreign keys on. Read-write creates and migrates; read-only
  /// refuses a missing file (errc::not_found), an unmigrated or older one
  /// (errc::schema_too_old). Both refuse a newer one (errc::schema_too_new).
  [[nodiscard]] static caf::expected<database> open(const std::string& path,
                                                    open_mode mode);

  database(database&&) noexcept;
  database& operator=(database&&) noexcept;
  database(const database&) = delete;
  database& operator=(const database&) = delete;
  ~database();

  /// The schema version (PRAGMA user_version) as of open.
  int schema_version() const noexcept { return version_; }

  const std::string& path() const noexcept { return path_; }

  bool is_read_only() const noexcept { return mode_ == open_mode::read_only; }

  /// Starts a write transaction (BEGIN IMMEDIATE) on this connection.
  [[nodiscard]] caf::expected<transaction> begin();

  /// Every task with its dependencies, phase and status, by (phase, key).
  [[nodiscard]] caf::expected<std::vector<core::graph_node>> task_nodes();

  /// Imports `specs` all-or-nothing in one transaction. A stored task that
  /// is not pending is refused unless `force` (then updated and reset to
  /// pending); if any key is refused nothing is written. Identical specs
  /// are left untouched. Unknown dependencies: errc::not_found.
  [[nodiscard]] caf::expected<import_summary>
  import_tasks(const std::vector<core::task_spec>& specs, bool force);

  /// Tasks matching `filter`, ordered by phase then key. Dependencies come
  /// back sorted.
  [[nodiscard]] caf::expected<std::vector<task_row>>
  list_tasks(const task_filter& filter);

  [[nodiscard]] caf::expected<std::optional<task_row>>
  find_task(const std::string& key);

  /// Keys `key` depends on, sorted.
  [[nodiscard]] caf::expected<std::vector<std::string>>
  dependencies_of(const std::string& key);

  /// Keys that depend on `key`, sorted.
  [[nodiscard]] caf::expected<std::vector<std::string>>
  dependents_of(const std::string& key);

  /// Attempts of task `key`, oldest first.
  [[nodiscard]] caf::expected<std::vector<attempt_row>>
  attempts_of(const std::string& key);

  /// Records an attempt (its `id` is ignored) and returns the new id.
  [[nodiscard]] caf::expected<int64_t> add_attempt(const attempt_row& x);

  /// Number of tasks per status (one GROUP BY over the status index).
  [[nodiscard]] caf::expected<task_counts> count_tasks();

  /// Moves a task to a new status. Leaving `running` releases the lease;
  /// `reason` is kept only for `blocked`. errc::not_found for unknown keys.
  [[nodiscard]] caf::error set_task_status(const task_status_update& x);

  // -- circuits (store/database_circuits.cpp) --------------------------------

  /// Every circuit, by level (stage, worker, system) then identifier.
  /// `recent_changes` holds the state changes of the 5 minutes up to `now`,
  /// oldest first; `version` is the row's version.
  [[nodiscard]] caf::expected<std::vector<core::circuit_snapshot>>
  load_circuits(core::wall_time now);

  /// One circuit as load_circuits reads it; nullopt if it has no row.
  [[nodiscard]] caf::expected<std::optional<core::circuit_snapshot>>
  find_circuit(core::circuit_level level, const std::string& identifier,
               core::wall_time now);

  /// Stores `s` and appends `events`, all or nothing, and returns the new
  /// version. Optimistic locking: `s.version` 0 inserts a new circuit, any
  /// other version updates the row only if it still has that version.
  /// Otherwise errc::conflict naming the circuit and the versions, and
  /// nothing is written. Runs in the caller's transaction (as a savepoint,
  /// so a failure spares the caller's other writes) or in its own.
  /// `recent_changes` is not stored: it comes from the events.
  [[nodiscard]] caf::expected<int64_t>
  save_circuit(const core::circuit_snapshot& s,
               const std::vector<core::circuit_event>& events);

  /// `circuits reset` with no run live: closes the circuit, zeroes
  /// failure_count, consecutive_failures and extensions, clears opened_at
  /// and half_open_at, records `manual_reset` (and `state_change` when it
  /// was not closed) at `now`. A circuit without a row is inserted closed.
  /// Returns the circuit as stored afterwards.
  [[nodiscard]] caf::expected<core::circuit_snapshot>
  reset_circuit(core::circuit_level level, const std::string& identifier,
                core::wall_time now);

  /// The newest `limit` events of one circuit, newest first.
  [[nodiscard]] caf::expected<std::vector<core::circuit_event>>
  circuit_events(core::circuit_level level, const std::string& identifier,
                 int64_t limit);

  /// Circuits per level and state and the number of flapping circuits,
  /// read from v_circuit_health_summary and v_flapping_circuits: what a
  /// person querying the views sees is what the health check judges.
  [[nodiscard]] caf::expected<core::health_input> circuit_health_input();

  // -- live control and runs (store/database_control.cpp) --------------------

  /// Queues a control command for the live run; returns its id.
  [[nodiscard]] caf::expected<int64_t>
  enqueue_control(const std::string& command, const std::string& argument);

  /// Commands not yet processed, oldest first.
  [[nodiscard]] caf::expected<std::vector<control_command>> pending_controls();

  /// Marks a command processed now with `result`; errc::not_found for an
  /// unknown id.
  [[nodiscard]] caf::error mark_control_processed(int64_t id,
                                                  const std::string& result);

  /// One command, processed or not; nullopt for an unknown id.
  [[nodiscard]] caf::expected<std::optional<control_command>>
  find_control(int64_t id);

  /// The run with status 'active', if any (there is at most one).
  [[nodiscard]] caf::expected<std::optional<run_info>> active_run();

  struct statements; // defined in store/database_statements.hpp

private:
  database(std::string path, open_mode mode, connection_ptr db, int version,
           std::unique_ptr<statements> stmts) noexcept;

  [[nodiscard]] caf::expected<std::vector<task_row>>
  read_tasks(const statement& stmt);

  [[nodiscard]] caf::expected<std::vector<std::string>>
  read_keys(const statement& stmt, const std::string& key);

  [[nodiscard]] caf::error import_one(const core::task_spec& spec, bool force,
                                      import_summary& summary);

  [[nodiscard]] caf::error write_task(const core::task_spec& spec, bool exists);

  [[nodiscard]] caf::error
  check_dependencies(const std::vector<core::task_spec>& specs);

  [[nodiscard]] caf::expected<std::vector<core::circuit_snapshot>>
  read_circuits(const statement& rows, const statement& changes);

  [[nodiscard]] caf::expected<int64_t>
  write_circuit(const core::circuit_snapshot& s,
                const std::vector<core::circuit_event>& events);

  [[nodiscard]] caf::error conflict(const core::circuit_snapshot& s,
                                    const char* what);

  [[nodiscard]] caf::expected<std::vector<control_command>>
  read_controls(const statement& s);

  std::string path_;
  open_mode mode_ = open_mode::read_write;
  connection_ptr db_;
  int version_ = 0;
  std::unique_ptr<statements> stmts_; ///< destroyed before db_
};

} // namespace tdd::store
