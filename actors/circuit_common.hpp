#pragma once

// What the three circuit actors share: wall time from the actor clock, the
// one timer, and "persist + publish" of what a core/ breaker did. The
// breakers decide; these helpers only carry the decisions out.
//
// Version tracking: a circuit is the only writer of its row while it runs,
// and the store applies one sender's requests in order, so each save is
// sent with the version the previous one produces (a new row becomes 1,
// otherwise v + 1). A conflict means someone else wrote the row: the circuit
// reloads it from the store (the database is the truth) and drops the
// replies of the saves it sent before.

#include "core/circuit.hpp"
#include "core/circuit_breaker.hpp"
#include "core/log.hpp"
#include "core/stage_rules.hpp"
#include "messages/circuit.hpp"
#include "messages/circuit_actors.hpp"
#include "messages/circuit_change.hpp"
#include "messages/errc.hpp"
#include "messages/store_actor.hpp"

#include <caf/actor_addr.hpp>
#include <caf/actor_clock.hpp>
#include <caf/error.hpp>
#include <caf/system_messages.hpp>
#include <caf/timespan.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tdd {

/// Maps the actor clock (virtual under the test coordinator) onto wall
/// time: one (wall, steady) pair taken when the hub starts. The composition
/// root passes `system_clock::now()` as `wall`, tests a fixed time.
struct wall_anchor {
  core::wall_time wall;
  caf::actor_clock::time_point steady;

  core::wall_time wall_at(caf::actor_clock::time_point t) const {
    return wall
           + std::chrono::duration_cast<core::wall_time::duration>(t - steady);
  }

  caf::actor_clock::time_point steady_at(core::wall_time t) const {
    return steady
           + std::chrono::duration_cast<caf::actor_clock::duration_type>(
             t - wall);
  }
};

/// What every circuit actor needs from its surroundings.
struct circuit_env {
  store_actor store;
  wall_anchor clock;
  caf::timespan request_timeout = std::chrono::seconds{10};
};

using core::log_line;

/// True when a circuit holds nothing worth keeping alive for: closed, no
/// failure counted, no extension applied.
bool is_clean(const core::circuit_snapshot& x);

/// The state every circuit actor has, around its core/ breaker.
template <class Breaker, class Settings> struct circuit_state_base {
  circuit_env env;
  Settings settings{};
  std::optional<Breaker> breaker; ///< set at spawn, replaced by a reload
  /// The version the last save sent will produce (0: no row yet).
  int64_t version = 0;
  /// Bumped by a reload; replies to saves sent before it are stale.
  int64_t generation = 0;
  std::vector<circuit_listener_actor> listeners;
  /// When the earliest pending tick fires; later ticks are then harmless.
  std::optional<caf::actor_clock::time_point> timer_at;
  /// Stage circuits: stop after this long without a message while clean.
  std::optional<caf::timespan> idle_timeout;
  caf::actor_clock::time_point last_activity;
  /// Allowed attempts that have not reported an outcome yet.
  int32_t attempts = 0;
  /// Waiting for the hub's answer to "may I stop?".
  bool stopping = false;

  core::circuit_snapshot snapshot() const {
    auto x = breaker->snapshot();
    x.version = version;
    return x;
  }

  /// When the circuit may stop for idleness, if it may at all.
  std::optional<caf::actor_clock::time_point> idle_at() const {
    if (!idle_timeout || stopping || attempts > 0
        || !is_clean(breaker->snapshot())) {
      return std::nullopt;
    }
    return last_activity + *idle_timeout;
  }

  /// When the next tick is needed: a timed transition or an idle check.
  std::optional<caf::actor_clock::time_point> next_wake() const {
    auto wake = idle_at();
    if (auto deadline = breaker->next_deadline()) {
      const auto at = env.clock.steady_at(*deadline);
      wake = wake ? std::min(*wake, at) : at;
    }
    return wake;
  }
};

template <class Self> core::wall_time wall_now(Self self) {
  return self->state.env.clock.wall_at(self->clock().now());
}

