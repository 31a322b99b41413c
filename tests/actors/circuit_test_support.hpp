#pragma once

// Shared by the circuit actor tests: a store on a temporary file, virtual
// wall time, circuits spawned directly or through the hub, and read-only
// looks at the database.

#include "actor_fixture.hpp"
#include "actors/circuit_common.hpp"
#include "actors/circuit_hub.hpp"
#include "actors/stage_circuit.hpp"
#include "actors/system_circuit.hpp"
#include "actors/worker_circuit.hpp"
#include "messages/all.hpp"
#include "store/circuit_samples.hpp"
#include "store/database.hpp"
#include "store/persistence.hpp"
#include "store/temp_dir.hpp"

#include <caf/actor_clock.hpp>
#include <caf/exit_reason.hpp>
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tdd::test {

using namespace std::chrono_literals;

struct recorder_state {
  static inline constexpr const char* name = "test_recorder";
  std::string label;
  std::vector<circuit_change> changes;
};

// Takes an argument: CAF 0.17.6 binds a reference to a null tuple pointer
// (UBSan reports it) when a function actor takes none.
inline circuit_listener_actor::behavior_type
recorder(circuit_listener_actor::stateful_pointer<recorder_state> self,
         std::string label) {
  self->state.label = std::move(label);
  return {
    [self](atom::changed, const circuit_change& x) {
      self->state.changes.push_back(x);
    },
  };
}

// Bases are destroyed in reverse order: the actors stop (and close the
// database) before the directory goes.
struct circuit_fixture : temp_dir, actor_fixture {
  std::string db_path = file("orchestrator.db");
  store_actor store = spawn(store::persistence, db_path);
  /// The actor clock when wall time was base_time.
  caf::actor_clock::time_point steady0 = sys.clock().now();
  core::circuit_settings settings;

  /// Wall time as the actors see it.
  core::wall_time wall_now() {
    return base_time + (sys.clock().now() - steady0);
  }

  circuit_env env() { return {store, wall_anchor{base_time, steady0}, 10s}; }

  /// Advances virtual time and runs what became due.
  void advance(caf::timespan d) {
    sched.advance_time(d);
    sched.run();
  }

  circuit_actor spawn_stage(const std::string& id = "A:red") {
    return spawn(stage_circuit, env(), settings.stage,
                 core::new_circuit(core::circuit_level::stage, id), 60s,
                 circuit_hub_actor{});
  }

  circuit_actor spawn_worker(const std::string& id = "worker_1") {
    return spawn(worker_circuit, env(), settings.worker,
                 core::new_circuit(core::circuit_level::worker, id));
  }

  circuit_hub_actor spawn_hub() {
    circuit_hub_config config;
    config.store = store;
    config.settings = settings;
    config.wall_start = wall_now();
    return spawn(circuit_hub, std::move(config));
  }

  template <class Handle> core::circuit_snapshot get(const Handle& x) {
    return ask<core::circuit_snapshot>(x, atom::get_v);
  }

  template <class Handle>
  void fail(const Handle& x, core::failure_kind kind, int times = 1,
            const std::string& reason = "timeout") {
    for (int i = 0; i < times; ++i) {
      self->send(x, atom::failure_v, kind, reason);
    }
    sched.run();
  }

  template <class Handle> void succeed(const Handle& x) {
    self->send(x, atom::success_v);
    sched.run();
  }

  store::database open(store::open_mode mode = store::open_mode::read_only) {
    auto db = store::database::open(db_path, mode);
    REQUIRE_MESSAGE(db, describe(db.error()));
    return std::move(*db);
  }

  /// The stored row, or nullopt.
  std::optional<core::circuit_snapshot> row(core::circuit_level level,
                                            const std::string& id) {
    auto db = open();
    auto x = db.find_circuit(level, id, wall_now());
    REQUIRE_MESSAGE(x, describe(x.error()));
    return *x;
  }

  /// The stored events of one circuit, oldest first.
  std::vector<core::circuit_event> events(core::circuit_level level,
                                          const std::string& id) {
    auto db = open();
    auto x = db.circuit_events(level, id, 1000);
    REQUIRE_MESSAGE(x, describe(x.error()));
    std::reverse(x->begin(), x->end());
    return *x;
  }

  size_t count(core::circuit_level level, const std::string& id,
               core::circuit_event_type type) {
    const auto xs = events(level, id);
    return static_cast<size_t>(std::count_if(
      xs.begin(), xs.end(), [type](const auto& e) { return e.type == type; }));
  }

  /// Stops actors now (as a process exit would), running their cleanup.
  template <class... Handles> void stop(const Handles&... xs) {
    (self->send_exit(xs, caf::exit_reason::user_shutdown), ...);
    sched.run();
  }
};

} // namespace tdd::test
