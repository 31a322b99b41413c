#pragma once

// What `run` works on (SPEC 3: `--task KEY...`, `--phase N`) and the plan
// `run --dry-run` prints: waves of tasks that can run together, with their
// dependencies. Data only; the CLI renders it as a table or JSON.

#include "core/task.hpp"
#include "core/task_graph.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tdd::core {

/// How a run ended; `runs.status` after the run, and the exit code.
enum class run_outcome : uint8_t { complete, blocked, halted, interrupted };

std::string to_string(run_outcome x);
std::optional<run_outcome> parse_run_outcome(std::string_view x);

/// SPEC 3: 0 complete, 1 finished with blocked tasks, 3 halted (system
/// circuit or budget), 130 interrupted.
int exit_code(run_outcome x);

/// The tasks a user asked `run` for.
struct run_selection {
  std::vector<std::string> task_keys; ///< `--task`; empty: not given
  std::optional<int> phase;           ///< `--phase`
};

/// The tasks one run works on, resolved from a run_selection.
struct task_selection {
  /// Tasks to run (pending, or running ones left by a crash), sorted.
  std::vector<std::string> keys;
  /// The part of `keys` not named by `--task`: dependencies that are not
  /// complete, so they run first. Sorted.
  std::vector<std::string> dependencies;
  /// Named by `--task` but complete already: nothing to do. Sorted.
  std::vector<std::string> already_complete;
};

/// A task_selection, or why the selection is invalid (one message per
/// problem, e.g. `--task CALC-9: unknown task (did you mean CALC-1?)`).
struct selection_result {
  std::optional<task_selection> selection;
  std::vector<std::string> errors;
};

/// Resolves `x` against every task of the database:
/// - nothing given: every pending or running task;
/// - `--task K...`: those tasks and, transitively, their dependencies that
///   are not complete. Unknown keys are errors with close matches; a
///   blocked task is an error that says to `tasks retry` it; a complete one
///   is reported in `already_complete`. A blocked dependency is no error:
///   the dependent is blocked by it (see run_plan::unrunnable), as in a
///   full run. Phase barriers apply within the selection only, so the
///   named tasks need not wait for unrelated tasks of lower phases;
/// - `--phase N`: the pending and running tasks of phase N. Every task of
///   a lower phase must be complete or blocked (SPEC 4's barrier),
///   otherwise an error names those that are not. A phase without tasks is
///   an error listing the phases there are;
/// - both: an error.
[[nodiscard]] selection_result select_tasks(const std::vector<graph_node>& all,
                                            const run_selection& x);

/// One task of the plan.
struct planned_task {
  std::string key;
  int phase = 0;
  task_status status = task_status::pending; ///< running: left by a crash
  std::vector<std::string> depends_on;       ///< all of them, sorted
  bool is_dependency = false; ///< not named by `--task`, needed by one
};

/// Tasks that can run at the same time: wave n starts once waves < n are
/// complete. A wave never mixes phases.
struct plan_wave {
  int phase = 0;
  std::vector<planned_task> tasks; ///< sorted by key
};

/// A selected task that will not run, and the reason it gets.
struct unrunnable_task {
  std::string key;
  /// `dependency_blocked:<KEY>` (the run blocks it with this reason), or
  /// `cannot_start` (it waits for a task outside the selection or in a
  /// later phase, so it never becomes ready).
  std::string reason;
};

/// What `run --dry-run` prints.
struct run_plan {
  std::vector<plan_wave> waves;
  std::vector<unrunnable_task> unrunnable; ///< sorted by key
  std::vector<std::string> already_complete;

  /// Every key of every wave, in the order they may start.
  std::vector<std::string> order() const;

  /// Number of tasks in the waves.
  size_t task_count() const;
};

/// The nodes the scheduler sees for a run over `keys`: pending and running
/// tasks outside `keys` are left out (so they neither run nor hold a phase
/// barrier); complete and blocked tasks stay, as satisfied or blocking
/// dependencies.
std::vector<graph_node> scope_nodes(const std::vector<graph_node>& all,
                                    const std::vector<std::string>& keys);

/// The waves of `selection` (tasks blocked by a dependency are left out
/// first, as the run blocks them before anything starts).
run_plan build_plan(const std::vector<graph_node>& all,
                    const task_selection& selection);

/// A plan, or the errors of select_tasks.
struct plan_result {
  std::optional<run_plan> plan;
  std::vector<std::string> errors;
  /// What select_tasks chose (meaningful when `plan` is set): the tasks a
  /// run works on, including those the plan cannot start.
  task_selection selection;
};

/// select_tasks, then build_plan.
[[nodiscard]] plan_result plan_run(const std::vector<graph_node>& all,
                                   const run_selection& x);

} // namespace tdd::core
