#pragma once

// RAII owners for SQLite handles, a prepared statement that resets itself
// after each use, and a transaction that rolls back unless committed.

#include "messages/errc.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace tdd::store {

struct sqlite_deleter {
  void operator()(sqlite3* x) const noexcept { sqlite3_close_v2(x); }
  void operator()(sqlite3_stmt* x) const noexcept { sqlite3_finalize(x); }
};

using connection_ptr = std::unique_ptr<sqlite3, sqlite_deleter>;
using statement_ptr = std::unique_ptr<sqlite3_stmt, sqlite_deleter>;

/// Turns SQLite result code `rc` on `db` into an error: errc::busy,
/// errc::read_only or errc::sqlite_failure, with context "what: message".
caf::error make_sqlite_error(sqlite3* db, int rc, std::string_view what);

/// Runs one or more SQL statements that return no rows.
[[nodiscard]] caf::error exec(sqlite3* db, const char* sql);

/// A statement prepared once and reused. Every use goes through `use()`,
/// whose guard resets the statement and clears its bindings at scope exit,
/// so no use sees the previous one's bindings or holds a read open.
class statement {
public:
  /// Resets and clears the statement when it goes out of scope.
  class [[nodiscard]] reset_guard {
  public:
    explicit reset_guard(sqlite3_stmt* stmt) noexcept : stmt_(stmt) {}
    reset_guard(const reset_guard&) = delete;
    reset_guard& operator=(const reset_guard&) = delete;
    ~reset_guard() {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
    }

  private:
    sqlite3_stmt* stmt_;
  };

  /// An empty statement, only to be assigned a prepared one.
  statement() noexcept = default;

  [[nodiscard]] static caf::expected<statement> prepare(sqlite3* db,
                                                        std::string_view sql);

  /// Starts one use: bind, step, read columns, then let the guard go.
  reset_guard use() const noexcept { return reset_guard{stmt_.get()}; }

  /// Binds parameter `index` (1-based).
  [[nodiscard]] caf::error bind(int index, int64_t x) const;
  [[nodiscard]] caf::error bind(int index, std::string_view x) const;
  [[nodiscard]] caf::error bind_null(int index) const;

  /// Binds the value, or NULL for nullopt.
  template <class T>
  [[nodiscard]] caf::error bind(int index, const std::optional<T>& x) const {
    return x ? bind(index, *x) : bind_null(index);
  }

  /// Binds `xs` to the parameters 1, 2, ... in order.
  template <class... Ts>
  [[nodiscard]] caf::error bind_all(const Ts&... xs) const {
    int index = 0;
    caf::error result;
    auto bind_one = [&](const auto& x) {
      ++index;
      if (!result) { // keeps the first failure
        result = bind(index, x);
      }
    };
    (bind_one(xs), ...);
    return result;
  }

  /// One whole use of a statement that returns no rows: binds `xs`, runs
  /// it to the end and resets it.
  template <class... Ts>
  [[nodiscard]] caf::error execute(const Ts&... xs) const {
    auto guard = use();
    if (auto err = bind_all(xs...)) {
      return err;
    }
    return run();
  }

  /// Steps once: true when a row is ready, false when done.
  [[nodiscard]] caf::expected<bool> step() const;

  /// Calls `f()` for each row until the end, the first error of `step`, or
  /// the first error `f` returns (when it returns caf::error).
  template <class F> [[nodiscard]] caf::error for_each_row(F&& f) const {
    for (;;) {
      auto has_row = step();
      if (!has_row) {
        return std::move(has_row.error());
      }
      if (!*has_row) {
        return caf::none;
      }
      if constexpr (std::is_void_v<decltype(f())>) {
        f();
      } else if (auto err = f()) {
        return err;
      }
    }
  }

  /// Steps to the end, for statements that return no rows.
  [[nodiscard]] caf::error run() const;

  int64_t column_int64(int column) const;
  double column_double(int column) const;
  std::string column_text(int column) const;
  bool column_is_null(int column) const;

  sqlite3* db() const noexcept { return sqlite3_db_handle(stmt_.get()); }

private:
  explicit statement(statement_ptr stmt) noexcept : stmt_(std::move(stmt)) {}

  statement_ptr stmt_;
};

/// A write transaction (BEGIN IMMEDIATE, so it takes the write lock at once
/// and never fails half way with SQLITE_BUSY). The destructor rolls back
/// unless `commit()` succeeded.
class transaction {
public:
  [[nodiscard]] static caf::expected<transaction> begin(sqlite3* db);

  transaction(transaction&& other) noexcept;
  transaction& operator=(transaction&& other) noexcept;
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  ~transaction();

  [[nodiscard]] caf::error commit();

  /// False once committed, rolled back, moved from, or ended by SQLite
  /// itself (some errors, e.g. SQLITE_FULL, roll back the whole
  /// transaction).
  bool is_active() const noexcept {
    return db_ != nullptr && sqlite3_get_autocommit(db_) == 0;
  }

private:
  explicit transaction(sqlite3* db) noexcept : db_(db) {}

  void rollback() noexcept;

  sqlite3* db_ = nullptr; ///< not owned; null once finished
};

/// Makes a group of writes all or nothing wherever it runs: its own
/// transaction (BEGIN IMMEDIATE) when none is open, otherwise a SAVEPOINT
/// in the caller's transaction, so a failed group leaves the caller's other
/// writes in place. The destructor rolls the group back unless `commit()`
/// succeeded.
class write_scope {
public:
  [[nodiscard]] static caf::expected<write_scope> begin(sqlite3* db);

  write_scope(write_scope&& other) noexcept;
  write_scope& operator=(write_scope&&) = delete;
  write_scope(const write_scope&) = delete;
  write_scope& operator=(const write_scope&) = delete;
  ~write_scope();

  /// Commits the own transaction or releases the savepoint.
  [[nodiscard]] caf::error commit();

private:
  write_scope(sqlite3* savepoint_db, std::optional<transaction> txn) noexcept;

  sqlite3* savepoint_db_ = nullptr; ///< set while a savepoint is open
  std::optional<transaction> txn_;  ///< set when the scope owns one
};

} // namespace tdd::store
