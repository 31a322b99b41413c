// Property tests for the stage and worker circuit breakers of SPEC.md 5:
// random outcomes, admissions, ticks, resets and restarts at random times
// against a hand-kept model of each breaker (the worker's doubling pause
// and its exhaustion included) and against the rules of a half_open trial
// that hold after every step. A failure names the seed and prints every
// step up to it, so it replays with that seed alone.

#include "circuit_property_support.hpp"
#include "core/circuit_breaker.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

using namespace tdd::core;
using namespace tdd::test::property;

namespace {

struct stage_model : model {
  stage_circuit_settings settings;

  std::chrono::seconds timeout() const { return settings.recovery_timeout_s; }

  std::optional<wall_time> deadline() const {
    if (state != open) {
      return std::nullopt;
    }
    return *opened_at + settings.recovery_timeout_s;
  }

  void tick(wall_time now) {
    if (const auto due = deadline(); due && now >= *due) {
      move(half_open, now);
    }
  }

  bool allow(wall_time now) {
    tick(now);
    return admit();
  }

  void success(wall_time now) {
    count_success();
    if (state == open) {
      return;
    }
    failure_count = 0;
    if (state == half_open) {
      move(closed, now);
    }
  }

  void failure(failure_kind kind, wall_time now) {
    if (kind != failure_kind::task) {
      trial = false;
      return;
    }
    count_failure();
    if (state == half_open) {
      move(open, now);
    } else if (state == closed && failure_count >= settings.max_failures) {
      move(open, now);
    }
  }
};

struct worker_model : model {
  worker_circuit_settings settings;

  /// pause_s, doubled once per failed trial, at most max_extensions times.
  std::chrono::seconds pause() const {
    auto out = settings.pause_s;
    for (int i = 0; i < extensions && i < settings.max_extensions; ++i) {
      out *= 2;
    }
    return out;
  }

  std::chrono::seconds timeout() const { return pause(); }

  bool exhausted() const {
    return state == open && extensions > settings.max_extensions;
  }

  std::optional<wall_time> deadline() const {
    if (state != open || exhausted()) {
      return std::nullopt;
    }
    return *opened_at + pause();
  }

  void tick(wall_time now) {
    if (const auto due = deadline(); due && now >= *due) {
      move(half_open, now);
    }
  }

  bool allow(wall_time now) {
    tick(now);
    return admit();
  }

  void success(wall_time now) {
    count_success();
    if (state == half_open) {
      failure_count = 0;
      extensions = 0;
      move(closed, now);
    }
  }

