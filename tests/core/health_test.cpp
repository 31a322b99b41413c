#include "core/health.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace tdd::core;

namespace {

struct health_case {
  std::string name;
  health_input in;
  health_status status;
  std::vector<std::string> reasons;
};

/// closed, open, half_open.
state_counts counts(int64_t closed, int64_t open, int64_t half_open) {
  return {closed, open, half_open};
}

health_input input(state_counts stage, state_counts worker, state_counts system,
                   int64_t flapping = 0) {
  return {stage, worker, system, flapping};
}

const state_counts none{};
const std::string three_open = "3 circuits are open (UNHEALTHY at 3 or more)";

} // namespace

TEST_CASE("health statuses have names and monitoring-plugin exit codes") {
  CHECK(to_string(health_status::healthy) == "HEALTHY");
  CHECK(to_string(health_status::degraded) == "DEGRADED");
  CHECK(to_string(health_status::unhealthy) == "UNHEALTHY");
  CHECK(to_string(health_status::unknown) == "UNKNOWN");
  CHECK(exit_code(health_status::healthy) == 0);
  CHECK(exit_code(health_status::degraded) == 1);
  CHECK(exit_code(health_status::unhealthy) == 2);
  CHECK(exit_code(health_status::unknown) == 3);
}

TEST_CASE("health: every rule at its boundary, with the reasons") {
  const auto healthy = health_status::healthy;
  const auto degraded = health_status::degraded;
  const auto unhealthy = health_status::unhealthy;
  const std::vector<health_case> cases{
    {"no circuits",
     input(none, none, none),
     healthy,
     {"no circuits recorded yet"}},
    {"all closed",
     input(counts(5, 0, 0), counts(3, 0, 0), counts(1, 0, 0)),
     healthy,
     {"all circuits are closed and none is flapping"}},
    {"1 open",
     input(counts(4, 1, 0), none, counts(1, 0, 0)),
     degraded,
     {"1 stage circuit is open"}},
    {"2 open",
     input(counts(0, 1, 0), counts(2, 1, 0), none),
     degraded,
     {"1 stage circuit is open", "1 worker circuit is open"}},
    {"2 stage open",
     input(counts(0, 2, 0), none, none),
     degraded,
     {"2 stage circuits are open"}},
    {"3 open",
     input(counts(0, 2, 0), counts(0, 1, 0), counts(1, 0, 0)),
     unhealthy,
     {three_open, "2 stage circuits are open", "1 worker circuit is open"}},
    {"3 worker open",
     input(none, counts(0, 3, 0), none),
     unhealthy,
     {three_open, "3 worker circuits are open"}},
    {"7 open",
     input(counts(0, 7, 0), none, none),
     unhealthy,
     {"7 circuits are open (UNHEALTHY at 3 or more)",
      "7 stage circuits are open"}},
    {"system open only",
     input(none, none, counts(0, 1, 0)),
     unhealthy,
     {"system circuit is open"}},
    {"system open and 2 more",
     input(counts(0, 2, 0), none, counts(0, 1, 0)),
     unhealthy,
     {"system circuit is open", three_open, "2 stage circuits are open"}},
    {"system half_open",
     input(none, none, counts(0, 0, 1)),
     degraded,
     {"system circuit is half_open"}},
    {"half_open only",
     input(counts(1, 0, 2), none, none),
     degraded,
     {"2 stage circuits are half_open"}},
    {"many half_open",
     input(counts(0, 0, 5), counts(0, 0, 1), none),
     degraded,
     {"5 stage circuits are half_open", "1 worker circuit is half_open"}},
    {"flapping only",
     input(counts(2, 0, 0), none, none, 1),
     degraded,
     {"1 circuit is flapping"}},
    {"2 flapping",
     input(counts(2, 0, 0), none, none, 2),
     degraded,
     {"2 circuits are flapping"}},
    {"worst first",
     input(counts(0, 1, 1), counts(0, 0, 1), counts(0, 0, 1), 1),
     degraded,
     {"1 stage circuit is open", "system circuit is half_open",
      "1 stage circuit is half_open", "1 worker circuit is half_open",
      "1 circuit is flapping"}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    const auto report = evaluate_health(c.in);
    CHECK(report.status == c.status);
    CHECK(report.reasons == c.reasons);
  }
}
