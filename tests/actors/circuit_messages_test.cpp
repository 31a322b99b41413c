// The circuit actor messages and handles: registered in the type-ID block
// and serializable, so they can cross to a remote node.

#include "circuit_test_support.hpp"

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/message.hpp>
#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace tdd;
using namespace std::chrono_literals;
using core::circuit_state;
using test::base_time;

static_assert(caf::has_type_id<circuit_listener_actor>::value);
static_assert(caf::has_type_id<circuit_actor>::value);
static_assert(caf::has_type_id<system_circuit_actor>::value);
static_assert(caf::has_type_id<circuit_hub_actor>::value);

TEST_CASE("circuit handles are registered under their alias names") {
  CHECK(std::string{caf::type_name<circuit_hub_actor>::value}
        == "tdd::circuit_hub_actor");
  CHECK(std::string{caf::type_name<stage_circuit_actor>::value}
        == "tdd::circuit_actor");
  CHECK(caf::type_id<circuit_hub_actor>::value < caf::id_block::tdd::end);
}

TEST_CASE_FIXTURE(test::actor_fixture,
                  "circuit changes and dispatch policies round-trip through "
                  "the binary serializer") {
  auto snapshot = test::make_circuit(core::circuit_level::worker, "worker_1",
                                     circuit_state::open);
  snapshot.opened_at = base_time;
  snapshot.version = 4;
  circuit_change change{snapshot, {test::make_event(base_time)}};
  dispatch_policy open{false, 0, true, base_time + 60s};
  auto out
    = caf::make_message(atom::changed_v, change, open,
                        core::failure_kind::usage_limit, dispatch_policy{});
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  REQUIRE(!sink(out));
  caf::message in;
  caf::binary_deserializer source{sys, buf};
  REQUIRE(!source(in));
  REQUIRE(in.match_elements<atom::changed, circuit_change, dispatch_policy,
                            core::failure_kind, dispatch_policy>());
  const auto& back = in.get_as<circuit_change>(1);
  test::check_same_fields(back.snapshot, snapshot);
  CHECK(back.snapshot.version == 4);
  REQUIRE(back.events.size() == 1);
  CHECK(back.events[0].at == base_time);
  const auto& policy = in.get_as<dispatch_policy>(2);
  CHECK(!policy.allowed);
  CHECK(policy.max_workers == 0);
  CHECK(policy.halted);
  CHECK(policy.graceful_deadline == base_time + 60s);
  CHECK(in.get_as<core::failure_kind>(3) == core::failure_kind::usage_limit);
  CHECK(!in.get_as<dispatch_policy>(4).graceful_deadline);
  CHECK(in.get_as<dispatch_policy>(4).max_workers == -1);
  auto text = caf::deep_to_string(policy);
  CHECK_MESSAGE(text.find("dispatch_policy(false, 0, true") == 0, text);
}
