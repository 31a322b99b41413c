// libFuzzer target: agent output, JSON and agent settings (exec::interpret,
// exec::parse_json, exec::parse_agent). See fuzz/agent_output_target.hpp
// for what is checked, fuzz/run to run it.

#include "fuzz/agent_output_target.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto problem = tdd::fuzz::check_agent_output(
    {reinterpret_cast<const char*>(data), size});
  if (!problem.empty()) {
    std::fprintf(stderr, "agent_output_fuzz: broken invariant: %s\n",
                 problem.c_str());
    std::abort();
  }
  return 0;
}
