#pragma once

// A second, raw connection for tests that look under the store's API.

#include "messages/errc.hpp"
#include "store/sqlite_handle.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <string>
#include <vector>

namespace tdd::test {

inline store::connection_ptr open_raw(const std::string& path) {
  sqlite3* raw = nullptr;
  auto rc = sqlite3_open_v2(
    path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  store::connection_ptr db{raw};
  REQUIRE(rc == SQLITE_OK);
  sqlite3_busy_timeout(raw, 5000);
  return db;
}

inline void exec_sql(sqlite3* db, const std::string& sql) {
  auto err = store::exec(db, sql.c_str());
  REQUIRE_MESSAGE(!err, describe(err));
}

/// The first column of every row, as text.
inline std::vector<std::string> query_column(sqlite3* db,
                                             const std::string& sql) {
  auto stmt = store::statement::prepare(db, sql);
  REQUIRE_MESSAGE(stmt, describe(stmt.error()));
  std::vector<std::string> result;
  auto guard = stmt->use();
  auto err
    = stmt->for_each_row([&] { result.emplace_back(stmt->column_text(0)); });
  REQUIRE_MESSAGE(!err, describe(err));
  return result;
}

/// The first column of the first row, or "" without rows.
inline std::string query_text(sqlite3* db, const std::string& sql) {
  auto column = query_column(db, sql);
  return column.empty() ? std::string{} : column.front();
}

} // namespace tdd::test
