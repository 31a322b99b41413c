#pragma once

// A node (SPEC.md 7, ARCHITECTURE.md "node"): `orchestrator worker
// --connect` on another host. It proves the shared secret to the
// coordinator's gateway (challenge + HMAC), gets the run's handles, and
// runs its own supervisor whose workers pull tasks from the coordinator
// like local ones, in worktrees of the node's clone of the shared remote.
// A heartbeat goes to the gateway every few seconds. The node ends
//   - normally when its workers have no more work, or the gateway stops it
//     at the end of the run;
//   - with errc::unauthorized when the secret was refused;
//   - with an error when the connection to the coordinator is lost.
// Told it was declared lost (a heartbeat answered false), it stops its
// workers and joins again under a fresh id.

#include "actors/supervisor.hpp"
#include "messages/cluster.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/timespan.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace tdd {

struct node_config {
  gateway_actor gateway;
  node_hello hello;   ///< host, workers, version
  std::string secret; ///< "" = none
  /// Settings of every worker (agent, timeouts, refactor); the run's
  /// handles, ids and paths are filled in from the welcome.
  worker_config worker;
  /// The node's directory: repo.git (its clone), worktrees/, logs/.
  std::string workdir;
  std::string remote = "origin"; ///< the shared remote in the clone
  /// Restart policy of its supervisor.
  supervisor_config supervision;
  caf::timespan request_timeout = std::chrono::seconds{30};
};

struct node_state {
  static inline constexpr const char* name = "node";

  node_config cfg;
  std::string id; ///< from the welcome; "" before
  supervisor_actor supervisor;
  caf::timespan heartbeat = std::chrono::seconds{5};
  bool stopping = false;
  std::vector<caf::typed_response_promise<bool>> stop_waiters;
};

node_actor::behavior_type node(node_actor::stateful_pointer<node_state> self,
                               node_config cfg);

} // namespace tdd
