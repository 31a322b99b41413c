// database: the attempt lifecycle (start, finish, interrupted leftovers)
// and the workers table.

#include "messages/errc.hpp"
#include "store/database.hpp"
#include "store/database_statements.hpp"
#include "store/time_text.hpp"

#include <sqlite3.h>

#include <utility>

namespace tdd::store {

namespace {

/// Columns of the list_workers statement.
worker_row read_worker(const statement& s) {
  worker_row x;
  x.id = s.column_text(0);
  x.node = s.column_text(1);
  x.run_id = s.column_int64(2);
  x.state = s.column_text(3);
  x.current_task = s.column_text(4);
  x.current_stage = s.column_text(5);
  x.restarts = s.column_int64(6);
  x.started_at = s.column_text(7);
  x.heartbeat_at = s.column_text(8);
  return x;
}

std::string describe_attempt(const std::string& key, const std::string& stage,
                             int32_t attempt) {
  return key + " " + stage + " #" + std::to_string(attempt);
}

} // namespace

caf::expected<int64_t> database::start_attempt(const attempt_start& x) {
  auto err = stmts_->start_attempt.execute(x.run_id, x.task_key, x.stage,
                                           x.attempt, x.worker_id, x.log_path,
                                           format_time(x.started_at));
  if (err) {
    return err;
  }
  return sqlite3_last_insert_rowid(db_.get());
}

caf::error database::attempt_not_open(int64_t id) {
  const auto& s = stmts_->attempt_outcome;
  auto guard = s.use();
  std::optional<std::string> outcome;
  auto err = s.bind_all(id);
  if (!err) {
    err = s.for_each_row([&] { outcome = s.column_text(0); });
  }
  if (err) {
    return err;
  }
  if (!outcome) {
    return caf::make_error(errc::not_found, "no attempt " + std::to_string(id));
  }
  return caf::make_error(errc::conflict, "attempt " + std::to_string(id)
                                           + " has ended already (" + *outcome
                                           + ")");
}

caf::error database::finish_attempt(int64_t id, const attempt_result& x) {
  if (x.outcome.empty()) {
    return caf::make_error(errc::invalid_argument, "attempt "
                                                     + std::to_string(id)
                                                     + " needs an outcome");
  }
  auto err = stmts_->finish_attempt.execute(id, x.duration_ms, x.outcome,
                                            x.reason, x.cost_micros, x.tokens);
  if (err) {
    return err;
  }
  if (sqlite3_changes(db_.get()) > 0) {
    return caf::none;
  }
  return attempt_not_open(id);
}

caf::error database::finish_attempt(const attempt_finish& x) {
  const auto& s = stmts_->find_open_attempt;
  std::optional<int64_t> id;
  {
    auto guard = s.use();
    auto err = s.bind_all(x.run_id, x.task_key, x.stage, x.attempt);
    if (!err) {
      err = s.for_each_row([&] { id = s.column_int64(0); });
    }
    if (err) {
      return err;
    }
  }
  if (!id) {
    return caf::make_error(errc::not_found,
                           "no open attempt "
                             + describe_attempt(x.task_key, x.stage, x.attempt)
                             + " in run " + std::to_string(x.run_id));
  }
  return finish_attempt(*id, x.result);
}

caf::expected<int64_t>
database::interrupt_open_attempts(int64_t run_id, const std::string& reason) {
  if (auto err = stmts_->interrupt_run_attempts.execute(run_id, reason)) {
    return err;
  }
  return static_cast<int64_t>(sqlite3_changes(db_.get()));
}

caf::expected<int64_t>
database::interrupt_task_attempts(const std::string& key,
                                  const std::string& reason) {
  if (auto err = stmts_->interrupt_task_attempts.execute(key, reason)) {
    return err;
  }
  return static_cast<int64_t>(sqlite3_changes(db_.get()));
}

caf::error database::register_worker(const worker_registration& x) {
  return stmts_->register_worker.execute(x.id, x.node, x.run_id, x.state,
                                         format_time(x.at));
}

caf::error database::set_worker_state(const worker_update& x) {
  auto err
    = stmts_->set_worker_state.execute(x.id, x.state, x.current_task, x.stage);
  if (err) {
    return err;
  }
  if (sqlite3_changes(db_.get()) == 0) {
    return caf::make_error(errc::not_found, "no worker " + x.id);
  }
  return caf::none;
}

caf::error database::heartbeat(const std::string& worker_id,
                               core::wall_time now) {
  if (auto err = stmts_->heartbeat.execute(worker_id, format_time(now))) {
    return err;
  }
  if (sqlite3_changes(db_.get()) == 0) {
    return caf::make_error(errc::not_found, "no worker " + worker_id);
  }
  return caf::none;
}

caf::expected<std::vector<worker_row>> database::list_workers() {
  const auto& s = stmts_->list_workers;
  auto guard = s.use();
  std::vector<worker_row> result;
  if (auto err = s.for_each_row([&] { result.push_back(read_worker(s)); })) {
    return err;
  }
  return result;
}

} // namespace tdd::store
