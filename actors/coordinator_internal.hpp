#pragma once

// Shared by actors/coordinator*.cpp only: the coordinator's steps.

#include "actors/coordinator.hpp"
#include "messages/progress.hpp"

#include <string>
#include <vector>

namespace tdd::coordinator_detail {

using self_ptr = coordinator_actor::stateful_pointer<coordinator_state>;

caf::timestamp wall_now(self_ptr self);

/// The node of a selected task; nullptr for a key outside the run.
core::graph_node* node_of(self_ptr self, const std::string& key);

/// Counts of the selected tasks and the budget used, as the run sees them.
run_summary totals(self_ptr self);

/// Sends a progress event (with the run's totals) to the CLI, if it
/// listens.
void progress(self_ptr self, progress_kind kind, std::string task = {},
              std::string outcome = {}, std::string detail = {},
              std::string worker = {});

/// True once no new task or agent call may start.
bool dispatch_stopped(self_ptr self);
bool is_paused(self_ptr self);
/// The next task to dispatch (core::task_graph::first_ready), if any.
std::optional<std::string> first_ready(self_ptr self);

/// Tells every waiting worker there is no more work.
void release_waiters(self_ptr self);

/// Blocks every selected pending task that waits for a blocked one.
void block_dependents(self_ptr self);

/// Hands ready tasks to waiting workers, one claim at a time.
void dispatch(self_ptr self);

/// Stops the workers; the run ends when the last one is down.
void end_run(self_ptr self);

/// Ends the run when nothing runs and nothing more can start.
void check_end(self_ptr self);

/// No new dispatch; the run ends once the running tasks are given back.
/// `cause` is the halted progress event's outcome, for the notifier:
/// `budget`, `system_circuit` or `other`.
void halt(self_ptr self, std::string why, std::string cause = "other");

// -- actors/coordinator_merge.cpp --------------------------------------------

/// Starts the next queued merge unless one is running.
void start_merge(self_ptr self);

/// The merge job `id` finished: answer its worker, start the next.
void on_merge_done(self_ptr self, int64_t id);

/// `tasks retry KEY` on the live run: a blocked task of this run goes back
/// to pending with its stage circuits reset, and so do the tasks blocked
/// only because of it.
void retry_task(self_ptr self, const std::string& key);

} // namespace tdd::coordinator_detail
