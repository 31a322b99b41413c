#pragma once

// The registry of circuit breakers (SPEC.md 5). At start it loads every
// persisted circuit and spawns the system circuit from its row; stage
// circuits are spawned on demand and worker circuits at registration, each
// from its persisted snapshot, so a restarted run continues where it
// stopped. It keeps the latest snapshot of every circuit (each one it spawns
// publishes to it), feeds the system circuit the worker counts, applies
// `circuit_reset` control commands, and decides when an idle stage circuit
// may stop.
//
// Children are linked: they stop with the hub, and a child that crashes
// (a bug) takes the hub and its siblings down for the supervisor to see.

#include "actors/circuit_common.hpp"
#include "core/circuit.hpp"
#include "core/config.hpp"
#include "messages/circuit_actors.hpp"
#include "messages/store_actor.hpp"

#include <caf/actor_clock.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/timespan.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace tdd {

struct circuit_hub_config {
  store_actor store;
  core::circuit_settings settings;
  /// Wall time when the hub starts: the one place wall time enters the
  /// circuits. The composition root passes std::chrono::system_clock::now();
  /// tests pass a fixed time (the actor clock is virtual there).
  core::wall_time wall_start;
  caf::timespan request_timeout = std::chrono::seconds{10};
  /// How long a clean stage circuit stays without a message (and without
  /// being handed out) before it stops.
  caf::timespan idle_timeout = std::chrono::seconds{60};
  /// Gets every change that has events, of every circuit (the Slack
  /// notifier); null: nobody.
  circuit_listener_actor listener;
};

struct circuit_hub_state {
  static inline constexpr const char* name = "circuit_hub";

  struct stage_entry {
    stage_circuit_actor handle;
    caf::actor_clock::time_point handed_out;
  };

  struct worker_entry {
    worker_circuit_actor handle;
    bool registered = false; ///< counts for the system circuit
  };

  circuit_hub_config config;
  circuit_env env;
  /// Latest snapshot of every circuit, loaded or live, by display id.
  std::map<std::string, core::circuit_snapshot> known;
  std::map<std::string, stage_entry> stages;   ///< live, by TASK:STAGE
  std::map<std::string, worker_entry> workers; ///< live, by worker id
  system_circuit_actor system;
  int32_t sent_registered = 0; ///< worker counts last sent to `system`
  int32_t sent_open = 0;
};

/// Loads the persisted circuits before it handles any request; quits with
/// the store's error if it cannot.
circuit_hub_actor::behavior_type
circuit_hub(circuit_hub_actor::stateful_pointer<circuit_hub_state> self,
            circuit_hub_config config);

} // namespace tdd
