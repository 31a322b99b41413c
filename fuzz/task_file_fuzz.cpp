// libFuzzer target: task files (config::parse_task_file). See
// fuzz/task_file_target.hpp for what is checked, fuzz/run to run it.

#include "fuzz/task_file_target.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto problem
    = tdd::fuzz::check_task_file({reinterpret_cast<const char*>(data), size});
  if (!problem.empty()) {
    std::fprintf(stderr, "task_file_fuzz: broken invariant: %s\n",
                 problem.c_str());
    std::abort();
  }
  return 0;
}
