// The gateway (actors/gateway.hpp) on the test coordinator (virtual time):
// the test plays the nodes (hello, join, heartbeat, leave) and the
// coordinator's `run` and `stop`; the store, the circuit hub, the worker
// circuits, the coordinator, the progress view and the node actors are
// stand-ins that record what reaches them.

#include "gateway_test_support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

using namespace tdd;
using namespace tdd::test::gateway_support;
using namespace std::chrono_literals;
using test::base_time;

TEST_CASE_FIXTURE(fixture, "gateway: hello returns a fresh challenge and a "
                           "join with the right MAC gets the run's handles") {
  config.progress = progress_fake;
  start();
  const auto c = hello("build-1", 3);
  CHECK(c.size() == 64);
  CHECK(is_lower_hex(c));
  CHECK(hello("build-1", 3) != c);
  const auto n = node("n1");
  auto w = answer(c, mac(c, "build-1"), n);
  REQUIRE_MESSAGE(w, describe(w.error()));
  CHECK(w->node_id == "build-1");
  CHECK(w->run_id == 42);
  CHECK(w->target == "main");
  CHECK(addr(w->coordinator) == addr(coordinator_fake));
  CHECK(addr(w->store) == addr(store_fake));
  CHECK(addr(w->hub) == addr(hub_fake));
  CHECK(addr(w->progress) == addr(progress_fake));
  CHECK(w->heartbeat_ms == 5000);
  REQUIRE(rec->registrations.size() == 1);
  const auto& reg = rec->registrations[0];
  CHECK(reg.id == "build-1");
  CHECK(reg.host == "build-1");
  CHECK(reg.workers == 3);
  CHECK(reg.at == base_time);
  CHECK(rec->states.empty());
  CHECK(rec->losses.empty());
  REQUIRE(rec->progress.size() == 1);
  CHECK(rec->progress[0].kind == progress_kind::node);
  CHECK(rec->progress[0].worker == "build-1");
  CHECK(rec->progress[0].outcome == "joined");
  CHECK(rec->progress[0].detail == "build-1, 3 workers");
  // A joined node's heartbeat is recorded at the gateway's wall time.
  advance(2s);
  CHECK(heartbeat("build-1"));
  REQUIRE(rec->heartbeats.size() == 1);
  CHECK(rec->heartbeats[0].first == "build-1");
  CHECK(rec->heartbeats[0].second == base_time + 2s);
  CHECK(!heartbeat("stranger"));
}

TEST_CASE_FIXTURE(fixture, "gateway: a wrong or missing MAC is unauthorized "
                           "and records nothing") {
  start();
  const auto n = node("n1");
  const auto c1 = hello("build-1");
  auto wrong = answer(c1, mac(c1, "build-2"), n); // signed for another host
  REQUIRE(!wrong);
  CHECK(wrong.error() == errc::unauthorized);
  // The refused challenge is spent: the right MAC comes too late.
  auto again = answer(c1, mac(c1, "build-1"), n);
  REQUIRE(!again);
  CHECK(again.error() == errc::unauthorized);
  const auto c2 = hello("build-1");
  auto empty = answer(c2, "", n);
  REQUIRE(!empty);
  CHECK(empty.error() == errc::unauthorized);
  const auto c3 = hello("build-1");
  auto other_secret = answer(
    c3, exec::hmac_sha256_hex("not it", exec::auth_message(c3, "build-1")), n);
  REQUIRE(!other_secret);
  CHECK(other_secret.error() == errc::unauthorized);
  auto unknown
    = answer(std::string(64, 'a'), mac(std::string(64, 'a'), "build-1"), n);
  REQUIRE(!unknown);
  CHECK(unknown.error() == errc::unauthorized);
  check_nothing_recorded();
  CHECK(!heartbeat("build-1"));
}

TEST_CASE_FIXTURE(fixture, "gateway: a challenge answers one join only") {
  start();
  const auto c = hello("build-1");
  auto first = answer(c, mac(c, "build-1"), node("n1"));
  REQUIRE_MESSAGE(first, describe(first.error()));
  auto second = answer(c, mac(c, "build-1"), node("n2"));
  REQUIRE(!second);
  CHECK(second.error() == errc::unauthorized);
  CHECK(rec->registrations.size() == 1);
}

TEST_CASE_FIXTURE(fixture, "gateway: a challenge older than its TTL is "
                           "refused") {
  start();
  const auto n = node("n1");
  // Answered just in time: accepted.
  const auto in_time = hello("build-1");
  advance_by_ticks(30);
  auto ok = answer(in_time, mac(in_time, "build-1"), n);
  REQUIRE_MESSAGE(ok, describe(ok.error()));
  // One tick past the TTL: refused (the tick purged it).
  const auto late = hello("build-2");
  advance_by_ticks(31);
  auto refused = answer(late, mac(late, "build-2"), n);
  REQUIRE(!refused);
  CHECK(refused.error() == errc::unauthorized);
  // Past the TTL between two ticks: refused as well.
  const auto c = hello("build-3");
  advance(30s + 500ms);
  auto between = answer(c, mac(c, "build-3"), n);
  REQUIRE(!between);
  CHECK(between.error() == errc::unauthorized);
  CHECK(rec->registrations.size() == 1);
}

