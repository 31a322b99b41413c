#include "store/sqlite_handle.hpp"

#include <utility>

namespace tdd::store {

caf::error make_sqlite_error(sqlite3* db, int rc, std::string_view what) {
  std::string context{what};
  context += ": ";
  context += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) { // the primary code; extended codes add detail bits
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    return caf::make_error(errc::busy, std::move(context));
  case SQLITE_READONLY:
    return caf::make_error(errc::read_only, std::move(context));
  default:
    return caf::make_error(errc::sqlite_failure, std::move(context));
  }
}

caf::error exec(sqlite3* db, const char* sql) {
  char* raw_message = nullptr;
  auto rc = sqlite3_exec(db, sql, nullptr, nullptr, &raw_message);
  std::unique_ptr<char, decltype(&sqlite3_free)> message{raw_message,
                                                         &sqlite3_free};
  if (rc == SQLITE_OK) {
    return caf::none;
  }
  std::string what = "executing SQL";
  if (message) {
    what += " (";
    what += message.get();
    what += ")";
  }
  return make_sqlite_error(db, rc, what);
}

caf::expected<statement> statement::prepare(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  auto rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                               SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  statement_ptr stmt{raw};
  if (rc != SQLITE_OK) {
    std::string what = "preparing `";
    what += sql.substr(0, 60);
    what += "`";
    return make_sqlite_error(db, rc, what);
  }
  return statement{std::move(stmt)};
}

caf::error statement::bind(int index, int64_t x) const {
  auto rc = sqlite3_bind_int64(stmt_.get(), index, x);
  if (rc != SQLITE_OK) {
    return make_sqlite_error(db(), rc, "binding an integer");
  }
  return caf::none;
}

caf::error statement::bind(int index, std::string_view x) const {
  auto rc = sqlite3_bind_text64(stmt_.get(), index, x.data(), x.size(),
                                SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) {
    return make_sqlite_error(db(), rc, "binding a text");
  }
  return caf::none;
}

caf::error statement::bind_null(int index) const {
  auto rc = sqlite3_bind_null(stmt_.get(), index);
  if (rc != SQLITE_OK) {
    return make_sqlite_error(db(), rc, "binding NULL");
  }
  return caf::none;
}

caf::expected<bool> statement::step() const {
  auto rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  return make_sqlite_error(db(), rc, "running a statement");
}

caf::error statement::run() const {
  for (;;) {
    auto has_row = step();
    if (!has_row) {
      return std::move(has_row.error());
    }
    if (!*has_row) {
      return caf::none;
    }
  }
}

int64_t statement::column_int64(int column) const {
  return sqlite3_column_int64(stmt_.get(), column);
}

double statement::column_double(int column) const {
  return sqlite3_column_double(stmt_.get(), column);
}

std::string statement::column_text(int column) const {
  // Text before bytes: sqlite3_column_bytes reports the converted size.
  const auto* text = sqlite3_column_text(stmt_.get(), column);
  if (text == nullptr) {
    return {};
  }
  auto size = static_cast<size_t>(sqlite3_column_bytes(stmt_.get(), column));
  return std::string{reinterpret_cast<const char*>(text), size};
}

bool statement::column_is_null(int column) const {
  return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL;
}

caf::expected<transaction> transaction::begin(sqlite3* db) {
  if (auto err = exec(db, "BEGIN IMMEDIATE")) {
    return err;
  }
  return transaction{db};
}

transaction::transaction(transaction&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)) {
  // nop
}

transaction& transaction::operator=(transaction&& other) noexcept {
  if (this != &other) {
    rollback();
    db_ = std::exchange(other.db_, nullptr);
  }
  return *this;
}

transaction::~transaction() {
  rollback();
}

caf::error transaction::commit() {
  if (db_ == nullptr) {
    return caf::make_error(errc::invalid_argument,
                           "commit on a finished transaction");
  }
  if (auto err = exec(db_, "COMMIT")) {
    return err; // still active: the destructor rolls back
  }
  db_ = nullptr;
  return caf::none;
}

void transaction::rollback() noexcept {
  if (db_ == nullptr) {
    return;
  }
  // SQLite may already have rolled back on its own (e.g. after SQLITE_FULL);
  // then there is nothing left to undo.
  if (sqlite3_get_autocommit(db_) == 0) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  db_ = nullptr;
}

caf::expected<write_scope> write_scope::begin(sqlite3* db) {
  if (sqlite3_get_autocommit(db) != 0) {
    auto txn = transaction::begin(db);
    if (!txn) {
      return std::move(txn.error());
    }
    return write_scope{nullptr, std::move(*txn)};
  }
  if (auto err = exec(db, "SAVEPOINT tdd_write_scope")) {
    return err;
  }
  return write_scope{db, std::nullopt};
}

write_scope::write_scope(sqlite3* savepoint_db,
                         std::optional<transaction> txn) noexcept
    : savepoint_db_(savepoint_db), txn_(std::move(txn)) {
  // nop
}

write_scope::write_scope(write_scope&& other) noexcept
    : savepoint_db_(std::exchange(other.savepoint_db_, nullptr)),
      txn_(std::exchange(other.txn_, std::nullopt)) {
  // nop
}

write_scope::~write_scope() {
  // As in transaction::rollback: nothing to undo if SQLite already rolled
  // back the whole transaction. Savepoints nest by name, so this undoes and
  // closes the innermost one, ours.
  if (savepoint_db_ != nullptr && sqlite3_get_autocommit(savepoint_db_) == 0) {
    sqlite3_exec(savepoint_db_,
                 "ROLLBACK TO tdd_write_scope; RELEASE tdd_write_scope",
                 nullptr, nullptr, nullptr);
  }
}

caf::error write_scope::commit() {
  if (txn_) {
    return txn_->commit();
  }
  if (savepoint_db_ == nullptr) {
    return caf::make_error(errc::invalid_argument,
                           "commit on a finished write scope");
  }
  if (auto err = exec(savepoint_db_, "RELEASE tdd_write_scope")) {
    return err;
  }
  savepoint_db_ = nullptr;
  return caf::none;
}

} // namespace tdd::store
