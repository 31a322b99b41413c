// The supervisor restarts crashed workers with backoff, at most 5 times a
// minute per node, and stops them all when told (actors/supervisor.hpp).
// The test plays the coordinator: the supervisor's `lost` messages come to
// the test's own actor.

#include "supervisor_test_support.hpp"

#include <caf/after.hpp>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace tdd::test {

namespace {

using namespace std::chrono_literals;

struct fixture : supervision_fixture {
  supervisor_actor aut;

  void start(int32_t workers, supervisor_config c) {
    c.workers = workers;
    aut = spawn(supervisor, std::move(c),
                caf::actor_cast<coordinator_actor>(self));
  }
  void start(int32_t workers) { start(workers, config(workers)); }

  /// The `lost` messages that reached the coordinator, oldest first.
  std::vector<std::pair<std::string, int32_t>> losses() {
    std::vector<std::pair<std::string, int32_t>> out;
    bool more = true;
    while (more) {
      self->receive(
        [&](atom::lost, std::string& id, int32_t remaining) {
          out.emplace_back(std::move(id), remaining);
        },
        caf::after(0s) >> [&] { more = false; });
    }
    return out;
  }
};

using loss = std::pair<std::string, int32_t>;

} // namespace

TEST_CASE_FIXTURE(fixture, "supervisor: starts the workers with their own "
                           "ids and worktrees") {
  start(3);
  REQUIRE(spawned->configs.size() == 3);
  CHECK(spawned->configs[0].id == "worker_1");
  CHECK(spawned->configs[2].id == "worker_3");
  CHECK(spawned->configs[1].worktree
        == "/repo/.orchestrator/worktrees/worker_2");
  CHECK(losses().empty());
}

TEST_CASE_FIXTURE(fixture, "supervisor: a crashed worker is reported, counted "
                           "on its circuit and restarted after the backoff") {
  start(2);
  crash(spawned->latest("worker_2"));
  // Still two: worker_1 alive, worker_2 about to restart.
  CHECK(losses() == std::vector<loss>{{"worker_2", 2}});
  const auto circuit = worker_circuit("worker_2");
  CHECK(circuit.failure_count == 1);
  advance(999ms);
  CHECK(spawned->count("worker_2") == 1);
  advance(1ms);
  REQUIRE(spawned->count("worker_2") == 2);
  CHECK(spawned->configs.back().worktree
        == "/repo/.orchestrator/worktrees/worker_2");
  CHECK(worker_circuit("worker_1").failure_count == 0);
}

TEST_CASE_FIXTURE(fixture, "supervisor: the backoff doubles while restarts "
                           "follow each other") {
  start(1);
  crash(spawned->latest("worker_1"));
  advance(1s); // first restart after 1 s
  crash(spawned->latest("worker_1"));
  advance(1s);
  CHECK(spawned->count("worker_1") == 2);
  advance(1s); // second restart after 2 s
  CHECK(spawned->count("worker_1") == 3);
  crash(spawned->latest("worker_1"));
  advance(3s);
  CHECK(spawned->count("worker_1") == 3);
  advance(1s); // third after 4 s
  CHECK(spawned->count("worker_1") == 4);
}

TEST_CASE_FIXTURE(fixture, "supervisor: a sixth crash within 60 s stops the "
                           "restarts on this node") {
  start(2);
  // Five crashes, each restarted after its backoff: 1 + 2 + 4 + 8 + 16 s.
  auto backoff = 1s;
  for (int i = 0; i < 5; ++i) {
    crash(spawned->latest("worker_1"));
    advance(backoff);
    backoff *= 2;
  }
  CHECK(spawned->count("worker_1") == 6);
  CHECK(losses().size() == 5);
  // 31 s after the first: the sixth is not restarted, nor any other.
  crash(spawned->latest("worker_1"));
  advance(120s);
  CHECK(spawned->count("worker_1") == 6);
  CHECK(losses() == std::vector<loss>{{"worker_1", 1}});
  crash(spawned->latest("worker_2"));
  advance(120s);
  CHECK(spawned->count("worker_2") == 1);
  // Nothing is left: the coordinator learns it from the count.
  CHECK(losses() == std::vector<loss>{{"worker_2", 0}});
}

