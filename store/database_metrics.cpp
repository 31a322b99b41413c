// database: what the Prometheus metrics are made of (SPEC.md 6).

#include "store/database.hpp"
#include "store/time_text.hpp"

#include <sqlite3.h>

#include <chrono>
#include <utility>

namespace tdd::store {

namespace {

// Prepared per scrape rather than at open: a dozen small statements cost
// microseconds, and commands that never scrape do not pay for them.
constexpr const char* attempts_sql
  = "SELECT stage, outcome, reason, bucket, attempts, duration_ms, "
    "cost_micros, tokens FROM attempt_totals";

constexpr const char* circuit_events_sql
  = "SELECT level, event_type, from_state, to_state, events "
    "FROM circuit_totals";

constexpr const char* recoveries_sql
  = "SELECT level, bucket, recoveries, seconds FROM circuit_recovery_totals";

constexpr const char* restarts_sql
  = "SELECT value FROM counter_totals WHERE name = 'worker_restarts'";

constexpr const char* remaining_sql
  = "SELECT MAX(b.invocations_max - b.invocations_used, 0) FROM budget b "
    "ORDER BY b.run_id DESC LIMIT 1";

constexpr const char* workers_sql
  = "SELECT state, COUNT(*) FROM workers "
    "WHERE run_id IS (SELECT MAX(id) FROM runs) GROUP BY state";

constexpr const char* nodes_sql
  = "SELECT COUNT(*) FROM nodes WHERE state = 'connected'";

constexpr const char* breakers_sql
  = "SELECT level, identifier, state FROM circuit_breakers "
    "WHERE level IN ('worker', 'system') ORDER BY level DESC, identifier";

constexpr const char* notifications_sql
  = "SELECT outcome, COUNT(*) FROM notifications "
    "WHERE outcome <> 'pending' GROUP BY outcome";

constexpr const char* runs_sql
  = "SELECT status, COUNT(*) FROM runs WHERE status <> 'active' "
    "GROUP BY status";

constexpr const char* active_sql
  = "SELECT started_at FROM runs WHERE status = 'active'";

/// Prepares `sql` and calls `f(stmt)` for each row.
template <class F> caf::error each_row(sqlite3* db, const char* sql, F&& f) {
  auto stmt = statement::prepare(db, sql);
  if (!stmt) {
    return std::move(stmt.error());
  }
  auto guard = stmt->use();
  return stmt->for_each_row([&] { f(*stmt); });
}

/// Counts by the text of column 0 (count in column 1).
caf::error count_by(sqlite3* db, const char* sql,
                    std::map<std::string, int64_t>& out) {
  return each_row(db, sql, [&](const statement& s) {
    out[s.column_text(0)] = s.column_int64(1);
  });
}

/// A read transaction, so that every query sees the same snapshot; a
/// no-op inside a caller's transaction.
class read_snapshot {
public:
  explicit read_snapshot(sqlite3* db) : db_(db) {
    if (sqlite3_get_autocommit(db_) != 0 && !exec(db_, "BEGIN")) {
      open_ = true;
    }
  }
  read_snapshot(const read_snapshot&) = delete;
  read_snapshot& operator=(const read_snapshot&) = delete;
  ~read_snapshot() {
    if (open_) {
      static_cast<void>(exec(db_, "COMMIT"));
    }
  }

private:
  sqlite3* db_;
  bool open_ = false;
};

} // namespace

caf::expected<metrics_data> database::metrics_data() {
  sqlite3* db = db_.get();
  read_snapshot snapshot{db};
  store::metrics_data x;
  auto counts = count_tasks();
  if (!counts) {
    return std::move(counts.error());
  }
  x.tasks = *counts;
  auto circuits = circuit_health_input();
  if (!circuits) {
    return std::move(circuits.error());
  }
  x.circuits = *circuits;
  caf::error err = each_row(db, attempts_sql, [&](const statement& s) {
    x.attempts.push_back({s.column_text(0), s.column_text(1), s.column_text(2),
                          static_cast<int>(s.column_int64(3)),
                          s.column_int64(4), s.column_int64(5),
                          s.column_int64(6), s.column_int64(7)});
  });
  if (!err) {
    err = each_row(db, circuit_events_sql, [&](const statement& s) {
      x.circuit_events.push_back({s.column_text(0), s.column_text(1),
                                  s.column_text(2), s.column_text(3),
                                  s.column_int64(4)});
    });
  }
  if (!err) {
    err = each_row(db, recoveries_sql, [&](const statement& s) {
      x.recoveries.push_back({s.column_text(0),
                              static_cast<int>(s.column_int64(1)),
                              s.column_int64(2), s.column_double(3)});
    });
  }
  if (!err) {
    err = each_row(db, restarts_sql, [&](const statement& s) {
      x.worker_restarts = s.column_int64(0);
    });
  }
  if (!err) {
    err = each_row(db, remaining_sql, [&](const statement& s) {
      if (!s.column_is_null(0)) {
        x.invocations_remaining = s.column_int64(0);
      }
    });
  }
  if (!err) {
    err = count_by(db, workers_sql, x.workers);
  }
  if (!err) {
    err = each_row(db, nodes_sql, [&](const statement& s) {
      x.nodes_connected = s.column_int64(0);
    });
  }
  if (!err) {
    err = each_row(db, breakers_sql, [&](const statement& s) {
      x.breakers.push_back(
        {s.column_text(0), s.column_text(1), s.column_text(2), {}});
    });
  }
  if (!err) {
    err = count_by(db, notifications_sql, x.notifications);
  }
  if (!err) {
    err = count_by(db, runs_sql, x.runs);
  }
  if (!err) {
    err = each_row(db, active_sql, [&](const statement& s) {
      if (auto at = parse_time(s.column_text(0))) {
        x.active_run_started
          = std::chrono::duration<double>(at->time_since_epoch()).count();
      }
    });
  }
  if (err) {
    return err;
  }
  return x;
}

caf::expected<std::vector<breaker_state>> database::unclosed_circuits() {
  std::vector<breaker_state> out;
  auto err = each_row(
    db_.get(),
    "SELECT level, identifier, state, "
    "COALESCE(CASE state WHEN 'open' THEN opened_at ELSE half_open_at END, '')"
    " AS since FROM circuit_breakers WHERE state IN ('open', 'half_open') "
    "ORDER BY since, level, identifier",
    [&](const statement& s) {
      out.push_back({s.column_text(0), s.column_text(1), s.column_text(2),
                     s.column_text(3)});
    });
  if (err) {
    return err;
  }
  return out;
}

} // namespace tdd::store
