#pragma once

// Task messages: what the store hands out about tasks and what actors tell
// it. Plain structs with `inspect`, so they cross the network unchanged.

#include "core/task.hpp"
#include "core/task_graph.hpp"
#include "messages/type_ids.hpp"

#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace tdd::core {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_spec& x) {
  return f(caf::meta::type_name("task_spec"), x.key, x.title, x.goal,
           x.acceptance, x.test_file, x.impl_file, x.verify, x.verify_all,
           x.depends_on, x.phase, x.complexity);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, graph_node& x) {
  return f(caf::meta::type_name("graph_node"), x.key, x.depends_on, x.phase,
           x.status);
}

} // namespace tdd::core

namespace tdd {

/// One row of `tasks`: the spec as imported plus where the task stands.
struct task_row {
  core::task_spec spec;
  core::task_status status = core::task_status::pending;
  std::string blocked_reason; ///< e.g. `stage_circuit_open:green`
  std::string claimed_by;     ///< worker holding the lease, or empty
  std::string current_stage;  ///< empty before the first stage
  std::string created_at;     ///< UTC ISO-8601 with milliseconds
  std::string updated_at;     ///< UTC ISO-8601 with milliseconds
  /// The commit `current_stage` starts from on `tdd/KEY` (where `run
  /// --resume` restarts it); empty when unknown.
  std::string stage_commit;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_row& x) {
  return f(caf::meta::type_name("task_row"), x.spec, x.status, x.blocked_reason,
           x.claimed_by, x.current_stage, x.created_at, x.updated_at,
           x.stage_commit);
}

/// One row of `attempts`: one run of one stage of one task.
struct attempt_row {
  int64_t id = 0;
  std::string task_key;
  std::string stage; ///< red, green, verify, fix, refactor, commit
  int32_t attempt = 0;
  std::string started_at; ///< UTC ISO-8601 with milliseconds
  int64_t duration_ms = 0;
  std::string outcome;
  std::string reason;
  int64_t cost_micros = 0; ///< agent cost in micro-dollars
  int64_t tokens = 0;
  std::string log_path;
  std::string worker_id;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, attempt_row& x) {
  return f(caf::meta::type_name("attempt_row"), x.id, x.task_key, x.stage,
           x.attempt, x.started_at, x.duration_ms, x.outcome, x.reason,
           x.cost_micros, x.tokens, x.log_path, x.worker_id);
}

/// Number of tasks per status.
struct task_counts {
  int64_t pending = 0;
  int64_t running = 0;
  int64_t complete = 0;
  int64_t blocked = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_counts& x) {
  return f(caf::meta::type_name("task_counts"), x.pending, x.running,
           x.complete, x.blocked);
}

/// Moves a task to `status`. `reason` is kept as the blocked reason when
/// the task is blocked and cleared otherwise.
struct task_status_update {
  std::string key;
  core::task_status status = core::task_status::pending;
  std::string reason;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_status_update& x) {
  return f(caf::meta::type_name("task_status_update"), x.key, x.status,
           x.reason);
}

/// Outcome of `tasks import`. When `refused` is not empty nothing was
/// written and the counters describe what would have happened.
struct import_summary {
  int64_t added = 0;
  int64_t updated = 0;
  int64_t unchanged = 0;
  std::vector<std::string> refused; ///< keys in progress or complete
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, import_summary& x) {
  return f(caf::meta::type_name("import_summary"), x.added, x.updated,
           x.unchanged, x.refused);
}

} // namespace tdd
