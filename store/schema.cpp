#include "store/schema.hpp"

#include "messages/errc.hpp"
#include "store/schema_totals.hpp"
#include "store/sqlite_handle.hpp"

#include <sqlite3.h>

namespace tdd::store {

namespace {

// Timestamps: UTC ISO-8601 with milliseconds, strftime('%Y-%m-%dT%H:%M:%fZ'),
// so that text order is time order. Vocabularies users see (task status,
// circuit level/state, event type, stage) are CHECKed; free-form ones are
// documented in comments only.
constexpr std::string_view schema_v1 = R"sql(
CREATE TABLE runs (
  id            INTEGER PRIMARY KEY,
  status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN
                  ('active', 'complete', 'blocked', 'halted', 'interrupted')),
  pid           INTEGER NOT NULL,
  host          TEXT NOT NULL,
  target_branch TEXT NOT NULL DEFAULT '',
  options       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(options)), -- flags
  exit_code     INTEGER, -- NULL while active
  halt_reason   TEXT NOT NULL DEFAULT '', -- why it halted or blocked
  started_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  finished_at   TEXT
);
-- At most one active run per database.
CREATE UNIQUE INDEX runs_one_active ON runs (status) WHERE status = 'active';

CREATE TABLE tasks (
  key              TEXT PRIMARY KEY NOT NULL,
  title            TEXT NOT NULL,
  goal             TEXT NOT NULL DEFAULT '',
  acceptance       TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(acceptance)),
  test_file        TEXT NOT NULL DEFAULT '',
  impl_file        TEXT NOT NULL DEFAULT '',
  verify           TEXT NOT NULL DEFAULT '',
  verify_all       TEXT NOT NULL DEFAULT '',
  phase            INTEGER NOT NULL DEFAULT 0,
  complexity       TEXT NOT NULL DEFAULT 'medium'
                     CHECK (complexity IN ('low', 'medium', 'high')),
  status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN
                     ('pending', 'running', 'complete', 'blocked')),
  blocked_reason   TEXT NOT NULL DEFAULT '',
  current_stage    TEXT NOT NULL DEFAULT '',
  claimed_by       TEXT,   -- lease holder (worker id), NULL when free
  claim_expires_at TEXT,
  version          INTEGER NOT NULL DEFAULT 1, -- optimistic locking
  created_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
-- Counts by status and lists filtered by status scan this index only; it
-- also serves "tasks by status" (its prefix), e.g. reclaiming leases, which
-- reads the running tasks only (at most one per worker).
CREATE INDEX tasks_by_status_phase ON tasks (status, phase, key);
CREATE INDEX tasks_by_phase ON tasks (phase, key);

-- depends_on is checked at COMMIT, so one import may name tasks it adds
-- later in the same transaction.
CREATE TABLE task_deps (
  task_key   TEXT NOT NULL REFERENCES tasks (key) ON DELETE CASCADE,
  depends_on TEXT NOT NULL REFERENCES tasks (key) DEFERRABLE INITIALLY DEFERRED,
  PRIMARY KEY (task_key, depends_on)
) WITHOUT ROWID;
CREATE INDEX task_deps_by_depends_on ON task_deps (depends_on);