TEST_CASE_FIXTURE(fixture, "gateway: without a secret any MAC is accepted") {
  config.secret.clear();
  start();
  const auto c1 = hello("build-1");
  auto empty = answer(c1, "", node("n1"));
  REQUIRE_MESSAGE(empty, describe(empty.error()));
  CHECK(empty->node_id == "build-1");
  const auto c2 = hello("build-2");
  auto junk = answer(c2, "junk", node("n2"));
  REQUIRE_MESSAGE(junk, describe(junk.error()));
  CHECK(junk->node_id == "build-2");
  CHECK(rec->registrations.size() == 2);
  // The challenge is still required and still single-use.
  auto reused = answer(c2, "", node("n3"));
  REQUIRE(!reused);
  CHECK(reused.error() == errc::unauthorized);
}

TEST_CASE_FIXTURE(fixture, "gateway: joins before the run is on are a "
                           "conflict") {
  start(false);
  auto w = join("build-1", node("n1"));
  REQUIRE(!w);
  CHECK(w.error() == errc::conflict);
  check_nothing_recorded();
}

TEST_CASE_FIXTURE(fixture, "gateway: node ids are node names made unique "
                           "within the run") {
  start();
  CHECK(joined("build-1", node("n1")) == "build-1");
  CHECK(joined("build-1", node("n2")) == "build-1-2");
  CHECK(joined("build-1", node("n3")) == "build-1-3");
  CHECK(joined("build box.local", node("n4")) == "build-box-local");
  CHECK(joined("", node("n5")) == "node");
  REQUIRE(rec->registrations.size() == 5);
  CHECK(rec->registrations[1].id == "build-1-2");
  CHECK(rec->registrations[1].host == "build-1");
  CHECK(rec->registrations[3].host == "build box.local");
  // An id that left is not given out again.
  CHECK(ask<bool>(aut, atom::leave_v, std::string{"build-1-2"}));
  CHECK(joined("build-1", node("n6")) == "build-1-4");
}

TEST_CASE("gateway: node_name keeps the characters node names allow") {
  CHECK(node_name("build box.local") == "build-box-local");
  CHECK(node_name("") == "node");
  CHECK(node_name("Ab_9-z") == "Ab_9-z");
  CHECK(node_name("a/b:c") == "a-b-c");
}

TEST_CASE_FIXTURE(fixture, "gateway: a node that sends heartbeats stays") {
  start();
  const auto id = joined("build-1", node("n1"));
  for (int i = 0; i < 12; ++i) {
    advance_by_ticks(5);
    CHECK(heartbeat(id));
  }
  CHECK(rec->heartbeats.size() == 12);
  CHECK(rec->states.empty());
  CHECK(rec->losses.empty());
  CHECK(rec->failures.empty());
}

TEST_CASE_FIXTURE(fixture, "gateway: a node silent for lost_after is lost at "
                           "the next tick") {
  config.progress = progress_fake;
  start();
  const auto id = joined("build-1", node("n1"), 2);
  advance_by_ticks(5);
  CHECK(heartbeat(id));
  // 14 s after the last heartbeat: still there.
  advance_by_ticks(14);
  CHECK(rec->states.empty());
  CHECK(rec->losses.empty());
  // 15 s: the tick drops it.
  advance(1s);
  REQUIRE(rec->states.size() == 1);
  CHECK(rec->states[0].id == id);
  CHECK(rec->states[0].state == "lost");
  CHECK(rec->states[0].at == base_time + 20s);
  check_lost_workers(id, 2);
  REQUIRE(rec->progress.size() == 2);
  CHECK(rec->progress[1].outcome == "lost");
  CHECK(rec->progress[1].detail == "no heartbeat for 15 s");
  // It learns so at its next heartbeat, which records nothing.
  const auto beats = rec->heartbeats.size();
  CHECK(!heartbeat(id));
  CHECK(rec->heartbeats.size() == beats);
  // Nothing more on later ticks; it joins again under a fresh id.
  advance_by_ticks(30);
  CHECK(rec->states.size() == 1);
  CHECK(rec->losses.size() == 2);
  CHECK(joined("build-1", node("n1-again")) == "build-1-2");
}

TEST_CASE_FIXTURE(fixture, "gateway: only the silent node is lost") {
  start();
  const auto quiet = joined("quiet", node("n1"), 1);
  const auto chatty = joined("chatty", node("n2"), 3);
  for (int i = 0; i < 4; ++i) {
    advance_by_ticks(5);
    CHECK(heartbeat(chatty));
  }
  CHECK(states_of(quiet) == std::vector<std::string>{"lost"});
  CHECK(states_of(chatty).empty());
  check_lost_workers(quiet, 1);
  CHECK(heartbeat(chatty));
}

