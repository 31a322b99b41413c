#pragma once

// The three circuit breakers of SPEC.md 5 as pure state machines. Each owns
// a `circuit_snapshot` (built fresh with `new_circuit` or loaded from the
// store, so a restarted run continues where it stopped) and changes it only
// through inputs that take `now` and return the events to persist, in
// order. Nothing here reads a clock: timed transitions happen in `tick(now)`,
// which an actor schedules at `next_deadline()` with delayed_send.
//
// Event order for one input: the outcome (failure_recorded /
// success_recorded), then the cause of a transition (threshold_reached,
// recovery_*, manual_reset, extension_applied), then `state_change`, then
// `flapping_detected` if that change made the circuit flap. A cause event
// carries the from/to of the change it causes; other events carry the
// current state as both.

#include "core/circuit.hpp"
#include "core/config.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tdd::core {

using circuit_events = std::vector<circuit_event>;

/// SPEC.md 5: more than `flapping_max_changes` state changes within
/// `flapping_window` (bounds included, as `v_flapping_circuits`) is flapping.
constexpr auto flapping_window = std::chrono::minutes{5};
constexpr int flapping_max_changes = 5;

/// True if `c.recent_changes` holds more than 5 changes in [now - 5 min, now].
bool is_flapping(const circuit_snapshot& c, wall_time now);

/// A closed circuit that has never seen an outcome.
circuit_snapshot new_circuit(circuit_level level, std::string identifier);

/// What `allow` decided, and the events its timed transition produced.
struct admission {
  bool allowed = false;
  circuit_events events;
};

/// State and flapping bookkeeping shared by the three breakers.
class circuit_breaker {
public:
  /// Everything to persist; `recent_changes` is pruned to the window.
  const circuit_snapshot& snapshot() const { return snapshot_; }

  circuit_state state() const { return snapshot_.state; }

  bool is_flapping(wall_time now) const {
    return core::is_flapping(snapshot_, now);
  }

protected:
  circuit_breaker(circuit_snapshot snapshot, circuit_level level);

  circuit_snapshot& data() { return snapshot_; }

  /// Appends an event of `type` for the current state (from == to).
  void note(circuit_event_type type, std::string details, wall_time now,
            circuit_events& out) const;

  /// Appends an event of `type` for the change from the current state to
  /// `to`, which `move_to` then makes.
  void note_change(circuit_event_type type, circuit_state to,
                   std::string details, wall_time now,
                   circuit_events& out) const;

  /// Moves to `to`, keeps opened_at / half_open_at / last_change_at /
  /// recent_changes current and appends state_change (`cause` in its
  /// details) and flapping_detected when the circuit flaps now but did not
  /// as of its previous change (so a steady flapper is announced once).
  void move_to(circuit_state to, circuit_event_type cause, wall_time now,
               circuit_events& out);

  /// `note_change(cause, ...)`, then `move_to(to, cause, ...)`.
  void change_state(circuit_state to, circuit_event_type cause,
                    std::string details, wall_time now, circuit_events& out);

  /// Counts a failure the circuit is responsible for (failure_count,
  /// consecutive_failures, last_failure_at) and notes failure_recorded.
  void count_failure(failure_kind kind, std::string_view reason, wall_time now,
                     circuit_events& out);

  /// Notes success_recorded after counting it and zeroing
  /// consecutive_failures.
  void count_success(wall_time now, circuit_events& out);

  /// opened_at; for a hand-edited open row without it, the last change, or
  /// failing that the epoch: a due deadline gives a trial, not a circuit
  /// stuck open forever.
  wall_time opened_at_or_guess() const;

  /// Closes the circuit and zeroes its counters (success_count stays: it
  /// counts successes ever): a manual_reset event, then the state change.
  void reset_snapshot(wall_time now, circuit_events& out);

private:
  circuit_snapshot snapshot_;
};

/// A breaker that half-opens on a deadline and then admits one trial at a
/// time: the common part of the stage and worker breakers.
class trial_breaker : public circuit_breaker {
public:
  bool has_trial_in_flight() const { return trial_in_flight_; }

protected:
  using circuit_breaker::circuit_breaker;

  /// open -> half_open (recovery_started, `after` in its details) once `due`
  /// has passed; a trial that was in flight is forgotten.
  circuit_events half_open_when_due(std::optional<wall_time> due,
                                    std::chrono::seconds after, wall_time now);

  /// closed: allowed; half_open: allowed for one trial at a time; open: no.
  /// `events` are those of the tick that preceded the decision.
  admission admit(circuit_events events);

  /// The trial (if any) ended, with or without a verdict.
  void end_trial() { trial_in_flight_ = false; }

private:
  bool trial_in_flight_ = false;
};

/// One per (task, stage): counts `failure_kind::task` failures only.
class stage_breaker : public trial_breaker {
public:
  /// Continues `snapshot` (level forced to stage). A half_open snapshot has
  /// no trial in flight: the one running at a restart was interrupted.
  stage_breaker(stage_circuit_settings settings, circuit_snapshot snapshot);

  /// Performs the timed transition open -> half_open once recovery_timeout_s
  /// has passed since opened_at (at exactly that time, not before).
  circuit_events tick(wall_time now);

  /// When `tick` has work to do: opened_at + recovery_timeout_s while open.
  std::optional<wall_time> next_deadline() const;