CREATE TABLE attempts (
  id          INTEGER PRIMARY KEY,
  run_id      INTEGER REFERENCES runs (id) ON DELETE SET NULL,
  task_key    TEXT NOT NULL REFERENCES tasks (key) ON DELETE CASCADE,
  stage       TEXT NOT NULL CHECK (stage IN
                ('red', 'green', 'verify', 'fix', 'refactor', 'commit')),
  attempt     INTEGER NOT NULL CHECK (attempt >= 1),
  started_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  duration_ms INTEGER NOT NULL DEFAULT 0,
  outcome     TEXT NOT NULL DEFAULT '', -- passed, failed, error, timeout, interrupted, reverted, ...
  reason      TEXT NOT NULL DEFAULT '', -- e.g. red_test_passes
  cost_micros INTEGER NOT NULL DEFAULT 0, -- agent cost in micro-dollars
  tokens      INTEGER NOT NULL DEFAULT 0,
  log_path    TEXT NOT NULL DEFAULT '',
  worker_id   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX attempts_by_task ON attempts (task_key, id);
CREATE INDEX attempts_by_run ON attempts (run_id);
-- Attempts without an outcome yet: finishing one by (run, task, stage,
-- attempt) and interrupting a run's leftovers read only these.
CREATE INDEX attempts_open ON attempts (run_id, task_key) WHERE outcome = '';

CREATE TABLE nodes (
  id           TEXT PRIMARY KEY NOT NULL, -- [A-Za-z0-9_-]+, default host name
  host         TEXT NOT NULL DEFAULT '',
  address      TEXT NOT NULL DEFAULT '',
  state        TEXT NOT NULL DEFAULT 'connected' CHECK (state IN
                 ('connected', 'lost', 'left')),
  workers      INTEGER NOT NULL DEFAULT 0,
  connected_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  heartbeat_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE workers (
  id            TEXT PRIMARY KEY NOT NULL, -- worker_N or <node>.worker_N
  node_id       TEXT REFERENCES nodes (id) ON DELETE CASCADE, -- NULL: local
  run_id        INTEGER REFERENCES runs (id) ON DELETE SET NULL,
  state         TEXT NOT NULL DEFAULT 'idle' CHECK (state IN
                  ('idle', 'busy', 'paused', 'stopped', 'lost')),
  current_task  TEXT REFERENCES tasks (key) ON DELETE SET NULL,
  current_stage TEXT NOT NULL DEFAULT '', -- of current_task
  pid           INTEGER,
  restarts      INTEGER NOT NULL DEFAULT 0, -- re-registrations in its run
  started_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  heartbeat_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE circuit_breakers (
  id                   INTEGER PRIMARY KEY,
  level                TEXT NOT NULL CHECK (level IN ('stage', 'worker', 'system')),
  identifier           TEXT NOT NULL, -- TASK:STAGE, worker id, or 'system'
  state                TEXT NOT NULL DEFAULT 'closed' CHECK (state IN
                         ('closed', 'open', 'half_open')),
  failure_count        INTEGER NOT NULL DEFAULT 0,
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  success_count        INTEGER NOT NULL DEFAULT 0,
  extensions           INTEGER NOT NULL DEFAULT 0,
  opened_at            TEXT,
  half_open_at         TEXT,
  last_failure_at      TEXT,
  last_change_at       TEXT, -- last state change; NULL: never changed
  version              INTEGER NOT NULL DEFAULT 1, -- optimistic locking
  UNIQUE (level, identifier)
);
CREATE INDEX circuit_breakers_by_state ON circuit_breakers (state);

CREATE TABLE circuit_breaker_events (
  id         INTEGER PRIMARY KEY,
  circuit_id INTEGER NOT NULL REFERENCES circuit_breakers (id) ON DELETE CASCADE,
  event_type TEXT NOT NULL CHECK (event_type IN
               ('state_change', 'failure_recorded', 'success_recorded',
                'threshold_reached', 'recovery_started', 'recovery_succeeded',
                'recovery_failed', 'manual_reset', 'flapping_detected',
                'extension_applied')),
  from_state TEXT CHECK (from_state IN ('closed', 'open', 'half_open')),
  to_state   TEXT CHECK (to_state IN ('closed', 'open', 'half_open')),
  details    TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details)),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX circuit_breaker_events_by_circuit
  ON circuit_breaker_events (circuit_id, created_at);
-- Recent state changes of every circuit (flapping, recent_changes).
CREATE INDEX circuit_breaker_events_by_type
  ON circuit_breaker_events (event_type, created_at);

CREATE TABLE notifications (
  id         INTEGER PRIMARY KEY,
  run_id     INTEGER REFERENCES runs (id) ON DELETE SET NULL,
  channel    TEXT NOT NULL DEFAULT 'slack',
  event      TEXT NOT NULL, -- run_started, circuit_opened, budget_exhausted, ...
  subject    TEXT NOT NULL DEFAULT '', -- throttle key, e.g. the circuit id
  outcome    TEXT NOT NULL DEFAULT 'pending' CHECK (outcome IN
               ('pending', 'sent', 'throttled', 'failed')),
  tries      INTEGER NOT NULL DEFAULT 0,
  error      TEXT NOT NULL DEFAULT '',
  payload    TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  sent_at    TEXT
);
CREATE INDEX notifications_by_subject
  ON notifications (event, subject, created_at);

-- Live control: the CLI inserts, the store actor polls unprocessed rows,
-- hands them to the run and sets processed_at and result.
CREATE TABLE control (
  id           INTEGER PRIMARY KEY,
  command      TEXT NOT NULL, -- circuit_reset, task_retry, ...
  argument     TEXT NOT NULL DEFAULT '',
  created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  processed_at TEXT, -- NULL while pending
  result       TEXT  -- e.g. 'delivered'; NULL while pending
);
CREATE INDEX control_by_processed_at ON control (processed_at, id);

CREATE TABLE budget (
  run_id           INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
  invocations_used INTEGER NOT NULL DEFAULT 0 CHECK (invocations_used >= 0),
  invocations_max  INTEGER NOT NULL CHECK (invocations_max >= 0),
  cost_micros_used INTEGER NOT NULL DEFAULT 0 CHECK (cost_micros_used >= 0),
  cost_micros_max  INTEGER, -- NULL: no cost cap
  tokens_used      INTEGER NOT NULL DEFAULT 0 CHECK (tokens_used >= 0),
  updated_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- The circuit views read as `circuits status|health` print: `circuit` is
-- the id users type (stage:TASK:STAGE, worker:ID, system), as
-- core::display_id spells it.
--
-- v_open_circuits: one row per open circuit, longest open first.
--   circuit, level, identifier, opened_at, failure_count (since it last
--   closed), consecutive_failures (since the last success), extensions
--   (worker pause doublings), last_failure_at.
CREATE VIEW v_open_circuits AS
  SELECT CASE level WHEN 'system' THEN 'system'
           ELSE level || ':' || identifier END AS circuit,
         level, identifier, opened_at, failure_count, consecutive_failures,
         extensions, last_failure_at
  FROM circuit_breakers
  WHERE state = 'open'
  ORDER BY opened_at, level, identifier;

-- v_circuit_health_summary: always 3 rows (stage, worker, system, in that
-- order), zeros included: level, closed, open, half_open, total. The
-- health check (`circuits health`, /healthz) reads its counts from here.
CREATE VIEW v_circuit_health_summary AS
  WITH levels (ord, level) AS
    (VALUES (0, 'stage'), (1, 'worker'), (2, 'system'))
  SELECT l.level,
         COALESCE(SUM(c.state = 'closed'), 0) AS closed,
         COALESCE(SUM(c.state = 'open'), 0) AS open,
         COALESCE(SUM(c.state = 'half_open'), 0) AS half_open,
         COUNT(c.id) AS total
  FROM levels l LEFT JOIN circuit_breakers c ON c.level = l.level
  GROUP BY l.ord, l.level
  ORDER BY l.ord;

-- v_flapping_circuits: circuits with more than 5 state changes in the last
-- 5 minutes (SPEC 5), most changes first: circuit, level, identifier,
-- state (now), state_changes (in the window), last_change_at (the newest).
-- The health check counts its rows.
CREATE VIEW v_flapping_circuits AS
  SELECT CASE c.level WHEN 'system' THEN 'system'
           ELSE c.level || ':' || c.identifier END AS circuit,
         c.level, c.identifier, c.state,
         COUNT(*) AS state_changes, MAX(e.created_at) AS last_change_at
  FROM circuit_breaker_events e
  JOIN circuit_breakers c ON c.id = e.circuit_id
  WHERE e.event_type = 'state_change'
    AND e.created_at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-5 minutes')
  GROUP BY c.id
  HAVING COUNT(*) > 5
  ORDER BY state_changes DESC, circuit;

-- Pending tasks whose dependencies are all complete and whose phase is open
-- (no task of a lower phase pending or running), as core::task_graph::ready.
CREATE VIEW v_ready_tasks AS
  SELECT t.key, t.phase, t.title
  FROM tasks t
  WHERE t.status = 'pending'
    AND NOT EXISTS (
      SELECT 1 FROM task_deps d JOIN tasks dep ON dep.key = d.depends_on
      WHERE d.task_key = t.key AND dep.status <> 'complete')
    AND NOT EXISTS (
      SELECT 1 FROM tasks lower
      WHERE lower.status IN ('pending', 'running') AND lower.phase < t.phase);

-- Workers not stopped whose last heartbeat is older than 15 s (SPEC 7).
CREATE VIEW v_stale_workers AS
  SELECT id, node_id, state, current_task, heartbeat_at
  FROM workers
  WHERE state NOT IN ('stopped', 'lost')
    AND heartbeat_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-15 seconds');

CREATE VIEW v_task_progress AS
  SELECT t.key, t.phase, t.status, t.blocked_reason, t.current_stage,
         COUNT(a.id) AS attempts,
         (SELECT a2.stage FROM attempts a2 WHERE a2.task_key = t.key
          ORDER BY a2.id DESC LIMIT 1) AS last_stage,
         COALESCE(SUM(a.cost_micros), 0) AS cost_micros,
         COALESCE(SUM(a.tokens), 0) AS tokens,
         t.updated_at
  FROM tasks t LEFT JOIN attempts a ON a.task_key = t.key
  GROUP BY t.key;
)sql";

// v2: the commit a task's recorded stage starts from, so that `run
// --resume` restarts the stage from there rather than from whatever the
// branch tip holds when the process died (work of an attempt in flight).
// '' = unknown: a resume keeps the branch tip.
constexpr std::string_view schema_v2 = R"sql(
ALTER TABLE tasks ADD COLUMN stage_commit TEXT NOT NULL DEFAULT '';
)sql";

caf::error apply_one(sqlite3* db, size_t index) {
  auto txn = transaction::begin(db);
  if (!txn) {
    return std::move(txn.error());
  }
  auto version = read_schema_version(db);
  if (!version) {
    return std::move(version.error());
  }
  if (static_cast<size_t>(*version) != index) {
    return caf::none; // another process migrated meanwhile
  }
  const std::string script{migrations()[index]};
  if (auto err = exec(db, script.c_str())) {
    return err;
  }
  auto set_version = "PRAGMA user_version = " + std::to_string(index + 1);
  if (auto err = exec(db, set_version.c_str())) {
    return err;
  }
  return txn->commit();
}

} // namespace

