// The multi-host messages (messages/cluster.hpp): registered in the type-ID
// block and serializable, so they cross to a remote node unchanged.

#include "actor_fixture.hpp"
#include "messages/all.hpp"
#include "store/circuit_samples.hpp"

#include <caf/actor_cast.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message.hpp>
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

using namespace tdd;
using namespace std::chrono_literals;
using test::base_time;

static_assert(caf::has_type_id<node_hello>::value);
static_assert(caf::has_type_id<node_join>::value);
static_assert(caf::has_type_id<node_welcome>::value);
static_assert(caf::has_type_id<node_registration>::value);
static_assert(caf::has_type_id<node_row>::value);
static_assert(caf::has_type_id<std::vector<node_row>>::value);

namespace {

caf::behavior idle_node(caf::event_based_actor*, int) {
  return {
    [](atom::stop) { return true; },
    [](atom::tick) {},
  };
}

caf::message round_trip(caf::actor_system& sys, caf::message out) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  auto err = sink(out);
  REQUIRE_MESSAGE(!err, describe(err));
  caf::message in;
  caf::binary_deserializer source{sys, buf};
  err = source(in);
  REQUIRE_MESSAGE(!err, describe(err));
  return in;
}

} // namespace

TEST_CASE_FIXTURE(test::actor_fixture,
                  "cluster messages: hello and join round-trip through the "
                  "binary serializer") {
  auto n = caf::actor_cast<node_actor>(spawn(idle_node, 0));
  node_hello hello{"build box", 4, "1.2.3"};
  node_join join{std::string(64, 'c'), std::string(64, 'd'), n};
  auto in = round_trip(
    sys, caf::make_message(atom::hello_v, hello, atom::join_v, join));
  REQUIRE(in.match_elements<atom::hello, node_hello, atom::join, node_join>());
  const auto& h = in.get_as<node_hello>(1);
  CHECK(h.host == "build box");
  CHECK(h.workers == 4);
  CHECK(h.version == "1.2.3");
  const auto& j = in.get_as<node_join>(3);
  CHECK(j.challenge == std::string(64, 'c'));
  CHECK(j.mac == std::string(64, 'd'));
  CHECK(caf::actor_cast<caf::actor_addr>(j.node)
        == caf::actor_cast<caf::actor_addr>(n));
}

TEST_CASE_FIXTURE(test::actor_fixture,
                  "cluster messages: welcome and node rows round-trip "
                  "through the binary serializer") {
  node_welcome w;
  w.node_id = "build-1-2";
  w.run_id = 7;
  w.target = "main";
  w.heartbeat_ms = 5000; // the handles stay null
  node_registration reg{"build-1-2", "build-1", "10.0.0.2:4242", 3,
                        base_time + 1500ms};
  std::vector<node_row> rows{node_row{"build-1", "build-1", "10.0.0.1", "lost",
                                      2, "2026-11-26T12:00:00.000Z",
                                      "2026-11-26T12:00:05.000Z"},
                             node_row{}};
  auto in = round_trip(sys, caf::make_message(w, reg, rows));
  REQUIRE(in.match_elements<node_welcome, node_registration,
                            std::vector<node_row>>());
  const auto& wb = in.get_as<node_welcome>(0);
  CHECK(wb.node_id == "build-1-2");
  CHECK(wb.run_id == 7);
  CHECK(wb.target == "main");
  CHECK(wb.heartbeat_ms == 5000);
  CHECK(!wb.coordinator);
  CHECK(!wb.store);
  CHECK(!wb.hub);
  CHECK(!wb.progress);
  const auto& rb = in.get_as<node_registration>(1);
  CHECK(rb.id == "build-1-2");
  CHECK(rb.host == "build-1");
  CHECK(rb.address == "10.0.0.2:4242");
  CHECK(rb.workers == 3);
  CHECK(rb.at == base_time + 1500ms);
  const auto& back = in.get_as<std::vector<node_row>>(2);
  REQUIRE(back.size() == 2);
  CHECK(back[0].state == "lost");
  CHECK(back[0].workers == 2);
  CHECK(back[0].heartbeat_at == "2026-11-26T12:00:05.000Z");
  CHECK(back[1].id.empty());
}

TEST_CASE("cluster messages: print with their type names") {
  auto text = caf::deep_to_string(node_hello{"build-1", 2, "1.2.3"});
  CHECK_MESSAGE(text.find("node_hello(\"build-1\", 2") == 0, text);
}
