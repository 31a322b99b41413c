#pragma once

#include "core/circuit.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace tdd::core {

/// Monitoring-plugin style health (`circuits health` exits with its code).
enum class health_status : uint8_t { healthy, degraded, unhealthy, unknown };

/// "HEALTHY", "DEGRADED", "UNHEALTHY", "UNKNOWN".
std::string to_string(health_status x);

/// 0 HEALTHY, 1 DEGRADED, 2 UNHEALTHY, 3 UNKNOWN.
int exit_code(health_status x);

struct state_counts {
  int64_t closed = 0;
  int64_t open = 0;
  int64_t half_open = 0;
};

/// What health is judged on: circuits per level and state, and flapping.
struct health_input {
  state_counts stage;
  state_counts worker;
  state_counts system;
  int64_t flapping = 0;
};

struct health_report {
  health_status status = health_status::healthy;
  std::vector<std::string> reasons; ///< one line each, worst first
};

/// SPEC.md 5: UNHEALTHY if the system circuit is open or 3+ circuits are
/// open; DEGRADED if any is open or half_open or flapping; else HEALTHY.
/// (UNKNOWN is for a database that cannot be read: the caller decides.)
health_report evaluate_health(const health_input& in);

} // namespace tdd::core
