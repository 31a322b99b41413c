#pragma once

// The database schema as an ordered list of migrations. `PRAGMA
// user_version` holds the number of migrations applied; migration i moves a
// database from version i to i + 1 in one transaction.

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <string>
#include <string_view>
#include <vector>

struct sqlite3;

namespace tdd::store {

/// The migrations this binary knows, oldest first. Append only: a released
/// migration never changes.
const std::vector<std::string_view>& migrations();

/// The newest schema version this binary knows (= migrations().size()).
int latest_schema_version();

/// Reads `PRAGMA user_version`.
[[nodiscard]] caf::expected<int> read_schema_version(sqlite3* db);

/// errc::schema_too_new when `version` is newer than this binary knows.
[[nodiscard]] caf::error check_not_too_new(int version,
                                           const std::string& path);

/// Applies the missing migrations, each in its own transaction, and returns
/// the resulting version. Safe against a concurrent migrator: each step
/// re-reads the version under the write lock.
[[nodiscard]] caf::expected<int> migrate(sqlite3* db, const std::string& path);

} // namespace tdd::store
