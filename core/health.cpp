#include "core/health.hpp"

namespace tdd::core {

namespace {

/// SPEC.md 5: this many open circuits make the run UNHEALTHY.
constexpr int64_t unhealthy_open = 3;

/// "1 stage circuit is open", "2 circuits are flapping" (`what` is a
/// level name and a blank, or empty).
std::string count_line(int64_t n, const std::string& what,
                       const std::string& state) {
  return std::to_string(n) + " " + what
         + (n == 1 ? "circuit is " : "circuits are ") + state;
}

int64_t total(const state_counts& c) {
  return c.closed + c.open + c.half_open;
}

/// The stage and worker lines for one state; the system line comes first
/// for open (an UNHEALTHY cause) and here for half_open.
void add_level_lines(const health_input& in, int64_t state_counts::*state,
                     const std::string& name, std::vector<std::string>& out) {
  if (in.stage.*state > 0) {
    out.push_back(count_line(in.stage.*state, "stage ", name));
  }
  if (in.worker.*state > 0) {
    out.push_back(count_line(in.worker.*state, "worker ", name));
  }
}

/// Why the report is HEALTHY: there is always a line to show.
std::string healthy_line(const health_input& in) {
  if (total(in.stage) + total(in.worker) + total(in.system) == 0) {
    return "no circuits recorded yet";
  }
  return "all circuits are closed and none is flapping";
}

health_status status_of(const health_input& in) {
  const auto open = in.stage.open + in.worker.open + in.system.open;
  if (in.system.open > 0 || open >= unhealthy_open) {
    return health_status::unhealthy;
  }
  const auto half_open
    = in.stage.half_open + in.worker.half_open + in.system.half_open;
  if (open > 0 || half_open > 0 || in.flapping > 0) {
    return health_status::degraded;
  }
  return health_status::healthy;
}

} // namespace

std::string to_string(health_status x) {
  switch (x) {
  case health_status::healthy:
    return "HEALTHY";
  case health_status::degraded:
    return "DEGRADED";
  case health_status::unhealthy:
    return "UNHEALTHY";
  case health_status::unknown:
    return "UNKNOWN";
  }
  return "UNKNOWN";
}

int exit_code(health_status x) {
  switch (x) {
  case health_status::healthy:
    return 0;
  case health_status::degraded:
    return 1;
  case health_status::unhealthy:
    return 2;
  case health_status::unknown:
    return 3;
  }
  return 3;
}

health_report evaluate_health(const health_input& in) {
  health_report out;
  out.status = status_of(in);
  if (out.status == health_status::healthy) {
    out.reasons.push_back(healthy_line(in));
    return out;
  }
  // Worst first: the UNHEALTHY causes, then open, half_open, flapping.
  const auto open = in.stage.open + in.worker.open + in.system.open;
  if (in.system.open > 0) {
    out.reasons.emplace_back("system circuit is open");
  }
  if (open >= unhealthy_open) {
    out.reasons.push_back(count_line(open, "", "open")
                          + " (UNHEALTHY at 3 or more)");
  }
  add_level_lines(in, &state_counts::open, "open", out.reasons);
  if (in.system.half_open > 0) {
    out.reasons.emplace_back("system circuit is half_open");
  }
  add_level_lines(in, &state_counts::half_open, "half_open", out.reasons);
  if (in.flapping > 0) {
    out.reasons.push_back(count_line(in.flapping, "", "flapping"));
  }
  return out;
}

} // namespace tdd::core
