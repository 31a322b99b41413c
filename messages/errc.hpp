#pragma once

// The project's error codes (category "tdd"). Errors carry their human
// message as context: caf::make_error(errc::not_found, "no task X").

#include <caf/error.hpp>
#include <caf/make_message.hpp>

#include <cstdint>
#include <string>

namespace tdd {

/// Error codes of category "tdd". 0 is reserved: CAF treats code 0 as "no
/// error".
enum class errc : uint8_t {
  sqlite_failure = 1, ///< any SQLite error not listed below
  schema_too_new,     ///< the database was written by a newer orchestrator
  schema_too_old,     ///< a read-only open met an unmigrated database
  not_found,          ///< a file, task or row that does not exist
  conflict,           ///< the change contradicts what is stored
  busy,               ///< SQLITE_BUSY even after the busy timeout
  read_only,          ///< a write on a database opened read-only
  invalid_argument,   ///< a value the store cannot accept
  unauthorized,       ///< a node that did not prove the shared secret
};

/// The enumerator's name, e.g. "schema_too_new".
std::string to_string(errc x);

/// The message a person should read: the context string(s) when the error
/// has them, otherwise the code's name ("tdd.not_found", "system.
/// runtime_error"). Needs no actor_system. Empty for "no error".
std::string describe(const caf::error& x);

} // namespace tdd

CAF_ERROR_CODE_ENUM(tdd::errc, "tdd")
