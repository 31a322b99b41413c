// database: circuit breakers and their events.

#include "core/circuit_breaker.hpp"
#include "messages/errc.hpp"
#include "store/database.hpp"
#include "store/database_statements.hpp"
#include "store/time_text.hpp"

#include <unordered_map>
#include <utility>

namespace tdd::store {

namespace {

using core::circuit_event;
using core::circuit_snapshot;
using core::circuit_state;
using core::wall_time;

caf::error corrupt(const std::string& circuit, const std::string& what) {
  return caf::make_error(errc::sqlite_failure,
                         "circuit " + circuit + " has an invalid " + what);
}

/// The flapping window up to `now`, bounds included (as in
/// v_flapping_circuits), as texts for the statements: snapshots carry the
/// state changes core/ needs to tell whether a circuit flaps.
std::pair<std::string, std::string> window_of(wall_time now) {
  return {format_time(now - core::flapping_window), format_time(now)};
}

std::optional<std::string> time_or_null(const std::optional<wall_time>& x) {
  if (!x) {
    return std::nullopt;
  }
  return format_time(*x);
}

/// Reads a nullable time column into `out`; false if it does not parse.
bool read_time(const statement& s, int column, std::optional<wall_time>& out) {
  if (s.column_is_null(column)) {
    out.reset();
    return true;
  }
  out = parse_time(s.column_text(column));
  return out.has_value();
}

caf::error read_times(const statement& s, circuit_snapshot& x,
                      const std::string& id) {
  const std::pair<std::optional<wall_time>*, const char*> fields[] = {
    {&x.opened_at, "opened_at"},
    {&x.half_open_at, "half_open_at"},
    {&x.last_failure_at, "last_failure_at"},
    {&x.last_change_at, "last_change_at"},
  };
  int column = 8;
  for (const auto& [field, name] : fields) {
    if (!read_time(s, column++, *field)) {
      return corrupt(id, name);
    }
  }
  return caf::none;
}

/// Columns of TDD_CIRCUIT_COLUMNS after the id.
caf::expected<circuit_snapshot> read_circuit(const statement& s) {
  circuit_snapshot x;
  x.identifier = s.column_text(2);
  auto level = core::parse_circuit_level(s.column_text(1));
  if (!level) {
    return corrupt(x.identifier, "level");
  }
  x.level = *level;
  const auto id = core::display_id(x.level, x.identifier);
  auto state = core::parse_circuit_state(s.column_text(3));
  if (!state) {
    return corrupt(id, "state");
  }
  x.state = *state;
  x.failure_count = static_cast<int32_t>(s.column_int64(4));
  x.consecutive_failures = static_cast<int32_t>(s.column_int64(5));
  x.success_count = static_cast<int32_t>(s.column_int64(6));
  x.extensions = static_cast<int32_t>(s.column_int64(7));
  if (auto err = read_times(s, x, id)) {
    return err;
  }
  x.version = s.column_int64(12);
  return x;
}

/// A state column; NULL (an event written without states) reads as closed.
std::optional<circuit_state> read_state(const statement& s, int column) {
  if (s.column_is_null(column)) {
    return circuit_state::closed;
  }
  return core::parse_circuit_state(s.column_text(column));
}

/// Columns of the circuit_events statement.
caf::expected<circuit_event> read_event(const statement& s,
                                        const std::string& id) {
  circuit_event x;
  auto type = core::parse_circuit_event_type(s.column_text(0));
  auto from = read_state(s, 1);
  auto to = read_state(s, 2);
  auto at = parse_time(s.column_text(4));
  if (!type || !from || !to || !at) {
    return corrupt(id, "event");
  }
  x.type = *type;
  x.from = *from;
  x.to = *to;
  x.details = s.column_text(3);
  x.at = *at;
  return x;
}

caf::error insert_events(const statement& insert, int64_t circuit_id,
                         const std::vector<circuit_event>& events) {
  for (const auto& e : events) {
    auto err = insert.execute(circuit_id, core::to_string(e.type),
                              core::to_string(e.from), core::to_string(e.to),
                              e.details, format_time(e.at));
    if (err) {
      return err;
    }
  }
  return caf::none;
}

/// What `circuits reset` makes of `x` at `now`, and the events saying so.
/// Successes and the last failure time are history and stay.
std::vector<circuit_event> reset(circuit_snapshot& x, wall_time now) {
  std::vector<circuit_event> events{{core::circuit_event_type::manual_reset,
                                     x.state, circuit_state::closed, "{}",
                                     now}};
  if (x.state != circuit_state::closed) {
    events.push_back({core::circuit_event_type::state_change, x.state,
                      circuit_state::closed, R"({"reason":"manual_reset"})",
                      now});
    x.last_change_at = now;
  }
  x.state = circuit_state::closed;
  x.failure_count = 0;
  x.consecutive_failures = 0;
  x.extensions = 0;
  x.opened_at.reset();
  x.half_open_at.reset();
  return events;
}

void count_into(core::state_counts& counts, const statement& s) {
  counts.closed = s.column_int64(1);
  counts.open = s.column_int64(2);
  counts.half_open = s.column_int64(3);
}

} // namespace

caf::expected<std::vector<circuit_snapshot>>
database::read_circuits(const statement& rows, const statement& changes) {
  std::vector<circuit_snapshot> result;
  std::unordered_map<int64_t, size_t> index; // row id -> position
  auto err = rows.for_each_row([&]() -> caf::error {
    auto x = read_circuit(rows);
    if (!x) {
      return std::move(x.error());
    }
    index.emplace(rows.column_int64(0), result.size());
    result.emplace_back(std::move(*x));
    return caf::none;
  });
  if (err) {
    return err;
  }
  err = changes.for_each_row([&]() -> caf::error {
    auto i = index.find(changes.column_int64(0));
    auto at = parse_time(changes.column_text(1));
    if (i == index.end() || !at) {
      return caf::make_error(errc::sqlite_failure,
                             "invalid state change time in "
                             "circuit_breaker_events");
    }
    result[i->second].recent_changes.emplace_back(*at);
    return caf::none;
  });
  if (err) {
    return err;
  }
  return result;
}

caf::expected<std::vector<circuit_snapshot>>
database::load_circuits(wall_time now) {
  const auto& rows = stmts_->load_circuits;
  const auto& changes = stmts_->recent_changes;
  auto rows_guard = rows.use();
  auto changes_guard = changes.use();
  const auto [from, to] = window_of(now);
  if (auto err = changes.bind_all(from, to)) {
    return err;
  }
  return read_circuits(rows, changes);
}

caf::expected<std::optional<circuit_snapshot>>
database::find_circuit(core::circuit_level level, const std::string& identifier,
                       wall_time now) {
  const auto& rows = stmts_->find_circuit;
  const auto& changes = stmts_->recent_changes_of;
  auto rows_guard = rows.use();
  auto changes_guard = changes.use();
  const auto level_text = core::to_string(level);
  const auto [from, to] = window_of(now);
  auto err = rows.bind_all(level_text, identifier);
  if (!err) {
    err = changes.bind_all(level_text, identifier, from, to);
  }
  if (err) {
    return err;
  }
  auto result = read_circuits(rows, changes);
  if (!result) {
    return std::move(result.error());
  }
  if (result->empty()) {
    return std::optional<circuit_snapshot>{};
  }
  return std::optional<circuit_snapshot>{std::move(result->front())};
}

caf::expected<int64_t>
database::save_circuit(const circuit_snapshot& s,
                       const std::vector<circuit_event>& events) {
  auto scope = write_scope::begin(db_.get());
  if (!scope) {
    return std::move(scope.error());
  }
  auto version = write_circuit(s, events);
  if (!version) {
    return version; // `scope` undoes what was written
  }
  if (auto err = scope->commit()) {
    return err;
  }
  return version;
}

caf::expected<int64_t>
database::write_circuit(const circuit_snapshot& s,
                        const std::vector<circuit_event>& events) {
  if (s.identifier.empty()) {
    return caf::make_error(errc::invalid_argument,
                           "a circuit needs an identifier");
  }
  const bool is_new = s.version == 0;
  const auto& stmt = is_new ? stmts_->insert_circuit : stmts_->update_circuit;
  auto guard = stmt.use();
  auto err = stmt.bind_all(
    core::to_string(s.level), s.identifier, core::to_string(s.state),
    s.failure_count, s.consecutive_failures, s.success_count, s.extensions,
    time_or_null(s.opened_at), time_or_null(s.half_open_at),
    time_or_null(s.last_failure_at), time_or_null(s.last_change_at));
  if (!err && !is_new) {
    err = stmt.bind(12, s.version);
  }
  int64_t circuit_id = 0;
  int64_t version = 0;
  if (!err) {
    err = stmt.for_each_row([&] {
      circuit_id = stmt.column_int64(0);
      version = stmt.column_int64(1);
    });
  }
  if (err) {
    return err;
  }
  if (version == 0) {
    return conflict(s, is_new ? "already exists" : "changed");
  }
  err = insert_events(stmts_->insert_circuit_event, circuit_id, events);
  if (err) {
    return err;
  }
  return version;
}

caf::error database::conflict(const circuit_snapshot& s, const char* what) {
  const auto& stmt = stmts_->circuit_version;
  auto guard = stmt.use();
  std::optional<int64_t> stored;
  auto err = stmt.bind_all(core::to_string(s.level), s.identifier);
  if (!err) {
    err = stmt.for_each_row([&] { stored = stmt.column_int64(0); });
  }
  if (err) {
    return err;
  }
  auto text = "circuit " + core::display_id(s.level, s.identifier) + " " + what
              + ": saved from version " + std::to_string(s.version)
              + (s.version == 0 ? " (new)" : "") + ", stored version is "
              + (stored ? std::to_string(*stored) : "none (no row)");
  return caf::make_error(errc::conflict, std::move(text));
}

caf::expected<circuit_snapshot>
database::reset_circuit(core::circuit_level level,
                        const std::string& identifier, wall_time now) {
  // One transaction from the read to the write: no one changes the row in
  // between, so the optimistic check cannot fail.
  auto scope = write_scope::begin(db_.get());
  if (!scope) {
    return std::move(scope.error());
  }
  auto found = find_circuit(level, identifier, now);
  if (!found) {
    return std::move(found.error());
  }
  circuit_snapshot x;
  x.level = level;
  x.identifier = identifier;
  if (*found) {
    x = std::move(**found);
  }
  const auto events = reset(x, now);
  if (auto version = write_circuit(x, events); !version) {
    return std::move(version.error());
  }
  auto after = find_circuit(level, identifier, now);
  if (!after) {
    return std::move(after.error());
  }
  if (auto err = scope->commit()) {
    return err;
  }
  return std::move(**after);
}

caf::expected<std::vector<circuit_event>>
database::circuit_events(core::circuit_level level,
                         const std::string& identifier, int64_t limit) {
  const auto& s = stmts_->circuit_events;
  auto guard = s.use();
  if (auto err = s.bind_all(core::to_string(level), identifier, limit)) {
    return err;
  }
  const auto id = core::display_id(level, identifier);
  std::vector<circuit_event> result;
  auto err = s.for_each_row([&]() -> caf::error {
    auto x = read_event(s, id);
    if (!x) {
      return std::move(x.error());
    }
    result.emplace_back(std::move(*x));
    return caf::none;
  });
  if (err) {
    return err;
  }
  return result;
}

caf::expected<core::health_input> database::circuit_health_input() {
  core::health_input result;
  const auto& summary = stmts_->health_summary;
  auto summary_guard = summary.use();
  auto err = summary.for_each_row([&] {
    const auto level = core::parse_circuit_level(summary.column_text(0));
    if (level == core::circuit_level::stage) {
      count_into(result.stage, summary);
    } else if (level == core::circuit_level::worker) {
      count_into(result.worker, summary);
    } else if (level == core::circuit_level::system) {
      count_into(result.system, summary);
    }
  });
  if (err) {
    return err;
  }
  const auto& flapping = stmts_->flapping_count;
  auto flapping_guard = flapping.use();
  err = flapping.for_each_row(
    [&] { result.flapping = flapping.column_int64(0); });
  if (err) {
    return err;
  }
  return result;
}

} // namespace tdd::store
