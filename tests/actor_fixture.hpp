#pragma once

// Deterministic actor tests (STYLE.md sketch 3): the testing scheduler runs
// actors only when told, and time is virtual.

#include "messages/all.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/after.hpp>
#include <caf/atom.hpp>
#include <caf/exit_reason.hpp>
#include <caf/expected.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/scoped_actor.hpp>
#include <doctest/doctest.h>

#include <chrono>
#include <utility>
#include <vector>

namespace tdd::test {

struct actor_fixture {
  static caf::actor_system_config& init(caf::actor_system_config& cfg) {
    cfg.set("scheduler.policy", caf::atom("testing"));
    cfg.add_message_types<caf::id_block::tdd>();
    return cfg;
  }

  caf::actor_system_config cfg; // must be declared before sys
  caf::actor_system sys{init(cfg)};
  caf::scoped_actor self{sys, true};
  caf::scheduler::test_coordinator& sched
    = dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());

  actor_fixture(const actor_fixture&) = delete;
  actor_fixture& operator=(const actor_fixture&) = delete;
  actor_fixture() = default;

  /// Without this, ~actor_system waits forever for actors still alive.
  ~actor_fixture() {
    for (const auto& x : tracked_) {
      self->send_exit(x, caf::exit_reason::user_shutdown);
    }
    sched.run();
    tracked_.clear();
  }

  /// Spawns `fun(xs...)` (never detached: that would leave the testing
  /// scheduler), runs its initialization and stops it with the fixture.
  template <class Fun, class... Ts> auto spawn(Fun fun, Ts&&... xs) {
    auto handle = sys.spawn(fun, std::forward<Ts>(xs)...);
    tracked_.emplace_back(caf::actor_cast<caf::actor_addr>(handle));
    sched.run();
    return handle;
  }

  /// Sends a request, runs all actors, and returns the reply or the error.
  template <class T, class Handle, class... Ts>
  caf::expected<T> try_ask(const Handle& dst, Ts&&... xs) {
    self->send(dst, std::forward<Ts>(xs)...);
    sched.run();
    caf::expected<T> result{caf::sec::request_timeout};
    self->receive([&](T& x) { result = std::move(x); },
                  [&](caf::error& x) { result = std::move(x); },
                  caf::after(std::chrono::seconds{0}) >> [] {});
    return result;
  }

  /// Sends a request, runs all actors, and returns the reply; fails the
  /// test on an error or no reply.
  template <class T, class Handle, class... Ts>
  T ask(const Handle& dst, Ts&&... xs) {
    auto result = try_ask<T>(dst, std::forward<Ts>(xs)...);
    if (!result) {
      FAIL("no reply: " << describe(result.error()));
    }
    return std::move(*result);
  }

private:
  std::vector<caf::actor_addr> tracked_;
};

} // namespace tdd::test
