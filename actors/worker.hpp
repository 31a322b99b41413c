#pragma once

// A worker (SPEC.md 4, ARCHITECTURE.md "worker"): pulls one task at a time
// from the coordinator and drives it through the stages in its own git
// worktree. Before each attempt it reserves an agent call (agent stages),
// asks its worker circuit and the task's stage circuit; after it, it
// records the attempt, settles the call and reports the outcome to both
// circuits, which count only the failures of their kind. Git and child
// processes run on a blocking job (actors/blocking_job.hpp), so no
// scheduler thread ever waits for them.

#include "actors/blocking_job.hpp"
#include "actors/circuit_common.hpp"
#include "actors/fault_injection.hpp"
#include "core/stage_rules.hpp"
#include "exec/agent.hpp"
#include "exec/stage_runner.hpp"
#include "messages/circuit_actors.hpp"
#include "messages/run_actors.hpp"
#include "messages/store_actor.hpp"

#include <caf/actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/timespan.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace tdd {

struct worker_config {
  std::string id;        ///< worker_1 ...
  std::string repo_root; ///< the user's repository
  std::string worktree;  ///< .orchestrator/worktrees/<id>, absolute
  /// .orchestrator/logs/<run>, absolute; attempts store it relative to
  /// `repo_root`.
  std::string logs_dir;
  std::string target; ///< the branch tasks start from and merge into
  exec::agent_spec agent;
  std::chrono::seconds stage_timeout{900};
  std::chrono::milliseconds kill_grace{10'000};
  bool refactor = true;
  int64_t run_id = 0;
  store_actor store;
  circuit_hub_actor hub;
  caf::actor progress; ///< receives progress_event; may be invalid
  wall_anchor clock;
  caf::timespan request_timeout = std::chrono::seconds{30};
  /// How often a paused worker looks at its circuit again.
  caf::timespan pause_poll = std::chrono::seconds{1};
  /// The node this worker runs on (SPEC.md 7); "" on the coordinator.
  std::string node;
  /// On a node: the shared git remote of its clone. Before each task the
  /// target is fetched from it, and a finished task branch is pushed to it
  /// before the coordinator is asked to merge. "" on the coordinator.
  std::string remote;
  /// Test-only crashes (actors/fault_injection.hpp); null in real runs.
  std::shared_ptr<fault_plan> fault;
};

/// What a blocking job of the worker produced.
struct worker_job_result {
  std::string error; ///< preparing the worktree failed
  std::string red_blob;
  bool resumed = false; ///< the task's branch kept its work
  std::string head;     ///< the commit the prepared worktree is on
  std::string note;     ///< why a resume kept the branch tip
  exec::stage_outcome outcome;
};

struct worker_state {
  static inline constexpr const char* name = "worker";

  worker_config cfg;
  coordinator_actor coordinator;
  worker_circuit_actor circuit;
  std::optional<task_assignment> current;
  core::stage stage = core::stage::red;
  std::array<int32_t, core::all_stages.size()> attempts{};
  int32_t attempt = 0; ///< of the attempt in flight
  std::string red_blob;
  std::string restore_commit;
  /// The commit the current stage starts from, recorded with the stage: a
  /// resume restarts the stage there (see on_stage_done).
  std::string stage_commit;
  std::string failure_output;
  std::string log_rel; ///< log of the attempt in flight, relative
  caf::timestamp attempt_started;
  bool reserved = false;
  bool in_attempt = false; ///< an attempt row is open
  bool stopping = false;
  bool preparing = false;      ///< the job puts the worktree on the task
  bool awaiting_merge = false; ///< the coordinator merges the task
  /// What the next tick is for: retrying the attempt (true) or asking for
  /// work (false).
  bool tick_attempt = false;
  /// The stage circuit of the attempt in flight.
  stage_circuit_actor pending_circuit;
  /// Declared last: destroyed first, so a job still running at shutdown is
  /// cancelled and joined while the rest of the state is intact.
  blocking_job<worker_job_result> job;
};

worker_actor::behavior_type
worker(worker_actor::stateful_pointer<worker_state> self, worker_config cfg,
       coordinator_actor coordinator);

/// The attempt outcome recorded for a stage outcome: passed, reverted,
/// failed, error, timeout, usage_limit or interrupted.
std::string attempt_outcome(const exec::stage_outcome& x);

} // namespace tdd
