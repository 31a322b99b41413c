#pragma once

// Shared by actors/worker*.cpp only: the worker's steps.

#include "actors/worker.hpp"
#include "messages/progress.hpp"

#include <cstdint>
#include <string>

namespace tdd::worker_detail {

using self_ptr = worker_actor::stateful_pointer<worker_state>;

caf::timestamp wall_now(self_ptr self);

/// Sends a progress event about the current task and stage to the CLI.
void progress(self_ptr self, progress_kind kind, std::string outcome = {},
              std::string detail = {}, int64_t duration_ms = 0);

/// Records the worker's state (idle, busy, paused, stopped) in the store.
void set_state(self_ptr self, const char* state);

void log_error(self_ptr self, const std::string& what, const caf::error& err);

/// Asks the coordinator for the next task (after a look at the circuit).
void ask_for_work(self_ptr self);

/// The next attempt of the current stage: budget, then circuits.
void next_attempt(self_ptr self);

/// Stops the worker for good.
void finish(self_ptr self);

/// Gives the task up (complete, blocked with reason, or pending) and asks
/// for the next one.
void give_back(self_ptr self, core::task_status status, std::string reason);

/// Ends the open attempt row with `result`.
void finish_attempt(self_ptr self, attempt_result result);

/// Both circuits learn how the attempt went; each counts only its kind.
/// `counted` false ends a trial without a verdict.
void report_circuits(self_ptr self, const stage_circuit_actor& stage_circuit,
                     const core::stage_verdict& verdict, bool counted);

// -- actors/worker_outcome.cpp -----------------------------------------------

/// A stage attempt finished: record it, settle the call, tell the
/// circuits, go on (next stage, retry, merge, pause or give back).
void on_stage_done(self_ptr self, stage_circuit_actor circuit,
                   exec::stage_outcome out);

} // namespace tdd::worker_detail
