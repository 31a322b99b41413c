#pragma once

// The persistence actor: owns the read-write connection and is the only
// writer. Production spawns it `caf::detached` (SQLite calls block); tests
// spawn it plain so the test coordinator stays deterministic.

#include "messages/circuit.hpp"
#include "messages/control_listener_actor.hpp"
#include "messages/store_actor.hpp"
#include "messages/task.hpp"
#include "store/database.hpp"
#include "store/sqlite_handle.hpp"

#include <caf/error.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tdd::store {

/// How often the store looks for new `control` rows while someone listens:
/// a command from another shell reaches the run within about this long.
constexpr auto control_poll_interval = std::chrono::milliseconds{500};

struct persistence_state {
  static inline constexpr const char* name = "persistence";

  persistence_state() = default;
  persistence_state(const persistence_state&) = delete;
  persistence_state& operator=(const persistence_state&) = delete;
  /// Commits the open batch: an actor that exits loses no write it took.
  ~persistence_state();

  /// Opens a write batch unless one is open; true if this call opened it.
  [[nodiscard]] caf::expected<bool> ensure_batch();

  /// Commits the open batch, if any, and counts it.
  [[nodiscard]] caf::error commit_batch();

  /// Counts and logs a write that failed; fire-and-forget has no caller to
  /// tell.
  void record_failure(caf::error err);

  std::optional<database> db;
  std::optional<transaction> batch; ///< declared after db: ends first
  int64_t transactions = 0;         ///< batches committed since start
  int64_t failed_writes = 0;
  caf::error last_error; ///< of the most recent failed write
  /// Listeners for live control commands; while there is one, the actor polls
  /// the `control` table every control_poll_interval.
  std::vector<control_listener_actor> listeners;
  bool is_polling = false; ///< a poll message is on its way
};

/// Opens `db_path` read-write (creating and migrating it); quits with the
/// error if that fails.
store_actor::behavior_type
persistence(store_actor::stateful_pointer<persistence_state> self,
            std::string db_path);

} // namespace tdd::store
