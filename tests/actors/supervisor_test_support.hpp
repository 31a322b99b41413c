#pragma once

// Supervision under test: a real store on a temporary database and a real
// circuit hub, with stand-in workers that do nothing but stop when told
// (or die when the test kills them).

#include "actor_fixture.hpp"
#include "actors/circuit_hub.hpp"
#include "actors/supervisor.hpp"
#include "store/circuit_samples.hpp"
#include "store/database.hpp"
#include "store/persistence.hpp"
#include "store/temp_dir.hpp"

#include <caf/exit_reason.hpp>
#include <caf/sec.hpp>
#include <caf/send.hpp>

#include <memory>
#include <string>
#include <vector>

namespace tdd::test {

/// A worker that asks for nothing; `stop` makes it quit normally. It takes
/// its config like the real one (and so CAF gets a non-empty argument
/// tuple: spawning a function with none trips UBSan inside CAF 0.17).
inline worker_actor::behavior_type idle_worker(worker_actor::pointer self,
                                               const worker_config&) {
  return {
    [=](atom::stop) { self->quit(); },
    [](atom::done, int64_t) {},
    [](atom::tick) {},
  };
}

/// The workers a factory started, in order, with their configs.
struct spawned_workers {
  std::vector<worker_actor> handles;
  std::vector<worker_config> configs;

  /// The newest handle of worker `id`.
  worker_actor latest(const std::string& id) const {
    for (size_t i = configs.size(); i > 0; --i) {
      if (configs[i - 1].id == id) {
        return handles[i - 1];
      }
    }
    FAIL("no worker " << id);
    return {};
  }

  size_t count(const std::string& id) const {
    size_t n = 0;
    for (const auto& c : configs) {
      n += c.id == id ? 1 : 0;
    }
    return n;
  }
};

/// A factory that starts idle_worker and records each one in `log`.
inline worker_factory recording(std::shared_ptr<spawned_workers> log) {
  return [log](caf::actor_system& sys, const worker_config& wc,
               const coordinator_actor&) {
    auto w = sys.spawn(idle_worker, wc);
    log->handles.push_back(w);
    log->configs.push_back(wc);
    return w;
  };
}

// Bases are destroyed in reverse order: the actors stop (and close the
// database) before the directory goes.
struct supervision_fixture : temp_dir, actor_fixture {
  std::string db_path = file("orchestrator.db");
  store_actor store;
  circuit_hub_actor hub;
  std::shared_ptr<spawned_workers> spawned
    = std::make_shared<spawned_workers>();

  supervision_fixture() {
    auto db = store::database::open(db_path, store::open_mode::read_write);
    REQUIRE_MESSAGE(db, describe(db.error()));
    store = spawn(store::persistence, db_path);
    circuit_hub_config hc;
    hc.store = store;
    hc.wall_start = base_time;
    hub = spawn(circuit_hub, std::move(hc));
  }

  ~supervision_fixture() {
    for (const auto& w : spawned->handles) {
      caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
    }
    sched.run();
  }

  supervision_fixture(const supervision_fixture&) = delete;
  supervision_fixture& operator=(const supervision_fixture&) = delete;

  /// A config whose workers are idle_worker, recorded in `spawned`.
  supervisor_config config(int32_t workers) {
    supervisor_config c;
    c.workers = workers;
    c.worktrees_dir = "/repo/.orchestrator/worktrees";
    c.worker.store = store;
    c.worker.hub = hub;
    c.spawn = recording(spawned);
    return c;
  }

  /// Kills a worker the way an exception would end it.
  void crash(const worker_actor& w) {
    self->send_exit(w, caf::make_error(caf::sec::runtime_error, "boom"));
    sched.run();
  }

  void advance(caf::timespan d) {
    sched.advance_time(d);
    sched.run();
  }

  /// The worker circuit of `id` as the hub sees it.
  core::circuit_snapshot worker_circuit(const std::string& id) {
    auto circuit = ask<worker_circuit_actor>(hub, atom::worker_v, id);
    return ask<core::circuit_snapshot>(circuit, atom::get_v);
  }
};

} // namespace tdd::test