template <class Self> std::string circuit_id(Self self) {
  const auto& x = self->state.breaker->snapshot();
  return core::display_id(x.level, x.identifier);
}

template <class Self> void touch(Self self) {
  self->state.last_activity = self->clock().now();
}

/// Sends the change to every listener.
template <class Self>
void publish(Self self, std::vector<core::circuit_event> events) {
  const circuit_change change{self->state.snapshot(), std::move(events)};
  for (const auto& listener : self->state.listeners) {
    self->send(listener, atom::changed_v, change);
  }
}

/// Makes sure a tick arrives at next_wake(): one timer at a time, replaced
/// only by an earlier one.
template <class Self> void arm_timer(Self self) {
  auto& st = self->state;
  const auto wake = st.next_wake();
  if (!wake || (st.timer_at && *st.timer_at <= *wake)) {
    return;
  }
  st.timer_at = *wake;
  if (*wake <= self->clock().now()) {
    self->send(self, atom::tick_v);
    return;
  }
  self->scheduled_send(self, *wake, atom::tick_v);
}

/// Replaces the breaker with the stored row (or keeps it, as a new row, if
/// there is none) and tells the listeners.
template <class Self>
void adopt_stored(Self self, std::vector<core::circuit_snapshot>& rows) {
  auto& st = self->state;
  const auto& current = st.breaker->snapshot();
  auto row = std::find_if(rows.begin(), rows.end(), [&](const auto& x) {
    return x.level == current.level && x.identifier == current.identifier;
  });
  if (row == rows.end()) {
    st.version = 0;
  } else {
    st.version = row->version;
    st.breaker.emplace(st.settings, std::move(*row));
  }
  log_line("info", self->name(), self->id(), "circuit_reloaded",
           {{"circuit", circuit_id(self)},
            {"version", std::to_string(st.version)},
            {"state", core::to_string(st.breaker->state())}});
  publish(self, {});
  arm_timer(self);
}

/// Reloads the circuit from the store. `await`: nothing else is handled
/// (and no save sent) until the row is back.
template <class Self> void reload(Self self) {
  auto& st = self->state;
  ++st.generation;
  self
    ->request(st.env.store, st.env.request_timeout, atom::get_v,
              atom::circuits_v, caf::timestamp{wall_now(self)})
    .await(
      [self](std::vector<core::circuit_snapshot>& rows) {
        adopt_stored(self, rows);
      },
      [self](caf::error& err) {
        // The next save conflicts again and retries the reload.
        log_line("warn", self->name(), self->id(), "reload_failed",
                 {{"circuit", circuit_id(self)}, {"error", describe(err)}});
      });
}

/// A save failed. A conflict reloads; anything else loses these events
/// (logged), and if the row did not change, the next save conflicts and
/// reloads.
template <class Self>
void on_save_failed(Self self, int64_t generation, const caf::error& err) {
  if (generation != self->state.generation) {
    return; // sent before a reload: the reload has settled it
  }
  const bool conflict = err == errc::conflict;
  log_line("warn", self->name(), self->id(),
           conflict ? "save_conflict" : "save_failed",
           {{"circuit", circuit_id(self)}, {"error", describe(err)}});
  if (conflict) {
    reload(self);
  }
}

/// Saves the breaker's snapshot with `events` (if any) and publishes them.
template <class Self> void save(Self self, core::circuit_events events) {
  if (events.empty()) {
    return;
  }
  auto& st = self->state;
  auto row = st.snapshot();
  const auto expected = st.version + 1;
  const auto generation = st.generation;
  self
    ->request(st.env.store, st.env.request_timeout, atom::save_v,
              std::move(row), events)
    .then(
      [self, expected, generation](int64_t stored) {
        if (stored != expected) {
          on_save_failed(
            self, generation,
            caf::make_error(errc::conflict,
                            "stored version " + std::to_string(stored)
                              + ", expected " + std::to_string(expected)));
        }
      },
      [self, generation](caf::error& err) {
        on_save_failed(self, generation, err);
      });
  st.version = expected;
  publish(self, std::move(events));
}

/// After every input: persist and publish what it did, then re-arm.
template <class Self> void settle(Self self, core::circuit_events events) {
  save(self, std::move(events));
  arm_timer(self);
}

