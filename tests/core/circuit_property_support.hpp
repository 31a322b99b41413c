#pragma once

// The parts of the circuit breaker property tests (SPEC.md 5) that the
// stage and worker tests and the system test share: the checks of one
// input's events, the hand-kept model common to all three breakers, the
// random inputs and times that drive a breaker, the run log that names the
// seed and prints every step, and the loop over the seeds.

#include "core/circuit_breaker.hpp"
#include "property_support.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tdd::test::property {

using namespace tdd::core;
using namespace std::chrono_literals;

inline constexpr int steps_per_seed = 200;

/// Far from the epoch, so that no deadline is due by accident.
inline const wall_time t0 = wall_time{} + std::chrono::hours{24 * 365 * 50};

inline constexpr auto closed = circuit_state::closed;
inline constexpr auto open = circuit_state::open;
inline constexpr auto half_open = circuit_state::half_open;

inline std::string show(wall_time t) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(t - t0);
  return "t0+" + std::to_string(s.count()) + "s";
}

inline std::string show(const std::optional<wall_time>& t) {
  return t ? show(*t) : std::string{"none"};
}

// -- events -------------------------------------------------------------------

/// Where an event may stand among the events of one input
/// (circuit_breaker.hpp): outcome, cause, state_change, flapping_detected.
inline int rank_of(circuit_event_type x) {
  switch (x) {
  case circuit_event_type::failure_recorded:
  case circuit_event_type::success_recorded:
    return 0;
  case circuit_event_type::state_change:
    return 2;
  case circuit_event_type::flapping_detected:
    return 3;
  default:
    return 1;
  }
}

/// The transitions of SPEC 5, each with its cause: closed->open,
/// open->half_open, half_open->closed, half_open->open, reset to closed.
inline bool is_spec_transition(circuit_state from, circuit_state to,
                               circuit_event_type cause) {
  switch (cause) {
  case circuit_event_type::threshold_reached:
    return from == closed && to == open;
  case circuit_event_type::recovery_started:
    return from == open && to == half_open;
  case circuit_event_type::recovery_succeeded:
    return from == half_open && to == closed;
  case circuit_event_type::recovery_failed:
  case circuit_event_type::extension_applied:
    return from == half_open && to == open;
  case circuit_event_type::manual_reset:
    return from != closed && to == closed;
  default:
    return false;
  }
}

inline std::string transition_text(const circuit_event& x) {
  return to_string(x.type) + " " + to_string(x.from) + "->" + to_string(x.to);
}

/// What is wrong with one event of an input that took the circuit from
/// `before` to `after` at `now`; "" if nothing.
inline std::string check_event(const circuit_event& x, circuit_state before,
                               circuit_state after, wall_time now) {
  if (x.at != now) {
    return transition_text(x) + " stamped " + show(x.at);
  }
  // Parsing every event's details would take most of the run time; the
  // unit tests check them, here only a state_change's cause is read.
  if (x.details.size() < 2 || x.details.front() != '{'
      || x.details.back() != '}') {
    return transition_text(x) + " details not a JSON object: " + x.details;
  }
  const bool same = x.from == x.to;
  switch (rank_of(x.type)) {
  case 0:
    return same && x.from == before ? "" : "outcome " + transition_text(x);
  case 3:
    return same && x.to == after ? "" : "flapping " + transition_text(x);
  case 2: {
    const auto details = nlohmann::json::parse(x.details, nullptr, false);
    const auto cause = details.is_object()
                         ? details.value("cause", std::string{})
                         : std::string{};
    const auto type = parse_circuit_event_type(cause);
    const bool ok = x.from == before && x.to == after && type
                    && is_spec_transition(x.from, x.to, *type);
    return ok ? ""
              : "transition not in SPEC 5: " + transition_text(x) + " "
                  + x.details;
  }
  default:
    break;
  }
  if (x.type == circuit_event_type::manual_reset && before == closed) {
    return same && after == closed ? "" : "no-op reset " + transition_text(x);
  }
  const bool ok = x.from == before && x.to == after
                  && is_spec_transition(x.from, x.to, x.type);
  return ok ? "" : "cause not in SPEC 5: " + transition_text(x);
}

/// What one input's events say, or `error`.
struct event_summary {
  std::string error;
  bool flapped = false;
  std::string names; ///< "failure_recorded threshold_reached ..."
};

