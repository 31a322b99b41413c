#pragma once

// The supervisor (ARCHITECTURE.md "supervisor"): spawns the workers of its
// node and monitors them. CAF 0.17 has no supervision of its own; this is
// ours. When a worker ends abnormally (an exception, a crash of its child
// handling, a lost lease) the supervisor
//   - tells the coordinator, which gives the worker's task back to pending
//     and marks its open attempt `interrupted` (reason worker_crashed);
//   - counts a failure on the worker's circuit (reason worker_crashed);
//   - restarts it under the same id and worktree after a backoff
//     (restart_backoff doubled for each restart in the window, at most
//     max_backoff), unless the node had max_restarts restarts within
//     restart_window already: then it restarts nothing more on this node.
// A worker that stops on its own (no more work) is not restarted. On
// `stop` every worker is told to stop and the reply comes once the last
// one is down. An exit message (its coordinator or node going away)
// takes every worker down with it, so none outlives its supervisor.

#include "actors/worker.hpp"
#include "messages/circuit_actors.hpp"
#include "messages/run_actors.hpp"

#include <caf/actor_addr.hpp>
#include <caf/actor_clock.hpp>
#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/timespan.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace tdd {

/// Starts one worker; tests replace the real one.
using worker_factory = std::function<worker_actor(
  caf::actor_system&, const worker_config&, const coordinator_actor&)>;

struct supervisor_config {
  /// What every worker shares; the id (worker_N) and the worktree
  /// (worktrees_dir/worker_N) are set per worker.
  worker_config worker;
  int32_t workers = 3;
  std::string worktrees_dir;
  caf::timespan restart_backoff = std::chrono::seconds{1};
  caf::timespan max_backoff = std::chrono::seconds{30};
  int32_t max_restarts = 5;
  caf::timespan restart_window = std::chrono::seconds{60};
  /// Empty: actors/worker.hpp's worker.
  worker_factory spawn;
  /// Put before every worker id: "" on the coordinator, "<node>." on a
  /// node (its workers are <node>.worker_N).
  std::string id_prefix;
  /// A node's supervisor ends once no worker is left (normally; with an
  /// error when the restart limit was hit). The coordinator's stays until
  /// it is stopped.
  bool quit_when_idle = false;
};

struct supervisor_state {
  static inline constexpr const char* name = "supervisor";

  supervisor_config cfg;
  coordinator_actor coordinator;
  std::map<std::string, worker_actor> alive;  ///< by worker id
  std::map<caf::actor_addr, std::string> ids; ///< of the alive ones
  std::set<std::string> restarting;           ///< waiting for their backoff
  std::deque<caf::actor_clock::time_point> restarts; ///< in the window
  bool gave_up = false; ///< the restart limit was hit: no more restarts
  bool stopping = false;
  std::vector<caf::typed_response_promise<bool>> stop_waiters;
};

supervisor_actor::behavior_type
supervisor(supervisor_actor::stateful_pointer<supervisor_state> self,
           supervisor_config cfg, coordinator_actor coordinator);

} // namespace tdd
