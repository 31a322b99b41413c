#pragma once

// Test-only fault injection (docs/development.md "Fault injection"): the
// environment variable TDD_TEST_FAULT makes worker actors throw at a chosen
// point, so tests can prove what the supervisor does with a crashed worker.
// It is not a user feature: only `run` reads it, and `--help` does not
// mention it.
//
//   TDD_TEST_FAULT=worker_crash:POINT[:COUNT]
//
// POINT is task_start (right after a task was leased), stage_start (the
// attempt is recorded and its agent or verify runs), stage_job (on the
// attempt's job thread, the child handling, after the process finished:
// the worker gets the exception when it takes the result), stage_done (the
// attempt's process finished, its outcome not recorded yet) or merge
// (before the merge request). COUNT (default 1) is how many crashes, over
// every worker of the process, restarted ones included.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace tdd {

enum class fault_point : uint8_t {
  task_start,
  stage_start,
  stage_job,
  stage_done,
  merge
};

class fault_plan {
public:
  fault_plan(fault_point point, int32_t count) : point_(point), left_(count) {}

  /// Parses the variable's value; nullptr and `error` naming the bad part
  /// when it does not parse.
  static std::shared_ptr<fault_plan> parse(std::string_view text,
                                           std::string& error);

  /// True, once per remaining count, when the fault is due at `at`.
  bool due(fault_point at);

private:
  fault_point point_;
  std::atomic<int32_t> left_;
};

/// Throws std::runtime_error naming `worker` and the point when `plan` has
/// a fault due at `at`; does nothing for a null plan.
void inject_fault(const std::shared_ptr<fault_plan>& plan, fault_point at,
                  const std::string& worker);

} // namespace tdd