template <class Self>
void add_listener(Self self, circuit_listener_actor listener) {
  auto& xs = self->state.listeners;
  if (std::find(xs.begin(), xs.end(), listener) == xs.end()) {
    self->monitor(listener);
    xs.push_back(listener);
  }
  self->send(listener, atom::changed_v,
             circuit_change{self->state.snapshot(), {}});
}

template <class Self>
void drop_listener(Self self, const caf::actor_addr& who) {
  auto& xs = self->state.listeners;
  xs.erase(std::remove_if(xs.begin(), xs.end(),
                          [&](const auto& x) { return x.address() == who; }),
           xs.end());
}

/// Quits, dropping its monitors on its listeners first. In CAF 0.17 a
/// monitor lives in the monitored actor until that actor ends, and it
/// keeps the observer's memory: a stage circuit that stopped for idleness
/// while the hub lived stayed allocated (about 2 KB each, four per task).
template <class Self> void quit_circuit(Self self) {
  for (const auto& x : self->state.listeners) {
    self->demonitor(x.address());
  }
  self->state.listeners.clear();
  self->quit();
}

/// Spawn-time setup; makes a transition that came due while the circuit
/// was not running (e.g. a pause that ended during a restart).
template <class Self, class Settings>
void start_circuit(Self self, const circuit_env& env, Settings settings,
                   core::circuit_snapshot row) {
  auto& st = self->state;
  st.env = env;
  st.settings = settings;
  st.version = row.version;
  st.breaker.emplace(settings, std::move(row));
  touch(self);
  self->set_down_handler(
    [self](caf::down_msg& msg) { drop_listener(self, msg.source); });
  settle(self, st.breaker->tick(wall_now(self)));
}

// -- handlers shared by the circuits ------------------------------------------

/// stage and worker circuits: check_and_allow.
template <class Self> bool allow(Self self) {
  touch(self);
  auto verdict = self->state.breaker->allow(wall_now(self));
  if (verdict.allowed) {
    ++self->state.attempts;
  }
  settle(self, std::move(verdict.events));
  return verdict.allowed;
}

template <class Self> void end_attempt(Self self) {
  touch(self);
  auto& attempts = self->state.attempts;
  attempts = std::max(0, attempts - 1);
}

template <class Self> void record_success(Self self) {
  end_attempt(self);
  settle(self, self->state.breaker->record_success(wall_now(self)));
}

/// The kind goes to core/ untouched: the breaker decides what counts.
template <class Self>
void record_failure(Self self, core::failure_kind kind,
                    const std::string& reason) {
  end_attempt(self);
  settle(self,
         self->state.breaker->record_failure(kind, reason, wall_now(self)));
}

template <class Self> core::circuit_snapshot reset(Self self) {
  touch(self);
  settle(self, self->state.breaker->reset(wall_now(self)));
  return self->state.snapshot();
}

/// A tick: clears the timer it answers (a stale one finds a later timer
/// armed, or none due) and makes any due transition. The caller re-arms.
template <class Self> void tick(Self self) {
  auto& st = self->state;
  if (st.timer_at && self->clock().now() >= *st.timer_at) {
    st.timer_at.reset();
  }
  save(self, st.breaker->tick(wall_now(self)));
}

/// A worker died with its attempt (a crash, a lost node): its circuit, got
/// from `hub`, counts a `worker_crashed` failure of kind worker. For the
/// supervisor and the gateway.
template <class Self>
void count_worker_crash(Self* self, const circuit_hub_actor& hub,
                        caf::timespan timeout, const std::string& worker) {
  self->request(hub, timeout, atom::worker_v, worker)
    .then(
      [=](worker_circuit_actor circuit) {
        self->send(circuit, atom::failure_v, core::failure_kind::worker,
                   std::string{core::reason::worker_crashed});
      },
      [=](caf::error& err) {
        core::log_line("warn", self->name(), self->id(), "circuit_unreachable",
                       {{"worker", worker}, {"error", describe(err)}});
      });
}

} // namespace tdd
