#include "fuzz/config_target.hpp"
#include "fuzz/task_file_target.hpp"
#include "fuzz_inputs.hpp"

#include <doctest/doctest.h>

#include <string>

namespace {

/// Replays every kept input of `target` through `check`: none may throw or
/// break an invariant (a crash or hang fails the whole suite).
template <class Check> void replay(const std::string& target, Check check) {
  const auto inputs = tdd::test::fuzz_inputs(target);
  REQUIRE_MESSAGE(!inputs.empty(), "no inputs for " << target);
  for (const auto& input : inputs) {
    INFO(input.first);
    std::string problem;
    CHECK_NOTHROW(problem = check(input.second));
    CHECK(problem == "");
  }
}

} // namespace

TEST_CASE("task_file fuzz corpus and regressions replay cleanly") {
  replay("task_file", tdd::fuzz::check_task_file);
}

TEST_CASE("config fuzz corpus and regressions replay cleanly") {
  replay("config", tdd::fuzz::check_config);
}
