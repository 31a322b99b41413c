// database: runs (one active at a time) and their budget.

#include "messages/errc.hpp"
#include "store/database.hpp"
#include "store/database_statements.hpp"
#include "store/time_text.hpp"

#include <sqlite3.h>

#include <utility>

namespace tdd::store {

namespace {

/// Columns of TDD_RUN_COLUMNS.
run_row read_run_row(const statement& s) {
  run_row x;
  x.id = s.column_int64(0);
  x.status = s.column_text(1);
  x.pid = s.column_int64(2);
  x.host = s.column_text(3);
  x.target_branch = s.column_text(4);
  x.options_json = s.column_text(5);
  if (!s.column_is_null(6)) {
    x.exit_code = static_cast<int32_t>(s.column_int64(6));
  }
  x.halt_reason = s.column_text(7);
  x.started_at = s.column_text(8);
  x.finished_at = s.column_text(9);
  return x;
}

/// The message `run` shows when it refuses to start (SPEC 3: it names the
/// active run's pid and host).
caf::error run_conflict(const run_info& run) {
  return caf::make_error(errc::conflict,
                         "run " + std::to_string(run.id) + " is active (pid "
                           + std::to_string(run.pid) + " on " + run.host
                           + ", started " + run.started_at + ")");
}

} // namespace

caf::expected<bool> database::is_json_object(const std::string& text) {
  const auto& s = stmts_->options_valid;
  auto guard = s.use();
  bool result = false;
  auto err = s.bind_all(text);
  if (!err) {
    err = s.for_each_row([&] { result = s.column_int64(0) != 0; });
  }
  if (err) {
    return err;
  }
  return result;
}

caf::expected<int64_t> database::start_run(const run_start& x) {
  const std::string options = x.options_json.empty() ? "{}" : x.options_json;
  auto is_object = is_json_object(options);
  if (!is_object) {
    return std::move(is_object.error());
  }
  if (!*is_object) {
    return caf::make_error(errc::invalid_argument,
                           "run options must be a JSON object");
  }
  // The check and the insert share one write lock, so no other process can
  // start a run in between (the partial unique index would refuse it).
  auto scope = write_scope::begin(db_.get());
  if (!scope) {
    return std::move(scope.error());
  }
  auto active = active_run();
  if (!active) {
    return std::move(active.error());
  }
  if (*active) {
    return run_conflict(**active);
  }
  if (auto err = stmts_->insert_run.execute(
        x.pid, x.host, x.target_branch, options, format_time(x.started_at))) {
    return err;
  }
  const auto id = sqlite3_last_insert_rowid(db_.get());
  if (auto err = scope->commit()) {
    return err;
  }
  return id;
}

caf::error database::finish_run(int64_t id, core::run_outcome outcome,
                                const std::string& reason,
                                core::wall_time finished_at) {
  auto err = stmts_->finish_run.execute(id, core::to_string(outcome),
                                        core::exit_code(outcome), reason,
                                        format_time(finished_at));
  if (err) {
    return err;
  }
  if (sqlite3_changes(db_.get()) > 0) {
    return caf::none;
  }
  auto run = find_run(id);
  if (!run) {
    return std::move(run.error());
  }
  if (!*run) {
    return caf::make_error(errc::not_found, "no run " + std::to_string(id));
  }
  return caf::make_error(errc::conflict, "run " + std::to_string(id)
                                           + " ended already (" + (*run)->status
                                           + ")");
}

caf::expected<std::optional<run_row>> database::read_run(const statement& s) {
  std::optional<run_row> result;
  if (auto err = s.for_each_row([&] { result = read_run_row(s); })) {
    return err;
  }
  return result;
}

caf::expected<std::optional<run_row>> database::find_run(int64_t id) {
  const auto& s = stmts_->find_run;
  auto guard = s.use();
  if (auto err = s.bind_all(id)) {
    return err;
  }
  return read_run(s);
}

caf::expected<std::optional<run_row>> database::latest_run() {
  auto guard = stmts_->latest_run.use();
  return read_run(stmts_->latest_run);
}

caf::error database::init_budget(int64_t run_id, const core::budget_limits& x) {
  if (x.max_invocations < 0 || (x.max_cost_micros && *x.max_cost_micros < 0)) {
    return caf::make_error(errc::invalid_argument,
                           "budget caps cannot be negative");
  }
  return stmts_->init_budget.execute(run_id, x.max_invocations,
                                     x.max_cost_micros);
}

caf::error database::record_budget(int64_t run_id,
                                   const core::budget_usage& x) {
  auto err = stmts_->record_budget.execute(run_id, x.invocations, x.cost_micros,
                                           x.tokens);
  if (err) {
    return err;
  }
  if (sqlite3_changes(db_.get()) == 0) {
    return caf::make_error(errc::not_found,
                           "no budget for run " + std::to_string(run_id));
  }
  return caf::none;
}

caf::expected<std::optional<budget_row>> database::budget_of(int64_t run_id) {
  const auto& s = stmts_->budget_of;
  auto guard = s.use();
  if (auto err = s.bind_all(run_id)) {
    return err;
  }
  std::optional<budget_row> result;
  auto err = s.for_each_row([&] {
    budget_row x;
    x.run_id = run_id;
    x.limits.max_invocations = s.column_int64(0);
    if (!s.column_is_null(1)) {
      x.limits.max_cost_micros = s.column_int64(1);
    }
    x.usage = {s.column_int64(2), s.column_int64(3), s.column_int64(4)};
    x.updated_at = s.column_text(5);
    result = std::move(x);
  });
  if (err) {
    return err;
  }
  return result;
}

} // namespace tdd::store
