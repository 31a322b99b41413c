#pragma once

// The coordinator (ARCHITECTURE.md): owns one run. It spawns the local
// workers, keeps the ready set (core::task_graph over the selected tasks),
// leases tasks to workers that ask (pull model), reserves the budget before
// every agent call, pauses dispatch on usage limits, serializes merges (the
// merge queue runs on a blocking job), blocks the dependents of blocked
// tasks, and ends the run: complete, blocked, halted (budget, system
// circuit, an agent that cannot run) or interrupted (Ctrl-C).

#include "actors/blocking_job.hpp"
#include "actors/circuit_common.hpp"
#include "actors/supervisor.hpp"
#include "actors/worker.hpp"
#include "core/budget.hpp"
#include "core/task_graph.hpp"
#include "messages/cluster.hpp"
#include "messages/run_actors.hpp"
#include "messages/store_actor.hpp"

#include <caf/actor.hpp>
#include <caf/actor_clock.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace tdd {

struct coordinator_config {
  int64_t run_id = 0;
  std::string repo_root;
  std::string target;
  bool single_branch = false;
  std::vector<std::string> keys; ///< the selected tasks (core::select_tasks)
  /// Tasks a crashed run left running: they resume at their recorded
  /// stage; every other task starts at red. Tasks given back unfinished
  /// during the run (a crashed worker) join them.
  std::set<std::string> resumable;
  /// For the run_started progress line: tasks, workers, target, agent.
  std::string run_description;
  core::budget_limits limits;
  int32_t workers = 3;
  /// Settings every worker shares; id and worktree are set per worker.
  worker_config worker;
  std::string worktrees_dir; ///< .orchestrator/worktrees, absolute
  std::chrono::seconds usage_limit_backoff{60};
  std::chrono::seconds max_usage_backoff{900};
  /// The longest pause an agent's reset time may ask for: a week, the
  /// longest usage window agents have. An agent's figure is only bounded by
  /// exec::scale_decimal (10^15 s), which would overflow the actor clock.
  std::chrono::seconds max_requested_pause{std::chrono::hours{24 * 7}};
  std::chrono::seconds stage_timeout{900}; ///< for re-verifying a rebase
  caf::timespan lease_ttl = std::chrono::minutes{5};
  caf::timespan renew_every = std::chrono::minutes{1};
  /// Restart policy and worker factory of the supervisor; its worker,
  /// workers and worktrees_dir are the fields above.
  supervisor_config supervision;
  /// `run --listen` (SPEC.md 7): the gateway nodes join through. It learns
  /// the coordinator at the start and stops the nodes at the end. Null
  /// without --listen.
  gateway_actor gateway;
  /// With a gateway: the shared git remote. Node branches are fetched from
  /// it before their merge; the target is pushed to it after every merge.
  std::string remote;
};

struct coordinator_state {
  static inline constexpr const char* name = "coordinator";

  struct waiter {
    std::string worker;
    caf::typed_response_promise<task_assignment> promise;
  };

  struct merge_item {
    std::string key;
    std::string worktree;
    caf::typed_response_promise<merge_report> promise;
  };

  coordinator_config cfg;
  /// The selected tasks and their dependencies (core::scope_nodes), kept
  /// for the whole run: statuses change in place, never rebuilt per event.
  core::task_graph graph{std::vector<core::graph_node>{}};
  std::set<std::string> selected;
  std::map<std::string, int64_t> versions;        ///< task versions (leases)
  std::map<std::string, std::string> assigned;    ///< key -> worker
  std::map<std::string, core::task_spec> running; ///< specs of leased tasks
  /// Tasks this run blocked because of a blocked dependency: key -> it.
  std::map<std::string, std::string> dependency_blocked;
  std::deque<waiter> waiting;
  bool dispatching = false; ///< a claim is on its way to the store
  std::optional<core::budget> budget;
  caf::actor_clock::time_point paused_until;
  int32_t backoffs = 0; ///< usage limits in a row
  std::string halt_reason;
  bool interrupted = false;
  bool ending = false; ///< workers told to stop
  supervisor_actor supervisor;
  bool workers_down = false; ///< the supervisor stopped every worker
  bool nodes_down = false;   ///< the gateway stopped every node
  caf::actor_clock::time_point last_renew;
  std::deque<merge_item> merges;
  std::optional<merge_item> merging;
  std::vector<caf::typed_response_promise<run_summary>> summary_waiters;
  std::optional<run_summary> summary;
  bool recorded = false;          ///< the summary is on disk (flushed)
  blocking_job<merge_report> job; ///< last: destroyed first
};

coordinator_actor::behavior_type
coordinator(coordinator_actor::stateful_pointer<coordinator_state> self,
            coordinator_config cfg);

} // namespace tdd
