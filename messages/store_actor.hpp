#pragma once

#include "messages/control_listener_actor.hpp"
#include "messages/type_ids.hpp"

#include <caf/replies_to.hpp>
#include <caf/timestamp.hpp>
#include <caf/typed_actor.hpp>

#include <cstdint>
#include <set>
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
  caf::reacts_to<atom::poll>,
  // -- runs, leases, attempts, workers and budget (messages/run.hpp) -------
  // Requests that write commit the batch before they reply, so a reply
  // means the change is on disk; fire-and-forget writes join the batch.
  /// Starts a run; replies with its id, or errc::conflict naming the run
  /// that is active (its pid, host and start).
  caf::replies_to<atom::run, run_start>::with<int64_t>,
  /// Ends an active run (fire-and-forget; `flush` to wait for it).
  caf::reacts_to<atom::run, run_finish>,
  /// Claims a pending task at the expected version; replies false when
  /// someone else got it first (or it is not pending any more).
  caf::replies_to<atom::claim, task_claim>::with<bool>,
  /// Extends the lease of (task, worker) to the given time; replies false
  /// when the worker does not hold it any more.
  caf::replies_to<atom::renew, std::string, std::string,
                  caf::timestamp>::with<bool>,
  /// Puts the tasks whose lease expired before the given time back to
  /// pending (their open attempts become `interrupted`); replies their keys.
  caf::replies_to<atom::reclaim, caf::timestamp>::with<std::set<std::string>>,
  /// The same for every running task, expired or not: a coordinator that
  /// restarts after a crash holds none of the old leases.
  caf::replies_to<atom::reclaim>::with<std::set<std::string>>,
  /// Every task's lease and version, by key (what claims need).
  caf::replies_to<atom::get, atom::leases>::with<std::vector<task_lease>>,
  /// The lease holder releases a task with its new status (fire-and-forget).
  caf::reacts_to<atom::release, task_release>,
  /// Records the stage a task is in and the commit of its branch the stage
  /// starts from: (key, stage, commit) (fire-and-forget; "" = none).
  caf::reacts_to<atom::stage, std::string, std::string, std::string>,
  /// An attempt starts (fire-and-forget).
  caf::reacts_to<atom::attempt, attempt_start>,
  /// An attempt ends (fire-and-forget).
  caf::reacts_to<atom::attempt, attempt_finish>,
  /// Marks the attempts of a run that have no outcome `interrupted`;
  /// replies how many.
  caf::replies_to<atom::interrupt, int64_t>::with<int64_t>,
  /// A worker registers, or registers again (fire-and-forget).
  caf::reacts_to<atom::worker, worker_registration>,
  /// A worker's state, task and stage (fire-and-forget).
  caf::reacts_to<atom::worker, worker_update>,
  /// A worker is alive at the given time (fire-and-forget).
  caf::reacts_to<atom::heartbeat, std::string, caf::timestamp>,
  /// Sets the budget caps of a run (fire-and-forget).
  caf::reacts_to<atom::budget, int64_t, core::budget_limits>,
  /// Records what a run used so far (fire-and-forget; the last one wins).
  caf::reacts_to<atom::budget, int64_t, core::budget_usage>,
  // -- nodes (messages/cluster.hpp) -------------------------------------------
  /// A node joined: inserts its row, state connected (fire-and-forget).
  caf::reacts_to<atom::node, node_registration>,
  /// A node's new state (lost or left) at the given time; its workers
  /// become `lost` or `stopped` with it (fire-and-forget).
  caf::reacts_to<atom::node, std::string, std::string, caf::timestamp>,
  /// A node is alive at the given time (fire-and-forget).
  caf::reacts_to<atom::heartbeat, atom::node, std::string, caf::timestamp>,
  /// Every node, most recently connected first.
  caf::replies_to<atom::get, atom::nodes>::with<std::vector<node_row>>,
  // -- notifications (messages/monitoring.hpp) -------------------------------
  /// Records how one Slack notification ended (fire-and-forget, batched).
  caf::reacts_to<atom::notify, notification_record>>;

} // namespace tdd
