// database: task leases (claims with optimistic locking, renewal, release,
// reclaiming expired ones) and the stage a task is in.

#include "core/stage_rules.hpp"
#include "messages/errc.hpp"
#include "store/database.hpp"
#include "store/database_statements.hpp"
#include "store/time_text.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <utility>

namespace tdd::store {

namespace {

/// Columns of TDD_LEASE_COLUMNS.
caf::expected<task_lease> read_lease(const statement& s) {
  task_lease x;
  x.key = s.column_text(0);
  auto status = core::parse_task_status(s.column_text(1));
  if (!status) {
    return caf::make_error(errc::sqlite_failure,
                           "task " + x.key + " has an invalid status");
  }
  x.status = *status;
  x.claimed_by = s.column_text(2);
  x.claim_expires_at = s.column_text(3);
  x.version = s.column_int64(4);
  return x;
}

caf::expected<std::vector<task_lease>> read_leases(const statement& s) {
  std::vector<task_lease> result;
  auto err = s.for_each_row([&]() -> caf::error {
    auto x = read_lease(s);
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

} // namespace

caf::expected<bool> database::claim_task(const std::string& key,
                                         const std::string& worker_id,
                                         core::wall_time expires_at,
                                         int64_t expected_version) {
  if (worker_id.empty()) {
    return caf::make_error(errc::invalid_argument, "a claim needs a worker id");
  }
  auto err = stmts_->claim_task.execute(key, worker_id, format_time(expires_at),
                                        expected_version);
  if (err) {
    return err;
  }
  if (sqlite3_changes(db_.get()) > 0) {
    return true;
  }
  const auto& exists = stmts_->task_exists;
  auto guard = exists.use();
  bool found = false;
  err = exists.bind_all(key);
  if (!err) {
    err = exists.for_each_row([&] { found = true; });
  }
  if (err) {
    return err;
  }
  if (!found) {
    return caf::make_error(errc::not_found, "no task " + key);
  }
  return false;
}

caf::expected<bool> database::renew_lease(const std::string& key,
                                          const std::string& worker_id,
                                          core::wall_time expires_at) {
  auto err
    = stmts_->renew_lease.execute(key, worker_id, format_time(expires_at));
  if (err) {
    return err;
  }
  return sqlite3_changes(db_.get()) > 0;
}

caf::error database::release_conflict(const std::string& key,
                                      const std::string& worker_id) {
  const auto& s = stmts_->lease_of;
  auto guard = s.use();
  if (auto err = s.bind_all(key)) {
    return err;
  }
  auto rows = read_leases(s);
  if (!rows) {
    return std::move(rows.error());
  }
  if (rows->empty()) {
    return caf::make_error(errc::not_found, "no task " + key);
  }
  const auto& lease = rows->front();
  const auto now = lease.claimed_by.empty() ? core::to_string(lease.status)
                                            : "leased to " + lease.claimed_by;
  return caf::make_error(errc::conflict, "task " + key + " is not leased to "
                                           + worker_id + " (it is " + now
                                           + ")");
}

caf::error database::release_task(const std::string& key,
                                  const std::string& worker_id,
                                  core::task_status status,
                                  const std::string& reason) {
  if (status == core::task_status::running) {
    return caf::make_error(errc::invalid_argument,
                           "releasing task " + key
                             + " needs its new status: complete, blocked or "
                               "pending");
  }
  auto err = stmts_->release_task.execute(key, worker_id,
                                          core::to_string(status), reason);
  if (err) {
    return err;
  }
  if (sqlite3_changes(db_.get()) > 0) {
    return caf::none;
  }
  return release_conflict(key, worker_id);
}

caf::expected<std::vector<std::string>>
database::reclaim(const statement& s, const std::string& reason) {
  std::vector<std::string> keys;
  if (auto err = s.for_each_row([&] { keys.push_back(s.column_text(0)); })) {
    return err;
  }
  std::sort(keys.begin(), keys.end()); // RETURNING's order is unspecified
  for (const auto& key : keys) {
    if (auto n = interrupt_task_attempts(key, reason); !n) {
      return std::move(n.error());
    }
  }
  return keys;
}

caf::expected<std::vector<std::string>>
database::reclaim_expired_leases(core::wall_time now) {
  auto scope = write_scope::begin(db_.get());
  if (!scope) {
    return std::move(scope.error());
  }
  std::vector<std::string> keys;
  {
    const auto& s = stmts_->reclaim_expired;
    auto guard = s.use();
    if (auto err = s.bind_all(format_time(now))) {
      return err;
    }
    auto reclaimed = reclaim(s, "lease_expired");
    if (!reclaimed) {
      return reclaimed; // `scope` undoes what was written
    }
    keys = std::move(*reclaimed);
  }
  if (auto err = scope->commit()) {
    return err;
  }
  return keys;
}

caf::expected<std::vector<std::string>> database::reclaim_all_leases() {
  auto scope = write_scope::begin(db_.get());
  if (!scope) {
    return std::move(scope.error());
  }
  std::vector<std::string> keys;
  {
    auto guard = stmts_->reclaim_all.use();
    auto reclaimed = reclaim(stmts_->reclaim_all, "coordinator_restarted");
    if (!reclaimed) {
      return reclaimed;
    }
    keys = std::move(*reclaimed);
  }
  if (auto err = scope->commit()) {
    return err;
  }
  return keys;
}

caf::error database::set_current_stage(const std::string& key,
                                       const std::string& stage,
                                       const std::string& start_commit) {
  if (!stage.empty() && !core::parse_stage(stage)) {
    return caf::make_error(errc::invalid_argument, "unknown stage " + stage);
  }
  // A hex id only: resume hands it to git, where "-x" would be an option.
  if (start_commit.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return caf::make_error(errc::invalid_argument,
                           "not a commit id: " + start_commit);
  }
  if (auto err = stmts_->set_stage.execute(key, stage, start_commit)) {
    return err;
  }
  if (sqlite3_changes(db_.get()) == 0) {
    return caf::make_error(errc::not_found, "no task " + key);
  }
  return caf::none;
}

caf::expected<std::vector<task_lease>> database::task_leases() {
  auto guard = stmts_->task_leases.use();
  return read_leases(stmts_->task_leases);
}

} // namespace tdd::store