inline event_summary summarize(const circuit_events& xs, circuit_state before,
                               circuit_state after, wall_time now) {
  event_summary out;
  int rank = 0;
  int changes = 0;
  std::optional<circuit_event_type> cause;
  for (const auto& x : xs) {
    out.names += (out.names.empty() ? "" : " ") + to_string(x.type);
    if (out.error.empty()) {
      out.error = check_event(x, before, after, now);
    }
    if (rank_of(x.type) < rank && out.error.empty()) {
      out.error = to_string(x.type) + " out of order";
    }
    rank = std::max(rank, rank_of(x.type));
    if (rank_of(x.type) == 1 && !cause) {
      cause = x.type;
    }
    changes += x.type == circuit_event_type::state_change ? 1 : 0;
    out.flapped |= x.type == circuit_event_type::flapping_detected;
  }
  if (!out.error.empty()) {
    return out;
  }
  if (changes > 1) {
    out.error = "more than one state_change for one input";
  } else if (changes == 0 && before != after) {
    out.error = "state changed without a state_change event";
  } else if (changes == 1 && !cause) {
    out.error = "state_change without a cause event";
  } else if (out.flapped && changes == 0) {
    out.error = "flapping_detected without a state change";
  }
  return out;
}

// -- models -------------------------------------------------------------------

/// A circuit as SPEC 5 and circuit_breaker.hpp describe it, kept by hand.
struct model {
  circuit_state state = closed;
  int32_t failure_count = 0;
  int32_t consecutive_failures = 0;
  int32_t success_count = 0;
  int32_t extensions = 0;
  std::optional<wall_time> opened_at;
  std::optional<wall_time> half_open_at;
  bool trial = false;             ///< a half_open trial is in flight
  std::vector<wall_time> changes; ///< every state change, oldest first
  bool flapped = false;           ///< the last input announced flapping

  /// More than 5 changes within [now - 5 min, now].
  bool is_flapping_at(wall_time now) const {
    const auto n
      = std::count_if(changes.begin(), changes.end(), [now](wall_time t) {
          return t >= now - 5min && t <= now;
        });
    return n > 5;
  }

  void move(circuit_state to, wall_time now) {
    const bool was = !changes.empty() && is_flapping_at(changes.back());
    state = to;
    trial = false;
    half_open_at
      = to == half_open ? std::optional<wall_time>{now} : std::nullopt;
    if (to == open) {
      opened_at = now;
    } else if (to == closed) {
      opened_at.reset();
    }
    changes.push_back(now);
    flapped = !was && is_flapping_at(now);
  }

  void count_success() {
    ++success_count;
    consecutive_failures = 0;
  }

  void count_failure() {
    ++failure_count;
    ++consecutive_failures;
  }

  /// closed: yes; half_open: one trial at a time; open: no.
  bool admit() {
    if (state == closed) {
      return true;
    }
    if (state == half_open && !trial) {
      trial = true;
      return true;
    }
    return false;
  }

  void reset(wall_time now) {
    failure_count = 0;
    consecutive_failures = 0;
    extensions = 0;
    trial = false;
    if (state != closed) {
      move(closed, now);
    }
  }
};

/// Where the breaker's snapshot and the model part; "" if nowhere.
inline std::string compare(const circuit_snapshot& c, const model& m) {
  const auto diff
    = [](const char* what, const std::string& got, const std::string& want) {
        return std::string{what} + ": breaker " + got + ", model " + want;
      };
  if (c.state != m.state) {
    return diff("state", to_string(c.state), to_string(m.state));
  }
  if (c.failure_count < 0 || c.consecutive_failures < 0 || c.success_count < 0
      || c.extensions < 0) {
    return "negative counter";
  }
  const std::vector<std::pair<const char*, std::pair<int32_t, int32_t>>>
    counters{{"failure_count", {c.failure_count, m.failure_count}},
             {"consecutive_failures",
              {c.consecutive_failures, m.consecutive_failures}},
             {"success_count", {c.success_count, m.success_count}},
             {"extensions", {c.extensions, m.extensions}}};
  for (const auto& [name, values] : counters) {
    if (values.first != values.second) {
      return diff(name, std::to_string(values.first),
                  std::to_string(values.second));
    }
  }
  if (c.opened_at != m.opened_at) {
    return diff("opened_at", show(c.opened_at), show(m.opened_at));
  }
  if (c.half_open_at != m.half_open_at) {
    return diff("half_open_at", show(c.half_open_at), show(m.half_open_at));
  }
  const auto last = m.changes.empty()
                      ? std::optional<wall_time>{}
                      : std::optional<wall_time>{m.changes.back()};
  if (c.last_change_at != last) {
    return diff("last_change_at", show(c.last_change_at), show(last));
  }
  return "";
}

// -- driving ------------------------------------------------------------------

enum class action {
  allow, // system: update_workers with random worker state changes
  tick,
  success,
  fail_task,
  fail_worker,
  fail_usage,
  reset,
  restart, // a new breaker continues the snapshot, as after a crash
};

inline const char* name_of(action x) {
  switch (x) {
  case action::allow:
    return "allow";
  case action::tick:
    return "tick";
  case action::success:
    return "success";
  case action::fail_task:
    return "fail_task";
  case action::fail_worker:
    return "fail_worker";
  case action::fail_usage:
    return "fail_usage";
  case action::reset:
    return "reset";
  case action::restart:
    return "restart";
  }
  return "?";
}

