#pragma once

#include "messages/control_listener_actor.hpp"
#include "messages/type_ids.hpp"

#include <caf/replies_to.hpp>
#include <caf/timestamp.hpp>
#include <caf/typed_actor.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace tdd {

/// The persistence actor: the only writer of the database. Writes are
/// fire-and-forget and batched (one mailbox burst = one transaction);
/// reads are requests and see the writes sent before them. Circuit saves
/// are requests that join the current batch.
using store_actor = caf::typed_actor<
  /// Moves a task to a new status (fire-and-forget, batched).
  caf::reacts_to<atom::status, task_status_update>,
  /// Internal: closes the current write batch. The actor sends it to itself
  /// when a batch opens, so it runs after the writes already queued.
  caf::reacts_to<atom::commit>,
  /// Commits pending writes now; replies with the number of transactions
  /// committed since the actor started.
  caf::replies_to<atom::flush>::with<int64_t>,
  /// All tasks, ordered by phase then key.
  caf::replies_to<atom::get, atom::tasks>::with<std::vector<task_row>>,
  /// One task; errc::not_found for an unknown key.
  caf::replies_to<atom::get, atom::task, std::string>::with<task_row>,
  /// Number of tasks per status.
  caf::replies_to<atom::get, atom::count>::with<task_counts>,
  /// Every task with its dependencies, phase and status (for the scheduler).
  caf::replies_to<atom::get, atom::graph>::with<std::vector<core::graph_node>>,
  /// The attempts of one task, oldest first.
  caf::replies_to<atom::get, atom::attempts,
                  std::string>::with<std::vector<attempt_row>>,
  /// Saves a circuit and its new events (optimistic locking on
  /// `version`, 0 = new) in the current batch; replies with the new
  /// version, or errc::conflict (nothing of this save is written; the rest
  /// of the batch is).
  caf::replies_to<atom::save, core::circuit_snapshot,
                  std::vector<core::circuit_event>>::with<int64_t>,
  /// Every circuit; `recent_changes` are the state changes in the 5
  /// minutes before the given time (the caller's actor-clock wall time).
  caf::replies_to<atom::get, atom::circuits,
                  caf::timestamp>::with<std::vector<core::circuit_snapshot>>,
  /// Registers a listener for live control commands (monitored; dropped
  /// when it goes down). While there is one, the store polls the `control`
  /// table every 500 ms.
  caf::reacts_to<atom::subscribe, control_listener_actor>,
  /// Internal: one poll of the `control` table (a delayed self-message).
  caf::reacts_to<atom::poll>>;

} // namespace tdd
