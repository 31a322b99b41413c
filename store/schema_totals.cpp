#include "store/schema_totals.hpp"

namespace tdd::store {

namespace {

// Why totals kept by triggers: a scrape must answer in milliseconds with a
// million attempts recorded, so it cannot aggregate `attempts` and
// `circuit_breaker_events` each time; and every writer (finishing an
// attempt, interrupting a dead run's, reclaiming a lease) updates them in
// its own transaction without knowing about metrics. Totals only grow:
// they are counters, and survive any process restart.
//
// Bucket indexes are positions in the histogram bounds of
// actors/metrics_registry.cpp (duration: 1, 5, 15, 30, 60, 120, 300, 600,
// 1200, 3600 s; recovery: 10, 30, 60, 120, 300, 600, 1200, 2400, 3600,
// 7200 s); 10 is +Inf. tests/store/metric_totals_test.cpp checks the
// boundaries.
#define TDD_DURATION_BUCKET(ms)                                                \
  "CASE WHEN " ms " <= 1000 THEN 0 WHEN " ms " <= 5000 THEN 1 "                \
  "WHEN " ms " <= 15000 THEN 2 WHEN " ms " <= 30000 THEN 3 "                   \
  "WHEN " ms " <= 60000 THEN 4 WHEN " ms " <= 120000 THEN 5 "                  \
  "WHEN " ms " <= 300000 THEN 6 WHEN " ms " <= 600000 THEN 7 "                 \
  "WHEN " ms " <= 1200000 THEN 8 WHEN " ms " <= 3600000 THEN 9 ELSE 10 END"

#define TDD_RECOVERY_BUCKET(s)                                                 \
  "CASE WHEN " s " <= 10 THEN 0 WHEN " s " <= 30 THEN 1 "                      \
  "WHEN " s " <= 60 THEN 2 WHEN " s " <= 120 THEN 3 "                          \
  "WHEN " s " <= 300 THEN 4 WHEN " s " <= 600 THEN 5 "                         \
  "WHEN " s " <= 1200 THEN 6 WHEN " s " <= 2400 THEN 7 "                       \
  "WHEN " s " <= 3600 THEN 8 WHEN " s " <= 7200 THEN 9 ELSE 10 END"

// One finished attempt into attempt_totals; `src` is NEW.
#define TDD_ADD_ATTEMPT                                                        \
  "INSERT INTO attempt_totals (stage, outcome, reason, bucket, attempts, "     \
  "duration_ms, cost_micros, tokens) VALUES (NEW.stage, NEW.outcome, "         \
  "NEW.reason, " TDD_DURATION_BUCKET(                                          \
    "NEW.duration_ms") ", 1, NEW.duration_ms, NEW.cost_micros, NEW.tokens) "   \
                       "ON CONFLICT (stage, outcome, reason, bucket) DO "      \
                       "UPDATE SET "                                           \
                       "attempts = attempts + 1, duration_ms = duration_ms + " \
                       "excluded.duration_ms, "                                \
                       "cost_micros = cost_micros + excluded.cost_micros, "    \
                       "tokens = tokens + excluded.tokens;"

// Seconds from the circuit's last opening before event NEW to NEW.
#define TDD_OPEN_SECONDS                                                       \
  "(julianday(NEW.created_at) - julianday((SELECT MAX(o.created_at) "          \
  "FROM circuit_breaker_events o WHERE o.circuit_id = NEW.circuit_id "         \
  "AND o.event_type = 'state_change' AND o.to_state = 'open' "                 \
  "AND o.id < NEW.id))) * 86400.0"

constexpr const char* schema_v3 = R"sql(
-- Finished attempts by stage, outcome, reason and duration bucket.
CREATE TABLE attempt_totals (
  stage       TEXT NOT NULL,
  outcome     TEXT NOT NULL,
  reason      TEXT NOT NULL,
  bucket      INTEGER NOT NULL, -- duration histogram bucket, 10 = +Inf
  attempts    INTEGER NOT NULL DEFAULT 0,
  duration_ms INTEGER NOT NULL DEFAULT 0,
  cost_micros INTEGER NOT NULL DEFAULT 0,
  tokens      INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (stage, outcome, reason, bucket)
) WITHOUT ROWID;

-- Circuit events by the circuit's level, type and transition ('' = none).
CREATE TABLE circuit_totals (
  level      TEXT NOT NULL,
  event_type TEXT NOT NULL,
  from_state TEXT NOT NULL,
  to_state   TEXT NOT NULL,
  events     INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (level, event_type, from_state, to_state)
) WITHOUT ROWID;

-- Closings of open or half_open circuits: time since the last opening.
CREATE TABLE circuit_recovery_totals (
  level      TEXT NOT NULL,
  bucket     INTEGER NOT NULL, -- recovery histogram bucket, 10 = +Inf
  recoveries INTEGER NOT NULL DEFAULT 0,
  seconds    REAL NOT NULL DEFAULT 0,
  PRIMARY KEY (level, bucket)
) WITHOUT ROWID;

-- Other running totals by name: worker_restarts.
CREATE TABLE counter_totals (
  name  TEXT PRIMARY KEY NOT NULL,
  value INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TRIGGER attempt_totals_on_insert AFTER INSERT ON attempts
WHEN NEW.outcome <> ''
BEGIN
)sql" TDD_ADD_ATTEMPT R"sql(
END;

CREATE TRIGGER attempt_totals_on_finish AFTER UPDATE OF outcome ON attempts
WHEN OLD.outcome = '' AND NEW.outcome <> ''
BEGIN
)sql" TDD_ADD_ATTEMPT R"sql(
END;

CREATE TRIGGER circuit_totals_on_event AFTER INSERT ON circuit_breaker_events
BEGIN
  INSERT INTO circuit_totals (level, event_type, from_state, to_state, events)
    SELECT c.level, NEW.event_type, COALESCE(NEW.from_state, ''),
           COALESCE(NEW.to_state, ''), 1
    FROM circuit_breakers c WHERE c.id = NEW.circuit_id
  ON CONFLICT (level, event_type, from_state, to_state)
    DO UPDATE SET events = events + 1;
END;

CREATE TRIGGER circuit_recovery_on_close AFTER INSERT ON circuit_breaker_events
WHEN NEW.event_type = 'state_change' AND NEW.to_state = 'closed'
  AND NEW.from_state IN ('open', 'half_open')
BEGIN
  INSERT INTO circuit_recovery_totals (level, bucket, recoveries, seconds)
    SELECT c.level, )sql" TDD_RECOVERY_BUCKET("r.s") R"sql(, 1, r.s
    FROM circuit_breakers c,
         (SELECT MAX()sql" TDD_OPEN_SECONDS R"sql(, 0) AS s) r
    WHERE c.id = NEW.circuit_id AND r.s IS NOT NULL
  ON CONFLICT (level, bucket)
    DO UPDATE SET recoveries = recoveries + 1,
                  seconds = seconds + excluded.seconds;
END;

CREATE TRIGGER worker_restart_totals AFTER UPDATE OF restarts ON workers
WHEN NEW.restarts > OLD.restarts
BEGIN
  INSERT INTO counter_totals (name, value)
    VALUES ('worker_restarts', NEW.restarts - OLD.restarts)
  ON CONFLICT (name) DO UPDATE SET value = value + excluded.value;
END;

-- What was recorded before this migration.
INSERT INTO attempt_totals
  SELECT stage, outcome, reason, )sql" TDD_DURATION_BUCKET("duration_ms")
  R"sql(, COUNT(*), SUM(duration_ms), SUM(cost_micros), SUM(tokens)
  FROM attempts WHERE outcome <> ''
  GROUP BY 1, 2, 3, 4;
INSERT INTO circuit_totals
  SELECT c.level, e.event_type, COALESCE(e.from_state, ''),
         COALESCE(e.to_state, ''), COUNT(*)
  FROM circuit_breaker_events e JOIN circuit_breakers c ON c.id = e.circuit_id
  GROUP BY 1, 2, 3, 4;
INSERT INTO circuit_recovery_totals
  SELECT level, )sql" TDD_RECOVERY_BUCKET("s") R"sql(, COUNT(*), SUM(s)
  FROM (SELECT c.level AS level,
               (julianday(e.created_at) - julianday((SELECT MAX(o.created_at)
                  FROM circuit_breaker_events o
                  WHERE o.circuit_id = e.circuit_id
                    AND o.event_type = 'state_change' AND o.to_state = 'open'
                    AND o.id < e.id))) * 86400.0 AS s
        FROM circuit_breaker_events e JOIN circuit_breakers c
          ON c.id = e.circuit_id
        WHERE e.event_type = 'state_change' AND e.to_state = 'closed'
          AND e.from_state IN ('open', 'half_open'))
  WHERE s IS NOT NULL
  GROUP BY 1, 2;
INSERT INTO counter_totals (name, value)
  SELECT 'worker_restarts', COALESCE(SUM(restarts), 0) FROM workers;
)sql";

#undef TDD_DURATION_BUCKET
#undef TDD_RECOVERY_BUCKET
#undef TDD_ADD_ATTEMPT
#undef TDD_OPEN_SECONDS

} // namespace

std::string_view schema_v3_totals() {
  return schema_v3;
}

} // namespace tdd::store
