#pragma once

// The coordinator under test without workers (coordinator_config::workers
// = 0): a real store on a temporary database holding the tasks and a
// started run, a real circuit hub, and the test playing the workers.

#include "actor_fixture.hpp"
#include "actors/circuit_hub.hpp"
#include "actors/coordinator.hpp"
#include "messages/all.hpp"
#include "store/circuit_samples.hpp"
#include "store/database.hpp"
#include "store/persistence.hpp"
#include "store/task_specs.hpp"
#include "store/temp_dir.hpp"

#include <caf/actor_clock.hpp>
#include <caf/after.hpp>
#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tdd::test {

using namespace std::chrono_literals;

// Bases are destroyed in reverse order: the actors stop (and close the
// database) before the directory goes.
struct coordinator_fixture : temp_dir, actor_fixture {
  std::string db_path = file("orchestrator.db");
  /// The actor clock when wall time was base_time.
  caf::actor_clock::time_point steady0 = sys.clock().now();
  /// What start() spawns the coordinator with; tests change it first.
  coordinator_config config;
  int64_t run_id = 0;
  store_actor store;
  circuit_hub_actor hub;
  coordinator_actor aut;

  coordinator_fixture() {
    config.workers = 0; // the test plays the workers
    config.usage_limit_backoff = 60s;
    config.max_usage_backoff = 900s;
  }

  /// Imports `specs`, starts a run (with its budget) in the database, then
  /// spawns the store, the hub and the coordinator over every imported key
  /// (unless config.keys names the selection). `setup` may change the
  /// database before the run starts.
  void start(const std::vector<core::task_spec>& specs,
             const std::function<void(store::database&)>& setup = {}) {
    {
      auto db = open(store::open_mode::read_write);
      auto imported = db.import_tasks(specs, false);
      REQUIRE_MESSAGE(imported, describe(imported.error()));
      if (setup) {
        setup(db);
      }
      auto id = db.start_run(run_start{4242, "build-1", "main", "", base_time});
      REQUIRE_MESSAGE(id, describe(id.error()));
      run_id = *id;
      auto err = db.init_budget(run_id, config.limits);
      REQUIRE_MESSAGE(!err, describe(err));
    }
    store = spawn(store::persistence, db_path);
    circuit_hub_config hc;
    hc.store = store;
    hc.wall_start = base_time;
    hub = spawn(circuit_hub, std::move(hc));
    config.run_id = run_id;
    if (config.keys.empty()) {
      for (const auto& x : specs) {
        config.keys.push_back(x.key);
      }
    }
    config.worker.run_id = run_id;
    config.worker.store = store;
    config.worker.hub = hub;
    config.worker.clock = wall_anchor{base_time, steady0};
    aut = spawn(coordinator, config);
  }

  /// Advances virtual time and runs what became due.
  void advance(caf::timespan d) {
    sched.advance_time(d);
    sched.run();
  }

  /// A worker asks for its next task; the reply may wait (assignment()).
  void next(const std::string& worker = "worker_1") {
    self->send(aut, atom::next_v, worker);
    sched.run();
  }

  /// The oldest reply to `next` that arrived, or nullopt.
  std::optional<task_assignment> assignment() {
    std::optional<task_assignment> result;
    self->receive([&](task_assignment& x) { result = std::move(x); },
                  caf::after(0s) >> [] {});
    return result;
  }

  /// The key a worker gets now; fails the test when the reply waits.
  std::string lease(const std::string& worker = "worker_1") {
    next(worker);
    auto x = assignment();
    REQUIRE_MESSAGE(x, "no assignment for " << worker);
    return x->task.key;
  }

  /// A worker gives a task up.
  void done(const std::string& key, core::task_status status,
            const std::string& reason = "",
            const std::string& worker = "worker_1") {
    self->send(aut, atom::done_v,
               task_release{key, worker, status, reason, {}});
    sched.run();
  }

  int64_t reserve(const std::string& worker = "worker_1") {
    return ask<int64_t>(aut, atom::reserve_v, worker);
  }

  int64_t pause(int64_t seconds) {
    return ask<int64_t>(aut, atom::pause_v, seconds);
  }

  /// The end of the run, or nullopt while it runs.
  std::optional<run_summary> summary() {
    auto x = try_ask<run_summary>(aut, atom::wait_v);
    if (!x) {
      return std::nullopt;
    }
    return std::move(*x);
  }

  store::database open(store::open_mode mode = store::open_mode::read_only) {
    auto db = store::database::open(db_path, mode);
    REQUIRE_MESSAGE(db, describe(db.error()));
    return std::move(*db);
  }

  /// A task as another process sees it.
  task_row task(const std::string& key) {
    auto db = open();
    auto x = db.find_task(key);
    REQUIRE_MESSAGE(x, describe(x.error()));
    REQUIRE_MESSAGE(*x, "no task " << key);
    return std::move(**x);
  }

  /// The stored lease expiry of a task (UTC ISO-8601; empty when free).
  std::string lease_expiry(const std::string& key) {
    auto db = open();
    auto leases = db.task_leases();
    REQUIRE_MESSAGE(leases, describe(leases.error()));
    for (const auto& x : *leases) {
      if (x.key == key) {
        return x.claim_expires_at;
      }
    }
    FAIL("no task " << key);
    return {};
  }

  /// This run's row as another process sees it.
  run_row run() {
    auto db = open();
    auto x = db.find_run(run_id);
    REQUIRE_MESSAGE(x, describe(x.error()));
    REQUIRE_MESSAGE(*x, "no run " << run_id);
    return std::move(**x);
  }

  /// This run's budget row.
  budget_row budget() {
    auto db = open();
    auto x = db.budget_of(run_id);
    REQUIRE_MESSAGE(x, describe(x.error()));
    REQUIRE_MESSAGE(*x, "no budget for run " << run_id);
    return std::move(**x);
  }
};

} // namespace tdd::test
