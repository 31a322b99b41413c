// Message types cross the network as CAF serializes them: registered by the
// type-ID block, inspectable, and printable.

#include "actor_fixture.hpp"
#include "messages/all.hpp"
#include "store/task_specs.hpp"

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/message.hpp>
#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace tdd;

namespace {

task_row sample_row() {
  task_row x;
  x.spec = test::make_spec("A", {"B", "C"}, 2);
  x.status = core::task_status::blocked;
  x.blocked_reason = "stage_circuit_open:green";
  x.claimed_by = "node-1.worker_2";
  x.current_stage = "green";
  x.created_at = "2024-01-02T03:04:05.678Z";
  x.updated_at = "2024-01-02T03:04:06.000Z";
  return x;
}

} // namespace

TEST_CASE_FIXTURE(test::actor_fixture,
                  "messages round-trip through the binary serializer") {
  std::vector<task_row> rows{sample_row(), task_row{}};
  auto out = caf::make_message(
    atom::tasks_v, rows,
    task_status_update{"A", core::task_status::running, "r"});
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  REQUIRE(!sink(out));
  caf::message in;
  caf::binary_deserializer source{sys, buf};
  REQUIRE(!source(in));
  REQUIRE(in.match_elements<atom::tasks, std::vector<task_row>,
                            task_status_update>());
  const auto& back = in.get_as<std::vector<task_row>>(1);
  REQUIRE(back.size() == 2);
  CHECK(back[0].spec == rows[0].spec);
  CHECK(back[0].status == core::task_status::blocked);
  CHECK(back[0].claimed_by == "node-1.worker_2");
  CHECK(in.get_as<task_status_update>(2).status == core::task_status::running);
}

TEST_CASE("messages print with enum names") {
  auto text = caf::deep_to_string(sample_row());
  CHECK(text.find("task_row(task_spec(\"A\"") == 0);
  CHECK(text.find("blocked") != std::string::npos);
  CHECK(text.find("low") != std::string::npos);
}

TEST_CASE("errors describe themselves without an actor system") {
  CHECK(describe(caf::error{}).empty());
  CHECK(describe(caf::make_error(errc::not_found, "no task X")) == "no task X");
  CHECK(describe(caf::make_error(errc::conflict)) == "tdd.conflict");
  CHECK(describe(caf::make_error(caf::sec::request_timeout))
        == "system.request_timeout");
  CHECK(caf::make_error(errc::busy).code() != 0);
}

TEST_CASE("type IDs are assigned in one contiguous block") {
  CHECK(caf::type_id<core::task_status>::value == caf::first_custom_type_id);
  // The block ends with a registered type: type_name_by_id only exists
  // for assigned IDs, so this compiles only if `end` is one past the last.
  CHECK(
    std::string{caf::type_name_by_id<caf::id_block::tdd::end - 1>::value}.rfind(
      "tdd::", 0)
    == 0);
  CHECK(std::string{caf::type_name<task_row>::value} == "tdd::task_row");
}