inline action draw_action(generator& g) {
  const auto r = g.between(1, 100);
  constexpr std::array<std::pair<int, action>, 7> cumulative{
    {{30, action::allow},
     {40, action::tick},
     {60, action::success},
     {72, action::fail_task},
     {87, action::fail_worker},
     {93, action::fail_usage},
     {96, action::reset}}};
  for (const auto& [bound, what] : cumulative) {
    if (r <= bound) {
      return what;
    }
  }
  return action::restart;
}

inline failure_kind kind_of(action x) {
  if (x == action::fail_task) {
    return failure_kind::task;
  }
  return x == action::fail_worker ? failure_kind::worker
                                  : failure_kind::usage_limit;
}

/// Applies `what` to the breaker and its model alike, for the inputs every
/// level takes the same way (tick, success, reset, the failures); nullopt
/// for allow and restart, which each level drives its own way.
template <class Breaker, class Model>
std::optional<circuit_events> apply_common(action what, Breaker& breaker,
                                           Model& model, wall_time now) {
  switch (what) {
  case action::allow:
  case action::restart:
    return std::nullopt;
  case action::tick:
    model.tick(now);
    return breaker.tick(now);
  case action::success:
    model.success(now);
    return breaker.record_success(now);
  case action::reset:
    model.reset(now);
    return breaker.reset(now);
  case action::fail_task:
  case action::fail_worker:
  case action::fail_usage:
    model.failure(kind_of(what), now);
    return breaker.record_failure(kind_of(what), name_of(what), now);
  }
  return std::nullopt;
}

/// The next time: unchanged, a little later, just before or exactly at the
/// deadline, past the recovery timeout, or hours later.
inline wall_time advance(generator& g, wall_time now,
                         std::optional<wall_time> deadline,
                         std::chrono::seconds timeout) {
  const auto pick = g.between(0, 9);
  if (pick == 5 && deadline && *deadline - 1s > now) {
    return *deadline - 1s;
  }
  if (pick == 6 && deadline && *deadline > now) {
    return *deadline;
  }
  if (pick <= 2) {
    return now;
  }
  if (pick <= 5) {
    return now + std::chrono::seconds{g.between(1, 10)};
  }
  if (pick <= 8) {
    return now + std::chrono::seconds{g.between(0, 2 * timeout.count())};
  }
  return now + std::chrono::hours{g.between(1, 48)};
}

/// One seed: steps, their trace and the first violation.
class run_log {
public:
  explicit run_log(uint64_t seed, std::string settings)
      : seed_(seed), settings_(std::move(settings)) {}

  void add(int i, wall_time now, const std::string& what,
           const std::string& result) {
    trace_ += "  " + std::to_string(i) + " " + show(now) + " " + what + " -> "
              + result + "\n";
  }

  void fail(int i, const std::string& why) {
    if (error_.empty()) {
      error_ = "seed " + std::to_string(seed_) + " (" + settings_ + "), step "
               + std::to_string(i) + ": " + why;
    }
  }

  bool failed() const { return !error_.empty(); }

  /// "" on success, else the violation, then every step up to it.
  std::string report() const {
    return failed() ? error_ + "\nsteps:\n" + trace_ : "";
  }

  const std::string& trace() const { return trace_; }

private:
  uint64_t seed_;
  std::string settings_;
  std::string trace_;
  std::string error_;
};

/// Runs `make(seed)` twice for every seed: the first run must pass every
/// check, the second must replay it step by step. Returns every trace, so
/// that callers can show the runs reach what they test.
template <class Make> inline std::string check_all_seeds(const Make& make) {
  std::string traces;
  for (auto seed = first_seed; seed < first_seed + seed_count; ++seed) {
    auto first = make(seed);
    const auto& log = first.run();
    REQUIRE_MESSAGE(!log.failed(), log.report());
    auto again = make(seed);
    REQUIRE_MESSAGE(again.run().trace() == log.trace(),
                    "seed " << seed << " did not replay:\n"
                            << log.trace() << "then:\n"
                            << again.run().trace());
    traces += log.trace();
  }
  return traces;
}

/// Without this a generator that never leaves `closed` passes everything.
inline void check_reached(const std::string& traces,
                          const std::vector<std::string>& texts) {
  for (const auto& text : texts) {
    CHECK_MESSAGE(traces.find(text) != std::string::npos,
                  "no run reached " << text);
  }
}

inline const std::vector<std::string> every_transition{
  "threshold_reached", "recovery_started",          "recovery_succeeded",
  "recovery_failed",   "manual_reset state_change", "flapping_detected"};

} // namespace tdd::test::property