TEST_CASE_FIXTURE(fixture, "supervisor: restarts spread out over time go on") {
  start(1);
  for (int i = 0; i < 8; ++i) {
    crash(spawned->latest("worker_1"));
    advance(20s); // at most 3 restarts in any 60 s
  }
  CHECK(spawned->count("worker_1") == 9);
}

TEST_CASE_FIXTURE(fixture, "supervisor: a worker that stops on its own is "
                           "not restarted") {
  start(2);
  self->send(spawned->latest("worker_1"), atom::stop_v);
  sched.run();
  CHECK(losses() == std::vector<loss>{{"worker_1", 1}});
  advance(120s);
  CHECK(spawned->count("worker_1") == 1);
  CHECK(worker_circuit("worker_1").failure_count == 0);
}

TEST_CASE_FIXTURE(fixture, "supervisor: stop stops every worker, replies "
                           "when the last is down and cancels restarts") {
  start(3);
  crash(spawned->latest("worker_3"));
  losses();
  CHECK(ask<bool>(aut, atom::stop_v));
  auto reported = losses();
  CHECK(reported.size() == 2);
  CHECK(reported.back().second == 0);
  advance(120s);
  CHECK(spawned->configs.size() == 3); // worker_3 was not restarted
}

TEST_CASE_FIXTURE(fixture, "supervisor: stop with no worker replies at once") {
  start(0);
  CHECK(ask<bool>(aut, atom::stop_v));
}

TEST_CASE_FIXTURE(fixture, "supervisor: a lost lease ends the worker like a "
                           "crash") {
  start(1);
  self->send(aut, atom::lost_v, std::string{"worker_1"});
  sched.run();
  CHECK(losses() == std::vector<loss>{{"worker_1", 1}});
  CHECK(worker_circuit("worker_1").failure_count == 1);
  advance(1s);
  CHECK(spawned->count("worker_1") == 2);
}

} // namespace tdd::test

namespace tdd::test {

// A node's supervisor (actors/node.hpp): prefixed ids, and it ends once no
// worker is left; an exit message takes its workers with it.

TEST_CASE_FIXTURE(fixture, "supervisor: a node's workers carry its name and "
                           "the supervisor ends with the last of them") {
  auto c = config(2);
  c.id_prefix = "gpu-box.";
  c.quit_when_idle = true;
  start(2, c);
  REQUIRE(spawned->configs.size() == 2);
  CHECK(spawned->configs[0].id == "gpu-box.worker_1");
  CHECK(spawned->configs[1].worktree
        == "/repo/.orchestrator/worktrees/gpu-box.worker_2");
  self->monitor(aut);
  self->send(spawned->latest("gpu-box.worker_1"), atom::stop_v);
  self->send(spawned->latest("gpu-box.worker_2"), atom::stop_v);
  sched.run();
  bool down = false;
  caf::error reason;
  self->receive(
    [&](caf::down_msg& d) {
      down = true;
      reason = d.reason;
    },
    caf::after(0s) >> [] {});
  CHECK(down);
  CHECK((!reason || reason == caf::exit_reason::normal));
}

TEST_CASE_FIXTURE(fixture, "supervisor: an exit message ends every worker "
                           "with it") {
  start(2);
  self->monitor(spawned->latest("worker_1"));
  self->monitor(spawned->latest("worker_2"));
  self->send_exit(aut, caf::exit_reason::user_shutdown);
  sched.run();
  int downs = 0;
  for (int i = 0; i < 2; ++i) {
    self->receive([&](caf::down_msg&) { ++downs; }, caf::after(0s) >> [] {});
  }
  CHECK(downs == 2);
}

} // namespace tdd::test
