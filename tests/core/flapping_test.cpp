#include "circuit_test_support.hpp"
#include "core/circuit_breaker.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

using namespace tdd::core;
using namespace std::chrono_literals;
using tdd::test::event_names;
using tdd::test::t0;

namespace {

/// A stage circuit that opens on its first task failure.
stage_breaker one_shot() {
  return stage_breaker{{1, 300s}, new_circuit(circuit_level::stage, "K:red")};
}

/// Exactly one state change: closed -> open (a failure) or open -> closed
/// (a reset). Returns its events.
circuit_events toggle(stage_breaker& b, wall_time now) {
  if (b.state() == circuit_state::closed) {
    return b.record_failure(failure_kind::task, "x", now);
  }
  return b.reset(now);
}

bool has_flapping_event(const circuit_events& xs) {
  return event_names(xs).find("flapping_detected") != std::string::npos;
}

} // namespace

TEST_CASE("the 6th state change within 5 minutes is flapping, once") {
  auto b = one_shot();
  for (int i = 0; i < 5; ++i) {
    const auto now = t0 + 60s * i;
    CHECK_FALSE(has_flapping_event(toggle(b, now)));
    CHECK_FALSE(b.is_flapping(now));
  }
  const auto sixth = toggle(b, t0 + 300s); // window [t0, t0 + 300 s]
  REQUIRE(has_flapping_event(sixth));
  CHECK(sixth.back().type == circuit_event_type::flapping_detected);
  CHECK(sixth[sixth.size() - 2].type == circuit_event_type::state_change);
  CHECK(sixth.back().from == b.state());
  CHECK(sixth.back().to == b.state());
  const auto details = nlohmann::json::parse(sixth.back().details);
  CHECK(details["changes"] == 6);
  CHECK(details["window_s"] == 300);
  CHECK(b.is_flapping(t0 + 300s));
  // Still flapping: the next change says nothing new.
  CHECK_FALSE(has_flapping_event(toggle(b, t0 + 330s)));
  CHECK(b.is_flapping(t0 + 330s));
  // Time alone ends it: 5 minutes after the 2nd-newest change.
  CHECK(b.is_flapping(t0 + 360s)); // [60, 360] holds 60..330: 6
  CHECK_FALSE(b.is_flapping(t0 + 361s));
}

TEST_CASE("a steady flapper is announced once") {
  auto b = one_shot();
  int announced = 0;
  for (int i = 0; i < 60; ++i) { // one change a minute for an hour
    announced += has_flapping_event(toggle(b, t0 + 60s * i)) ? 1 : 0;
  }
  CHECK(announced == 1);
}

TEST_CASE("6 changes spread over more than 5 minutes are not flapping") {
  auto b = one_shot();
  for (int i = 0; i < 12; ++i) {
    const auto now = t0 + 61s * i;
    CHECK_FALSE(has_flapping_event(toggle(b, now)));
    CHECK_FALSE(b.is_flapping(now));
  }
  // Pruned on each change: only the window's changes are kept.
  CHECK(b.snapshot().recent_changes.size() == 5);
}

TEST_CASE("flapping is detected again after it stopped") {
  auto b = one_shot();
  for (int i = 0; i < 6; ++i) {
    const auto events = toggle(b, t0 + 1s * i);
    CHECK(has_flapping_event(events) == (i == 5));
  }
  const auto later = t0 + 20min;
  CHECK_FALSE(b.is_flapping(later));
  for (int i = 0; i < 6; ++i) {
    const auto events = toggle(b, later + 1s * i);
    CHECK(has_flapping_event(events) == (i == 5));
  }
}

TEST_CASE("is_flapping counts [now - 5 min, now], bounds included") {
  auto c = new_circuit(circuit_level::worker, "worker_1");
  const auto now = t0 + 1h;
  for (int i = 0; i < 6; ++i) {
    c.recent_changes.push_back(now - 300s + 60s * i);
  }
  CHECK(is_flapping(c, now)); // oldest exactly 5 minutes old
  CHECK_FALSE(is_flapping(c, now + 1s));
  CHECK_FALSE(is_flapping(c, now - 1s)); // the newest is in the future
  c.recent_changes.erase(c.recent_changes.begin());
  CHECK_FALSE(is_flapping(c, now)); // 5 is not more than 5
  CHECK_FALSE(is_flapping(new_circuit(circuit_level::system, "system"), now));
}

TEST_CASE("a restored circuit keeps its recent changes for flapping") {
  auto c = new_circuit(circuit_level::stage, "K:red");
  for (int i = 0; i < 5; ++i) {
    c.recent_changes.push_back(t0 + 10s * i);
  }
  stage_breaker b{{1, 300s}, c};
  CHECK_FALSE(b.is_flapping(t0 + 50s));
  CHECK(has_flapping_event(toggle(b, t0 + 50s)));
}

TEST_CASE("worker and system circuits flap too") {
  worker_breaker w{{1, 300s, 3}, new_circuit(circuit_level::worker, "w")};
  system_breaker s{{50, 1, false, 600s, 60s},
                   new_circuit(circuit_level::system, "system")};
  circuit_events worker_events;
  circuit_events system_events;
  for (int i = 0; i < 3; ++i) {
    const auto now = t0 + 10s * i;
    for (auto& e : w.record_failure(failure_kind::worker, "x", now)) {
      worker_events.push_back(e);
    }
    for (auto& e : w.reset(now)) {
      worker_events.push_back(e);
    }
    for (auto& e : s.update_workers(2, 2, now)) {
      system_events.push_back(e);
    }
    for (auto& e : s.reset(now)) {
      system_events.push_back(e);
    }
  }
  CHECK(has_flapping_event(worker_events));
  CHECK(has_flapping_event(system_events));
  CHECK(w.is_flapping(t0 + 20s));
  CHECK(s.is_flapping(t0 + 20s));
}