  void failure(failure_kind kind, wall_time now) {
    if (kind != failure_kind::worker) {
      trial = false;
      return;
    }
    count_failure();
    if (state == half_open) {
      const bool can_extend = extensions < settings.max_extensions;
      extensions = can_extend ? extensions + 1 : settings.max_extensions + 1;
      move(open, now);
    } else if (state == closed
               && consecutive_failures >= settings.max_consecutive_failures) {
      move(open, now);
    }
  }
};

std::string describe(const stage_circuit_settings& s) {
  return "max_failures=" + std::to_string(s.max_failures)
         + " recovery_timeout_s="
         + std::to_string(s.recovery_timeout_s.count());
}

std::string describe(const worker_circuit_settings& s) {
  return "max_consecutive_failures="
         + std::to_string(s.max_consecutive_failures)
         + " pause_s=" + std::to_string(s.pause_s.count())
         + " max_extensions=" + std::to_string(s.max_extensions);
}

stage_circuit_settings draw_stage_settings(generator& g) {
  return {static_cast<int>(g.between(1, 4)),
          std::chrono::seconds{g.between(1, 120)}};
}

worker_circuit_settings draw_worker_settings(generator& g) {
  return {static_cast<int>(g.between(1, 4)),
          std::chrono::seconds{g.between(1, 120)},
          static_cast<int>(g.between(0, 3))};
}

/// Checks what only the worker breaker has.
std::string check_extra(const worker_breaker& b, const worker_model& m) {
  if (b.is_exhausted() != m.exhausted()) {
    return "is_exhausted disagrees with the model";
  }
  if (b.current_pause() != m.pause()) {
    return "current_pause " + std::to_string(b.current_pause().count())
           + "s, model " + std::to_string(m.pause().count()) + "s";
  }
  return "";
}

std::string check_extra(const stage_breaker&, const stage_model&) {
  return "";
}

/// Drives a stage or worker breaker and its model with one seed.
template <class Breaker, class Model, class Settings> class trial_run {
public:
  trial_run(uint64_t seed, Settings settings, circuit_level level)
      : g_(seed), settings_(settings),
        breaker_(settings, new_circuit(level, "x")),
        log_(seed, describe(settings)) {
    model_.settings = settings;
  }

  /// Runs every step or up to the first violation.
  const run_log& run() {
    for (int i = 0; i < steps_per_seed && !log_.failed(); ++i) {
      now_ = advance(g_, now_, model_.deadline(), model_.timeout());
      step(i, draw_action(g_));
    }
    return log_;
  }

private:
  void step(int i, action what) {
    const auto before = breaker_.state();
    const bool trial_before = breaker_.has_trial_in_flight();
    const auto deadline_before = breaker_.next_deadline();
    const auto successes_before = breaker_.snapshot().success_count;
    model_.flapped = false;
    std::optional<bool> allowed;
    std::optional<bool> expected;
    const auto events = apply(what, allowed, expected);
    const auto after = breaker_.state();
    const auto summary = summarize(events, before, after, now_);
    std::string result = to_string(after);
    if (allowed) {
      result += *allowed ? " allowed" : " refused";
    }
    log_.add(i, now_, name_of(what), result + " [" + summary.names + "]");
    const auto fail = [&](const std::string& why) { log_.fail(i, why); };
    if (!summary.error.empty()) {
      return fail(summary.error);
    }
    if (allowed && before == open
        && (!deadline_before || now_ < *deadline_before)
        && (*allowed || after != open)) {
      return fail("open circuit moved or admitted before its deadline");
    }
    if (allowed && before == half_open && trial_before && *allowed) {
      return fail("half_open admitted a second trial while one is in flight");
    }
    if (allowed != expected) {
      return fail("admission disagrees with the model");
    }
    check_state(fail, what, successes_before, summary.flapped);
  }

  template <class Fail>
  void check_state(const Fail& fail, action what, int32_t successes_before,
                   bool flapped) {
    const auto& c = breaker_.snapshot();
    if (c.success_count < successes_before) {
      return fail("success_count went down");
    }
    if (what == action::success && c.consecutive_failures != 0) {
      return fail("a success left consecutive_failures at "
                  + std::to_string(c.consecutive_failures));
    }
    if (const auto diff = compare(c, model_); !diff.empty()) {
      return fail(diff);
    }
    if (breaker_.has_trial_in_flight() != model_.trial) {
      return fail("trial in flight disagrees with the model");
    }
    if (breaker_.has_trial_in_flight() && breaker_.state() != half_open) {
      return fail("a trial in flight outside half_open");
    }
    if (breaker_.next_deadline() != model_.deadline()) {
      return fail("next_deadline " + show(breaker_.next_deadline()) + ", model "
                  + show(model_.deadline()));
    }
    if (flapped != model_.flapped
        || breaker_.is_flapping(now_) != model_.is_flapping_at(now_)) {
      return fail("flapping disagrees with the model");
    }
    if (const auto extra = check_extra(breaker_, model_); !extra.empty()) {
      return fail(extra);
    }
  }

  circuit_events apply(action what, std::optional<bool>& allowed,
                       std::optional<bool>& expected) {
    if (auto events = apply_common(what, breaker_, model_, now_)) {
      return std::move(*events);
    }
    if (what == action::allow) {
      auto a = breaker_.allow(now_);
      allowed = a.allowed;
      expected = model_.allow(now_);
      return std::move(a.events);
    }
    model_.trial = false; // restart: the trial running at a crash is lost
    breaker_ = Breaker{settings_, breaker_.snapshot()};
    return {};
  }

  generator g_;
  Settings settings_;
  Breaker breaker_;
  Model model_;
  wall_time now_ = t0;
  run_log log_;
};

using stage_run = trial_run<stage_breaker, stage_model, stage_circuit_settings>;
using worker_run
  = trial_run<worker_breaker, worker_model, worker_circuit_settings>;

stage_run make_stage_run(uint64_t seed) {
  generator g{seed ^ 0x5747u};
  return stage_run{seed, draw_stage_settings(g), circuit_level::stage};
}

worker_run make_worker_run(uint64_t seed) {
  generator g{seed ^ 0x3031u};
  return worker_run{seed, draw_worker_settings(g), circuit_level::worker};
}

} // namespace

TEST_CASE("property: stage breaker follows SPEC 5 and replays by seed") {
  const auto traces = check_all_seeds(make_stage_run);
  check_reached(traces, every_transition);
  check_reached(traces, {"half_open refused", "open refused", "restart"});
}

TEST_CASE("property: worker breaker follows SPEC 5 and replays by seed") {
  const auto traces = check_all_seeds(make_worker_run);
  check_reached(traces, every_transition);
  check_reached(traces, {"extension_applied", "half_open refused",
                         "open refused", "restart"});
}
