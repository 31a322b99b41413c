#include "fuzz/agent_output_target.hpp"
#include "fuzz_inputs.hpp"

#include <doctest/doctest.h>

#include <string>

TEST_CASE("agent_output fuzz corpus and regressions replay cleanly") {
  const auto inputs = tdd::test::fuzz_inputs("agent_output");
  REQUIRE(!inputs.empty());
  for (const auto& input : inputs) {
    INFO(input.first);
    std::string problem;
    CHECK_NOTHROW(problem = tdd::fuzz::check_agent_output(input.second));
    CHECK(problem == "");
  }
}
