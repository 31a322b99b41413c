// The typed interfaces of the circuit breaker actors (SPEC.md 5): stage and
// worker circuits, the system circuit, their listeners and the hub that
// owns them all.
//
// Why an include guard after the first include instead of #pragma once:
// type_ids.hpp includes this header *inside* the type-ID block, after the
// atoms these interfaces name, and registers the handles by their alias.
// CAF 0.17's CAF_ADD_TYPE_ID cannot spell these types out (it stringifies at
// most 9 comma-separated pieces), so the aliases must exist inside the
// block. Whichever of the two headers a file includes first, the aliases
// are defined exactly once, before they are registered.
#include "messages/type_ids.hpp"

#ifndef TDD_MESSAGES_CIRCUIT_ACTORS_HPP
#define TDD_MESSAGES_CIRCUIT_ACTORS_HPP

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace tdd {

/// Whoever wants to know about circuit changes (the hub, the notifier, the
/// metrics actor). Subscribes with `(atom::subscribe, listener)`.
using circuit_listener_actor = caf::typed_actor<
  /// A circuit changed (messages/circuit_change.hpp). Sent after every
  /// input that produced events, once at subscription, and after a reload.
  caf::reacts_to<atom::changed, circuit_change>>;

/// A stage circuit (one per task and stage, actors/stage_circuit.hpp) or a
/// worker circuit (one per worker, actors/worker_circuit.hpp): both answer
/// the same messages, so they share one handle type. Outcomes are
/// fire-and-forget; ask with `get` to see their effect. Every transition is
/// saved through the store before it is published.
using circuit_actor = caf::typed_actor<
  /// check_and_allow: may an attempt start now? Makes a due open ->
  /// half_open transition first; half_open admits one trial at a time. An
  /// allowed attempt must report `success` or `failure`.
  caf::replies_to<atom::allow>::with<bool>,
  /// The attempt succeeded.
  caf::reacts_to<atom::success>,
  /// The attempt failed with this kind and reason (e.g. "timeout"). The
  /// kind decides whether the circuit counts it: stage circuits count
  /// `task`, worker circuits `worker`, neither counts `usage_limit`.
  caf::reacts_to<atom::failure, core::failure_kind, std::string>,
  /// `circuits reset`: closed, counters zeroed, a manual_reset event.
  /// Replies with the snapshot afterwards.
  caf::replies_to<atom::reset>::with<core::circuit_snapshot>,
  /// The current snapshot; `version` is that of the last save sent.
  caf::replies_to<atom::get>::with<core::circuit_snapshot>,
  /// Publishes every change to the listener (monitored: dropped when it
  /// goes down) and sends it the current snapshot at once.
  caf::reacts_to<atom::subscribe, circuit_listener_actor>,
  /// Internal: a timed transition or an idle check is due.
  caf::reacts_to<atom::tick>>;

/// One per task and stage; spawned on demand by the hub.
using stage_circuit_actor = circuit_actor;

/// One per worker; spawned by the hub when the worker registers.
using worker_circuit_actor = circuit_actor;

/// The one system circuit (actors/system_circuit.hpp), fed by the hub with
/// worker circuit counts and by the coordinator with trial outcomes.
using system_circuit_actor = caf::typed_actor<
  /// May new stages be dispatched? False while open. Makes a due open ->
  /// half_open transition (auto_recovery) first.
  caf::replies_to<atom::allow>::with<bool>,
  /// The whole decision: allowed, how many workers, halted, grace deadline.
  caf::replies_to<atom::dispatch>::with<dispatch_policy>,
  /// From the hub: registered workers and how many of them are open.
  caf::reacts_to<atom::workers, int32_t, int32_t>,
  /// A half_open trial dispatch succeeded (ignored in other states).
  caf::reacts_to<atom::success>,
  /// A half_open trial failed; only `worker` failures reopen it.
  caf::reacts_to<atom::failure, core::failure_kind, std::string>,
  /// `circuits reset system`; replies with the snapshot afterwards.
  caf::replies_to<atom::reset>::with<core::circuit_snapshot>,
  /// The current snapshot.
  caf::replies_to<atom::get>::with<core::circuit_snapshot>,
  /// As for circuit_actor.
  caf::reacts_to<atom::subscribe, circuit_listener_actor>,
  /// Internal: the auto-recovery deadline is due.
  caf::reacts_to<atom::tick>>;

/// The registry of circuits (actors/circuit_hub.hpp). Loads every persisted
/// circuit at start, hands out circuits (spawning them from their persisted
/// snapshot), keeps the system circuit fed, and applies live `circuit_reset`
/// commands. Circuits are linked to it: they stop with it.
using circuit_hub_actor = caf::typed_actor<
  /// The circuit of stage STAGE of task TASK, spawned if not running. Ask
  /// again for each attempt: an idle stage circuit stops.
  caf::replies_to<atom::stage, std::string,
                  std::string>::with<stage_circuit_actor>,
  /// Registers worker ID (it counts for the system circuit from now on) and
  /// returns its circuit.
  caf::replies_to<atom::worker, std::string>::with<worker_circuit_actor>,
  /// The system circuit.
  caf::replies_to<atom::system>::with<system_circuit_actor>,
  /// The latest snapshot of every circuit the hub knows (loaded or live),
  /// ordered by display id.
  caf::replies_to<atom::get,
                  atom::circuits>::with<std::vector<core::circuit_snapshot>>,
  /// Resets `stage:TASK:STAGE`, `worker:ID`, `system`, or `all` (every
  /// circuit not closed or with counts); replies with the snapshots after.
  /// errc::invalid_argument for any other text.
  caf::replies_to<atom::reset,
                  std::string>::with<std::vector<core::circuit_snapshot>>,
  /// Live control from the store: `circuit_reset` with a display id or
  /// `all` is applied as `reset`; other commands are not the hub's.
  caf::reacts_to<atom::control, control_command>,
  /// Internal: changes of the circuits the hub spawned.
  caf::reacts_to<atom::changed, circuit_change>,
  /// Internal: an idle stage circuit (the sender) asks whether it may stop.
  /// False if the hub handed it out within the idle timeout.
  caf::replies_to<atom::idle>::with<bool>>;

} // namespace tdd

#endif // TDD_MESSAGES_CIRCUIT_ACTORS_HPP