const std::vector<std::string_view>& migrations() {
  static const std::vector<std::string_view> result{schema_v1, schema_v2,
                                                    schema_v3_totals()};
  return result;
}

int latest_schema_version() {
  return static_cast<int>(migrations().size());
}

caf::expected<int> read_schema_version(sqlite3* db) {
  auto stmt = statement::prepare(db, "PRAGMA user_version");
  if (!stmt) {
    return std::move(stmt.error());
  }
  auto guard = stmt->use();
  auto has_row = stmt->step();
  if (!has_row) {
    return std::move(has_row.error());
  }
  return *has_row ? static_cast<int>(stmt->column_int64(0)) : 0;
}

caf::error check_not_too_new(int version, const std::string& path) {
  if (version <= latest_schema_version()) {
    return caf::none;
  }
  return caf::make_error(
    errc::schema_too_new,
    "database " + path + " has schema version " + std::to_string(version)
      + ", this orchestrator knows up to "
      + std::to_string(latest_schema_version()) + "; upgrade the orchestrator");
}

caf::expected<int> migrate(sqlite3* db, const std::string& path) {
  for (;;) {
    auto version = read_schema_version(db);
    if (!version) {
      return version;
    }
    if (auto err = check_not_too_new(*version, path)) {
      return err;
    }
    if (*version == latest_schema_version()) {
      return version;
    }
    if (auto err = apply_one(db, static_cast<size_t>(*version))) {
      return err;
    }
  }
}

} // namespace tdd::store
