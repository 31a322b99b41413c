#pragma once

// The run's actors (actors/coordinator.hpp, actors/worker.hpp): what a
// worker asks the coordinator for, what the coordinator answers, and how
// the CLI learns that the run is over. Workers pull work, so a paused or
// slow worker simply stops asking.

#include "core/task.hpp"
#include "messages/circuit_actors.hpp"
#include "messages/control.hpp"
#include "messages/run.hpp"
#include "messages/task.hpp"
#include "messages/type_ids.hpp"

#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace tdd {

/// A task the coordinator leased to a worker. An empty `task.key` means
/// there is no more work for this worker: it stops.
struct task_assignment {
  core::task_spec task;
  /// Where to start: "" or "red" for a fresh task; a later stage resumes a
  /// task whose branch holds the work of the stages before it.
  std::string start_stage;
  int64_t run_id = 0;
  /// With a resumed `start_stage`: the commit of `tdd/KEY` that stage
  /// started from (tasks.stage_commit); the worker resets the branch there
  /// so the stage restarts from its beginning. "" = keep the branch tip.
  std::string start_commit;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_assignment& x) {
  return f(caf::meta::type_name("task_assignment"), x.task, x.start_stage,
           x.run_id, x.start_commit);
}

/// What the merge queue did with a task branch (exec::merge_result).
struct merge_report {
  std::string status; ///< exec::to_string(merge_status)
  std::string target_commit;
  std::vector<std::string> conflicts;
  std::string message;
  /// verify_all output when the re-verify after a rebase failed.
  std::string verify_output;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, merge_report& x) {
  return f(caf::meta::type_name("merge_report"), x.status, x.target_commit,
           x.conflicts, x.message, x.verify_output);
}

/// How the run ended, for the CLI's exit code and last line.
struct run_summary {
  int64_t run_id = 0;
  core::run_outcome outcome = core::run_outcome::complete;
  std::string reason; ///< why it halted or was interrupted; "" otherwise
  int32_t complete = 0;
  int32_t blocked = 0;
  int32_t pending = 0; ///< selected tasks that did not run to the end
  core::budget_usage usage;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, run_summary& x) {
  return f(caf::meta::type_name("run_summary"), x.run_id, x.outcome, x.reason,
           x.complete, x.blocked, x.pending, x.usage);
}

/// The coordinator: owns the run (ready set, leases, budget, merge queue,
/// the end of the run).
using coordinator_actor = caf::typed_actor<
  /// A worker (the sender) asks for its next task. The reply may wait
  /// until something is ready; an empty key means stop.
  caf::replies_to<atom::next, std::string>::with<task_assignment>,
  /// The worker gives its task up: complete, blocked (with reason) or
  /// pending (to run again later).
  caf::reacts_to<atom::done, task_release>,
  /// Reserve one agent call before it starts. Reply: 0 granted; > 0
  /// dispatch is paused, ask again after that many ms; -1 no more calls
  /// (budget spent, run halted or interrupted).
  caf::replies_to<atom::reserve, std::string>::with<int64_t>,
  /// A reserved call ran: (cost micro-dollars, tokens).
  caf::reacts_to<atom::settle, int64_t, int64_t>,
  /// A reserved call did not count (usage limit, never started).
  caf::reacts_to<atom::release>,
  /// The agent hit a usage limit; the argument is the pause the agent
  /// asked for in seconds (-1: none). Replies with the pause in ms.
  caf::replies_to<atom::pause, int64_t>::with<int64_t>,
  /// No retry can fix the agent: halt dispatch with this message.
  caf::reacts_to<atom::halt, std::string>,
  /// Merge a finished task branch: (key, the worktree holding it). One
  /// merge at a time; the reply comes when it is done.
  caf::replies_to<atom::merge, std::string, std::string>::with<merge_report>,
  /// Ctrl-C: stop dispatch, stop the workers, end the run as interrupted.
  caf::reacts_to<atom::interrupt>,
  /// The CLI waits for the end of the run.
  caf::replies_to<atom::wait>::with<run_summary>,
  /// Live control from the store (`tasks retry`).
  caf::reacts_to<atom::control, control_command>,
  /// The system circuit changed.
  caf::reacts_to<atom::changed, circuit_change>,
  /// Internal: renew leases, end a pause, check the end of the run.
  caf::reacts_to<atom::tick>,
  /// Internal: the merge job with this id finished.
  caf::reacts_to<atom::done, int64_t>,
  /// From the supervisor: this worker is gone (it crashed, lost its lease
  /// or stopped on its own); the tasks it held go back to pending. The
  /// number is how many workers remain (alive or about to restart).
  caf::reacts_to<atom::lost, std::string, int32_t>>;

/// A worker: one task at a time through the stages.
using worker_actor = caf::typed_actor<
  /// Stop: cancel the running stage (its processes are killed), give the
  /// task back, quit.
  caf::reacts_to<atom::stop>,
  /// Internal: the blocking job with this id finished.
  caf::reacts_to<atom::done, int64_t>,
  /// Internal: try again (a paused worker, a paused dispatch).
  caf::reacts_to<atom::tick>>;

/// The supervisor (actors/supervisor.hpp): spawns the workers of its node,
/// watches them and restarts the ones that crash.
using supervisor_actor = caf::typed_actor<
  /// Stops every worker (each gives its task back) and restarts none;
  /// replies once the last one is down.
  caf::replies_to<atom::stop>::with<bool>,
  /// The worker with this id lost its lease: stop it at once, as a crash.
  caf::reacts_to<atom::lost, std::string>,
  /// Internal: the restart backoff of this worker is over.
  caf::reacts_to<atom::restart, std::string>>;

} // namespace tdd
