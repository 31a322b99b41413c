#pragma once

// Run messages: what the coordinator and workers tell the store about a run
// (its start and end, task leases, attempts, workers, budget) and the rows
// they read back. Plain structs with `inspect`, so they cross the network
// unchanged.

#include "core/budget.hpp"
#include "core/run_plan.hpp"
#include "core/task.hpp"
#include "messages/circuit.hpp" // detail::optional_field_for
#include "messages/type_ids.hpp"

#include <caf/meta/type_name.hpp>
#include <caf/timestamp.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace tdd::core {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, budget_limits& x) {
  ::tdd::detail::optional_field_for<Inspector, micro_usd> max_cost{
    x.max_cost_micros};
  return f(caf::meta::type_name("budget_limits"), x.max_invocations,
           max_cost.value);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, budget_usage& x) {
  return f(caf::meta::type_name("budget_usage"), x.invocations, x.cost_micros,
           x.tokens);
}

} // namespace tdd::core

namespace tdd {

/// Starts a run (a row of `runs` with status `active`).
struct run_start {
  int64_t pid = 0;
  std::string host;
  std::string target_branch;
  std::string options_json; ///< the run's flags as a JSON object; "" = {}
  caf::timestamp started_at;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, run_start& x) {
  return f(caf::meta::type_name("run_start"), x.pid, x.host, x.target_branch,
           x.options_json, x.started_at);
}

/// Ends an active run.
struct run_finish {
  int64_t run_id = 0;
  core::run_outcome outcome = core::run_outcome::complete;
  std::string reason; ///< why it halted or blocked, for `status`
  caf::timestamp finished_at;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, run_finish& x) {
  return f(caf::meta::type_name("run_finish"), x.run_id, x.outcome, x.reason,
           x.finished_at);
}

/// One row of `runs`.
struct run_row {
  int64_t id = 0;
  std::string status; ///< active, or the run_outcome it ended with
  int64_t pid = 0;
  std::string host;
  std::string target_branch;
  std::string options_json;
  std::optional<int32_t> exit_code; ///< nullopt while active
  std::string halt_reason;
  std::string started_at;  ///< UTC ISO-8601 with milliseconds
  std::string finished_at; ///< empty while active
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, run_row& x) {
  detail::optional_field_for<Inspector, int32_t> exit_code{x.exit_code};
  return f(caf::meta::type_name("run_row"), x.id, x.status, x.pid, x.host,
           x.target_branch, x.options_json, exit_code.value, x.halt_reason,
           x.started_at, x.finished_at);
}

/// Claims a pending task for a worker until `expires_at`, if the task still
/// has `expected_version` (optimistic locking).
struct task_claim {
  std::string key;
  std::string worker_id;
  caf::timestamp expires_at;
  int64_t expected_version = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_claim& x) {
  return f(caf::meta::type_name("task_claim"), x.key, x.worker_id, x.expires_at,
           x.expected_version);
}

/// The lease holder gives a task up with its new status: complete, blocked
/// (`reason` is the blocked reason) or pending (to run again later).
struct task_release {
  std::string key;
  std::string worker_id;
  core::task_status status = core::task_status::pending;
  std::string reason;
  /// Not empty when the holder died with the task (a crashed worker): the
  /// task's attempts without an outcome become `interrupted` with this
  /// reason, in the same transaction as the release.
  std::string interrupted;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_release& x) {
  return f(caf::meta::type_name("task_release"), x.key, x.worker_id, x.status,
           x.reason, x.interrupted);
}

/// A task's lease and version, as a claim needs them.
struct task_lease {
  std::string key;
  core::task_status status = core::task_status::pending;
  std::string claimed_by;       ///< empty when free
  std::string claim_expires_at; ///< UTC ISO-8601; empty when free
  int64_t version = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_lease& x) {
  return f(caf::meta::type_name("task_lease"), x.key, x.status, x.claimed_by,
           x.claim_expires_at, x.version);
}

/// An attempt begins: a row of `attempts` without an outcome.
struct attempt_start {
  int64_t run_id = 0; ///< 0: outside a run
  std::string task_key;
  std::string stage; ///< red, green, verify, fix, refactor, commit
  int32_t attempt = 1;
  std::string worker_id;
  std::string log_path;
  caf::timestamp started_at;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, attempt_start& x) {
  return f(caf::meta::type_name("attempt_start"), x.run_id, x.task_key, x.stage,
           x.attempt, x.worker_id, x.log_path, x.started_at);
}

/// How an attempt ended.
struct attempt_result {
  int64_t duration_ms = 0;
  std::string outcome; ///< passed, failed, error, timeout, reverted, ...
  std::string reason;  ///< e.g. red_test_passes
  int64_t cost_micros = 0;
  int64_t tokens = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, attempt_result& x) {
  return f(caf::meta::type_name("attempt_result"), x.duration_ms, x.outcome,
           x.reason, x.cost_micros, x.tokens);
}

/// An attempt ends. It is found by what attempt_start said about it, so a
/// worker can stream both without waiting for the attempt's id.
struct attempt_finish {
  int64_t run_id = 0;
  std::string task_key;
  std::string stage;
  int32_t attempt = 1;
  attempt_result result;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, attempt_finish& x) {
  return f(caf::meta::type_name("attempt_finish"), x.run_id, x.task_key,
           x.stage, x.attempt, x.result);
}

/// A worker joins (or rejoins) a run.
struct worker_registration {
  std::string id;     ///< worker_N or <node>.worker_N
  std::string node;   ///< empty: local; otherwise a row of `nodes`
  int64_t run_id = 0; ///< 0: none
  std::string state = "idle";
  caf::timestamp at; ///< start and first heartbeat
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, worker_registration& x) {
  return f(caf::meta::type_name("worker_registration"), x.id, x.node, x.run_id,
           x.state, x.at);
}

/// What a worker is doing now.
struct worker_update {
  std::string id;
  std::string state;        ///< idle, busy, paused, stopped, lost
  std::string current_task; ///< empty: none
  std::string stage;        ///< of current_task; empty: none
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, worker_update& x) {
  return f(caf::meta::type_name("worker_update"), x.id, x.state, x.current_task,
           x.stage);
}

/// One row of `workers`.
struct worker_row {
  std::string id;
  std::string node; ///< empty: local
  int64_t run_id = 0;
  std::string state;
  std::string current_task;
  std::string current_stage;
  int64_t restarts = 0;
  std::string started_at;
  std::string heartbeat_at;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, worker_row& x) {
  return f(caf::meta::type_name("worker_row"), x.id, x.node, x.run_id, x.state,
           x.current_task, x.current_stage, x.restarts, x.started_at,
           x.heartbeat_at);
}

/// One row of `budget`: the caps of a run and what it used.
struct budget_row {
  int64_t run_id = 0;
  core::budget_limits limits;
  core::budget_usage usage;
  std::string updated_at;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, budget_row& x) {
  return f(caf::meta::type_name("budget_row"), x.run_id, x.limits, x.usage,
           x.updated_at);
}

} // namespace tdd