TEST_CASE_FIXTURE(fixture, "gateway: a node whose actor goes down is lost") {
  config.progress = progress_fake;
  start();
  const auto n = node("n1");
  const auto id = joined("build-1", n, 3);
  advance(2s);
  self->send_exit(n, caf::make_error(caf::sec::runtime_error, "boom"));
  sched.run();
  REQUIRE(rec->states.size() == 1);
  CHECK(rec->states[0].id == id);
  CHECK(rec->states[0].state == "lost");
  CHECK(rec->states[0].at == base_time + 2s);
  check_lost_workers(id, 3);
  REQUIRE(rec->progress.size() == 2);
  CHECK(rec->progress[1].outcome == "lost");
  CHECK(rec->progress[1].detail.rfind("connection lost: ", 0) == 0);
  CHECK(!heartbeat(id));
  // Not lost a second time by the ticks.
  advance_by_ticks(20);
  CHECK(rec->states.size() == 1);
  CHECK(rec->losses.size() == 3);
}

TEST_CASE_FIXTURE(fixture, "gateway: leave marks a node left without losing "
                           "its workers") {
  config.progress = progress_fake;
  start();
  const auto n = node("n1");
  const auto id = joined("build-1", n, 2);
  CHECK(ask<bool>(aut, atom::leave_v, id));
  CHECK(states_of(id) == std::vector<std::string>{"left"});
  REQUIRE(rec->progress.size() == 2);
  CHECK(rec->progress[1].outcome == "left");
  CHECK(!heartbeat(id));
  // Neither silence nor its actor going down counts any more.
  self->send_exit(n, caf::exit_reason::user_shutdown);
  sched.run();
  advance_by_ticks(20);
  CHECK(rec->states.size() == 1);
  CHECK(rec->losses.empty());
  CHECK(rec->circuit_requests.empty());
  CHECK(rec->failures.empty());
  // Leaving twice, or as a stranger, is harmless.
  CHECK(ask<bool>(aut, atom::leave_v, id));
  CHECK(ask<bool>(aut, atom::leave_v, std::string{"stranger"}));
  CHECK(rec->states.size() == 1);
}

TEST_CASE_FIXTURE(fixture, "gateway: stop asks every node to stop and "
                           "replies once they answered") {
  start();
  const auto a = joined("build-1", node("a"), 1);
  const auto b = joined("build-2", node("b"), 1);
  CHECK(ask<bool>(aut, atom::stop_v));
  CHECK(rec->stops["a"] == 1);
  CHECK(rec->stops["b"] == 1);
  CHECK(states_of(a) == std::vector<std::string>{"left"});
  CHECK(states_of(b) == std::vector<std::string>{"left"});
  CHECK(rec->losses.empty());
  CHECK(rec->failures.empty());
  CHECK(!heartbeat(a));
  // The run is ending: even the right MAC is turned away.
  auto late = join("build-3", node("c"));
  REQUIRE(!late);
  CHECK(late.error() == errc::conflict);
  CHECK(rec->registrations.size() == 2);
}

TEST_CASE_FIXTURE(fixture, "gateway: stop with no node replies at once and "
                           "refuses later joins") {
  start();
  CHECK(ask<bool>(aut, atom::stop_v));
  auto w = join("build-1", node("n1"));
  REQUIRE(!w);
  CHECK(w.error() == errc::conflict);
  check_nothing_recorded();
}

TEST_CASE_FIXTURE(fixture, "gateway: a node that does not answer stop is "
                           "lost after stop_timeout") {
  config.stop_timeout = 10s;
  start();
  const auto good = joined("good", node("good"), 1);
  const auto silent = joined("silent", node("silent", false), 2);
  self->send(aut, atom::stop_v);
  sched.run();
  CHECK(rec->stops["good"] == 1);
  CHECK(rec->stops["silent"] == 1);
  CHECK(states_of(good) == std::vector<std::string>{"left"});
  CHECK(states_of(silent).empty());
  // No reply yet: one node has not answered.
  bool replied = false;
  self->receive([&](bool) { replied = true; }, caf::after(0s) >> [] {});
  CHECK(!replied);
  // The silent node keeps its heartbeat going meanwhile.
  advance_by_ticks(5);
  CHECK(heartbeat(silent));
  advance_by_ticks(4);
  CHECK(states_of(silent).empty());
  advance(1s);
  CHECK(states_of(silent) == std::vector<std::string>{"lost"});
  check_lost_workers(silent, 2);
  std::optional<bool> reply;
  self->receive([&](bool x) { reply = x; }, caf::after(0s) >> [] {});
  REQUIRE(reply);
  CHECK(*reply);
  auto w = join("late", node("late"));
  REQUIRE(!w);
  CHECK(w.error() == errc::conflict);
}
