// database: the `control` table (live control from another shell) and the
// active run.

#include "messages/errc.hpp"
#include "store/database.hpp"
#include "store/database_statements.hpp"

#include <sqlite3.h>

#include <utility>

namespace tdd::store {

namespace {

/// Columns of TDD_CONTROL_COLUMNS.
control_command read_control(const statement& s) {
  control_command x;
  x.id = s.column_int64(0);
  x.command = s.column_text(1);
  x.argument = s.column_text(2);
  x.created_at = s.column_text(3);
  x.processed_at = s.column_text(4);
  x.result = s.column_text(5);
  return x;
}

} // namespace

caf::expected<int64_t> database::enqueue_control(const std::string& command,
                                                 const std::string& argument) {
  if (auto err = stmts_->enqueue_control.execute(command, argument)) {
    return err;
  }
  return sqlite3_last_insert_rowid(db_.get());
}

caf::expected<std::vector<control_command>>
database::read_controls(const statement& s) {
  std::vector<control_command> result;
  if (auto err
      = s.for_each_row([&] { result.emplace_back(read_control(s)); })) {
    return err;
  }
  return result;
}

caf::expected<std::vector<control_command>> database::pending_controls() {
  auto guard = stmts_->pending_controls.use();
  return read_controls(stmts_->pending_controls);
}

caf::error database::mark_control_processed(int64_t id,
                                            const std::string& result) {
  if (auto err = stmts_->mark_control.execute(id, result)) {
    return err;
  }
  if (sqlite3_changes(db_.get()) == 0) {
    return caf::make_error(errc::not_found,
                           "no control command " + std::to_string(id));
  }
  return caf::none;
}

caf::expected<std::optional<control_command>>
database::find_control(int64_t id) {
  const auto& s = stmts_->find_control;
  auto guard = s.use();
  if (auto err = s.bind_all(id)) {
    return err;
  }
  auto rows = read_controls(s);
  if (!rows) {
    return std::move(rows.error());
  }
  if (rows->empty()) {
    return std::optional<control_command>{};
  }
  return std::optional<control_command>{std::move(rows->front())};
}

caf::expected<std::optional<run_info>> database::active_run() {
  const auto& s = stmts_->active_run;
  auto guard = s.use();
  std::optional<run_info> result;
  auto err = s.for_each_row([&] {
    result = run_info{s.column_int64(0), s.column_int64(1), s.column_text(2),
                      s.column_text(3)};
  });
  if (err) {
    return err;
  }
  return result;
}

} // namespace tdd::store
