#pragma once

// What a run tells the person watching it (`run`'s progress view): one
// event per step, sent by the coordinator and the workers to the progress
// actor of the CLI. Plain data; the CLI renders it (cli/progress_view.hpp).

#include "messages/type_ids.hpp"

#include <caf/meta/type_name.hpp>
#include <caf/timestamp.hpp>

#include <cstdint>
#include <string>

namespace tdd {

enum class progress_kind : uint8_t {
  run_started,    ///< detail: "N tasks, W workers, target BRANCH, agent A"
  task_started,   ///< worker took task (stage: where it starts)
  stage_started,  ///< worker, task, stage, attempt
  stage_finished, ///< + outcome (passed, failed, ...), detail = reason
  task_finished,  ///< outcome = complete | blocked | pending; detail = reason
  merged,         ///< task landed on the target; detail = short commit id
  paused,         ///< dispatch paused (usage limit); detail = why, until when
  resumed,        ///< dispatch resumed
  halted,         ///< no new dispatch; outcome = budget, system_circuit or
                  ///< other; detail = why
  run_finished,   ///< outcome = complete|blocked|halted|interrupted
  worker_lost,    ///< the worker crashed holding task (the supervisor acts)
  node,           ///< worker = node id; outcome joined|lost|left; detail why
};

std::string to_string(progress_kind x);

/// One step of a run. Fields that do not apply to a kind stay empty / 0.
struct progress_event {
  progress_kind kind = progress_kind::run_started;
  caf::timestamp at; ///< wall time of the step
  std::string worker;
  std::string task;
  std::string stage;
  int32_t attempt = 0;
  std::string outcome;
  std::string detail;
  int64_t duration_ms = 0;
  // Run totals after this step.
  int32_t tasks_total = 0;
  int32_t tasks_complete = 0;
  int32_t tasks_blocked = 0;
  int64_t invocations = 0; ///< agent calls settled so far
  int64_t cost_micros = 0; ///< reported agent cost so far
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, progress_event& x) {
  return f(caf::meta::type_name("progress_event"), x.kind, x.at, x.worker,
           x.task, x.stage, x.attempt, x.outcome, x.detail, x.duration_ms,
           x.tasks_total, x.tasks_complete, x.tasks_blocked, x.invocations,
           x.cost_micros);
}

} // namespace tdd