  /// May an attempt start? closed: yes; open: no, unless `tick(now)` makes
  /// it half_open; half_open: yes for exactly one trial at a time.
  admission allow(wall_time now);

  /// closed: zeroes failure_count and consecutive_failures; half_open: the
  /// trial passed, closes; open: recorded only (a late attempt's outcome).
  circuit_events record_success(wall_time now);

  /// Counts only `kind == task` (`reason` goes into the details): closed
  /// opens at max_failures; a half_open trial failure reopens (opened_at =
  /// now); open: recorded only. Other kinds produce no event, but end a
  /// half_open trial without a verdict so another one may start.
  circuit_events record_failure(failure_kind kind, std::string_view reason,
                                wall_time now);

  /// `tasks retry` / `circuits reset`: closed, counters zeroed.
  circuit_events reset(wall_time now);

private:
  stage_circuit_settings settings_;
};

/// One per worker: counts consecutive `failure_kind::worker` failures.
/// `extensions` counts failed recovery trials: after the k-th (k <=
/// max_extensions) the pause is pause_s * 2^k; the next failed trial sets
/// it to max_extensions + 1, which means exhausted: open until reset.
class worker_breaker : public trial_breaker {
public:
  /// Continues `snapshot` (level forced to worker); see stage_breaker.
  worker_breaker(worker_circuit_settings settings, circuit_snapshot snapshot);

  /// open -> half_open once the current pause has passed since opened_at.
  circuit_events tick(wall_time now);

  /// opened_at + current pause while open and not exhausted, else nullopt.
  std::optional<wall_time> next_deadline() const;

  /// The pause of the current (or next) opening: pause_s * 2^extensions,
  /// at most 2^max_extensions, and never more than ten years (saturated so
  /// that deadlines cannot overflow).
  std::chrono::seconds current_pause() const;

  /// Open with no recovery left: only a reset closes it.
  bool is_exhausted() const;

  /// May the worker take a task? closed: yes; open: no unless `tick` makes
  /// it half_open; half_open: one task at a time.
  admission allow(wall_time now);

  /// Zeroes consecutive_failures; a half_open trial closes the circuit and
  /// zeroes extensions and failure_count.
  circuit_events record_success(wall_time now);

  /// Counts only `kind == worker`: closed opens at max_consecutive_failures;
  /// a half_open trial failure reopens with the pause doubled
  /// (extension_applied) or, past max_extensions, for good. task and
  /// usage_limit neither count nor reset, and end a trial without verdict.
  circuit_events record_failure(failure_kind kind, std::string_view reason,
                                wall_time now);

  /// `circuits reset`: closed, counters and extensions zeroed.
  circuit_events reset(wall_time now);

private:
  /// The half_open trial failed: reopen with the next pause, or for good.
  void fail_trial(std::string_view reason, wall_time now, circuit_events& out);

  worker_circuit_settings settings_;
};

/// The one system circuit, fed with worker circuit counts and, while
/// half_open, with the outcomes of the trial dispatches.
///
/// Rules: closed opens when `is_over_threshold`. open stays open until reset
/// unless auto_recovery, which half-opens recovery_delay_s after opened_at.
/// half_open dispatches to one worker; a success closes it if the latest
/// worker counts are below the threshold (else it stays half_open, one
/// worker at a time); a worker failure reopens it (opened_at = now). Worker
/// counts alone never close or reopen a half_open circuit, and outcomes
/// outside half_open are not counted (they are the other circuits' job).
class system_breaker : public circuit_breaker {
public:
  /// Continues `snapshot` (level system, identifier "system").
  system_breaker(system_circuit_settings settings, circuit_snapshot snapshot);

  /// `open` of `registered` workers have open circuits: true if that is at
  /// least threshold_percent of them (exact integer test, no rounding) and
  /// at least min_workers, or all of them; never with none registered.
  bool is_over_threshold(int registered, int open) const;

  /// Records the counts; a closed circuit over the threshold opens.
  circuit_events update_workers(int registered, int open, wall_time now);

  /// With auto_recovery: open -> half_open at opened_at + recovery_delay_s.
  circuit_events tick(wall_time now);

  /// When `tick` has work to do (auto_recovery and open), else nullopt.
  std::optional<wall_time> next_deadline() const;

  /// False while open: no new stage may start.
  bool allow_dispatch() const;

  /// How many workers may run stages: nullopt (no limit) when closed, 1
  /// when half_open, 0 when open.
  std::optional<int> max_dispatch_workers() const;

  /// While open: opened_at + graceful_shutdown_s, when in-flight stages are
  /// stopped. nullopt otherwise.
  std::optional<wall_time> graceful_deadline() const;

  /// Open without auto_recovery: the run ends (exit 3) after the grace.
  bool is_halted() const;

  /// half_open: the trial passed (closes if below the threshold).
  circuit_events record_success(wall_time now);

  /// half_open and `kind == worker`: the trial failed, reopens.
  circuit_events record_failure(failure_kind kind, std::string_view reason,
                                wall_time now);

  /// `circuits reset system`: closed, counters zeroed.
  circuit_events reset(wall_time now);

private:
  system_circuit_settings settings_;
  int registered_ = 0;
  int open_workers_ = 0;
};

} // namespace tdd::core
