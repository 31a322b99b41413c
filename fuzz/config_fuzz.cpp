// libFuzzer target: orchestrator.yaml, environment and flags
// (config::load_config). See fuzz/config_target.hpp for the input format
// and what is checked, fuzz/run to run it.

#include "fuzz/config_target.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto problem
    = tdd::fuzz::check_config({reinterpret_cast<const char*>(data), size});
  if (!problem.empty()) {
    std::fprintf(stderr, "config_fuzz: broken invariant: %s\n",
                 problem.c_str());
    std::abort();
  }
  return 0;
}
