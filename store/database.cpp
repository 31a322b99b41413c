#include "store/database.hpp"

#include "messages/errc.hpp"
#include "store/database_statements.hpp"
#include "store/rows.hpp"
#include "store/schema.hpp"

#include <sqlite3.h>

#include <filesystem>
#include <utility>

namespace tdd::store {

namespace {

constexpr int busy_timeout_ms = 5000;

bool is_memory(const std::string& path) {
  return path == ":memory:" || path.empty();
}

// SQLITE_OPEN_READONLY is what the URI parameter `mode=ro` sets, without
// having to percent-encode the path into a URI. Without SQLITE_OPEN_CREATE
// a missing file is never created.
caf::expected<connection_ptr> connect(const std::string& path, open_mode mode) {
  std::error_code ec;
  if (mode == open_mode::read_only && !is_memory(path)
      && !std::filesystem::exists(path, ec)) {
    return caf::make_error(errc::not_found,
                           "database " + path
                             + " does not exist; run `orchestrator init` to "
                               "create it");
  }
  auto flags = mode == open_mode::read_only
                 ? SQLITE_OPEN_READONLY
                 : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  sqlite3* raw = nullptr;
  auto rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  connection_ptr db{raw}; // SQLite allocates a handle even on failure
  if (rc != SQLITE_OK) {
    return make_sqlite_error(db.get(), rc, "opening database " + path);
  }
  return db;
}

caf::error configure(sqlite3* db, open_mode mode) {
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  if (auto err = exec(db, "PRAGMA foreign_keys = ON")) {
    return err;
  }
  if (mode == open_mode::read_only) {
    return exec(db, "PRAGMA query_only = ON");
  }
  // A no-op ("memory") for in-memory databases.
  return exec(db, "PRAGMA journal_mode = WAL");
}

// Read-only commands cannot migrate, so they refuse anything but the
// current schema with a message that says what to do.
caf::expected<int> check_read_only_version(sqlite3* db,
                                           const std::string& path) {
  auto version = read_schema_version(db);
  if (!version) {
    return version;
  }
  if (auto err = check_not_too_new(*version, path)) {
    return err;
  }
  if (*version == 0) {
    return caf::make_error(errc::schema_too_old,
                           "database " + path
                             + " has no orchestrator schema (version 0); run "
                               "`orchestrator init` to create it");
  }
  if (*version < latest_schema_version()) {
    return caf::make_error(
      errc::schema_too_old,
      "database " + path + " has schema version " + std::to_string(*version)
        + ", this orchestrator needs " + std::to_string(latest_schema_version())
        + "; run a write command (e.g. `orchestrator init`) once to migrate "
          "it");
  }
  return version;
}

} // namespace

caf::expected<database> database::open(const std::string& path,
                                       open_mode mode) {
  auto db = connect(path, mode);
  if (!db) {
    return std::move(db.error());
  }
  if (auto err = configure(db->get(), mode)) {
    return err;
  }
  auto version = mode == open_mode::read_write
                   ? migrate(db->get(), path)
                   : check_read_only_version(db->get(), path);
  if (!version) {
    return std::move(version.error());
  }
  auto stmts = prepare_statements(db->get());
  if (!stmts) {
    return std::move(stmts.error());
  }
  return database{path, mode, std::move(*db), *version, std::move(*stmts)};
}

database::database(std::string path, open_mode mode, connection_ptr db,
                   int version, std::unique_ptr<statements> stmts) noexcept
    : path_(std::move(path)), mode_(mode), db_(std::move(db)),
      version_(version), stmts_(std::move(stmts)) {
  // nop
}

database::database(database&&) noexcept = default;

database& database::operator=(database&&) noexcept = default;

database::~database() = default;

caf::expected<transaction> database::begin() {
  return transaction::begin(db_.get());
}

caf::expected<std::vector<core::graph_node>> database::task_nodes() {
  const auto& s = stmts_->task_nodes;
  auto guard = s.use();
  std::vector<core::graph_node> result;
  auto err = s.for_each_row([&]() -> caf::error {
    auto node = read_graph_node(s);
    if (!node) {
      return std::move(node.error());
    }
    result.emplace_back(std::move(*node));
    return caf::none;
  });
  if (err) {
    return err;
  }
  return result;
}

caf::expected<std::vector<task_row>>
database::list_tasks(const task_filter& filter) {
  if (filter.status && filter.phase) {
    const auto& s = stmts_->list_by_status_phase;
    auto guard = s.use();
    if (auto err = s.bind_all(core::to_string(*filter.status), *filter.phase)) {
      return err;
    }
    return read_tasks(s);
  }
  if (filter.status) {
    const auto& s = stmts_->list_by_status;
    auto guard = s.use();
    if (auto err = s.bind_all(core::to_string(*filter.status))) {
      return err;
    }
    return read_tasks(s);
  }
  if (filter.phase) {
    const auto& s = stmts_->list_by_phase;
    auto guard = s.use();
    if (auto err = s.bind_all(*filter.phase)) {
      return err;
    }
    return read_tasks(s);
  }
  auto guard = stmts_->list_all.use();
  return read_tasks(stmts_->list_all);
}

caf::expected<std::vector<task_row>> database::read_tasks(const statement& s) {
  std::vector<task_row> result;
  auto err = s.for_each_row([&]() -> caf::error {
    auto row = read_task_row(s);
    if (!row) {
      return std::move(row.error());
    }
    result.emplace_back(std::move(*row));
    return caf::none;
  });
  if (err) {
    return err;
  }
  return result;
}

caf::expected<std::optional<task_row>>
database::find_task(const std::string& key) {
  const auto& s = stmts_->find_task;
  auto guard = s.use();
  if (auto err = s.bind_all(key)) {
    return err;
  }
  auto rows = read_tasks(s);
  if (!rows) {
    return std::move(rows.error());
  }
  if (rows->empty()) {
    return std::optional<task_row>{};
  }
  return std::optional<task_row>{std::move(rows->front())};
}

caf::expected<std::vector<std::string>>
database::read_keys(const statement& s, const std::string& key) {
  auto guard = s.use();
  if (auto err = s.bind_all(key)) {
    return err;
  }
  std::vector<std::string> result;
  if (auto err
      = s.for_each_row([&] { result.emplace_back(s.column_text(0)); })) {
    return err;
  }
  return result;
}

caf::expected<std::vector<std::string>>
database::dependencies_of(const std::string& key) {
  return read_keys(stmts_->dependencies_of, key);
}

caf::expected<std::vector<std::string>>
database::dependents_of(const std::string& key) {
  return read_keys(stmts_->dependents_of, key);
}

caf::expected<std::vector<attempt_row>>
database::attempts_of(const std::string& key) {
  const auto& s = stmts_->attempts_of;
  auto guard = s.use();
  if (auto err = s.bind_all(key)) {
    return err;
  }
  std::vector<attempt_row> result;
  if (auto err
      = s.for_each_row([&] { result.emplace_back(read_attempt_row(s)); })) {
    return err;
  }
  return result;
}

caf::expected<int64_t> database::add_attempt(const attempt_row& x) {
  auto err = stmts_->insert_attempt.execute(
    x.task_key, x.stage, x.attempt, x.started_at, x.duration_ms, x.outcome,
    x.reason, x.cost_micros, x.tokens, x.log_path, x.worker_id);
  if (err) {
    return err;
  }
  return sqlite3_last_insert_rowid(db_.get());
}

caf::expected<task_counts> database::count_tasks() {
  const auto& s = stmts_->count_tasks;
  auto guard = s.use();
  task_counts result;
  auto err = s.for_each_row([&] {
    auto n = s.column_int64(1);
    switch (core::parse_task_status(s.column_text(0))
              .value_or(core::task_status::pending)) {
    case core::task_status::pending:
      result.pending += n;
      break;
    case core::task_status::running:
      result.running += n;
      break;
    case core::task_status::complete:
      result.complete += n;
      break;
    case core::task_status::blocked:
      result.blocked += n;
      break;
    }
  });
  if (err) {
    return err;
  }
  return result;
}

caf::error database::set_task_status(const task_status_update& x) {
  auto err
    = stmts_->set_status.execute(x.key, core::to_string(x.status), x.reason);
  if (err) {
    return err;
  }
  if (sqlite3_changes(db_.get()) == 0) {
    return caf::make_error(errc::not_found, "no task " + x.key);
  }
  return caf::none;
}

} // namespace tdd::store
