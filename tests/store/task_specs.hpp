#pragma once

// Task specs for store and actor tests.

#include "core/task.hpp"

#include <string>
#include <vector>

namespace tdd::test {

inline core::task_spec
make_spec(std::string key, std::vector<std::string> deps = {}, int phase = 0) {
  core::task_spec x;
  x.key = key;
  x.title = "Task " + key;
  x.goal = "make " + key + " work";
  x.acceptance = {"it \"works\"", "line\nbreak", "tab\there"};
  x.test_file = "tests/test_" + key + ".py";
  x.impl_file = key + ".py";
  x.verify = "python3 -m pytest -q {test_file}";
  x.depends_on = std::move(deps);
  x.phase = phase;
  x.complexity = core::task_complexity::low;
  return x;
}

} // namespace tdd::test
