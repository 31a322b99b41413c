#include "core/prompt.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace tdd::core;

namespace {

task_spec sample_task() {
  task_spec task;
  task.key = "CALC-1";
  task.title = "Add two numbers";
  task.goal = "add(a, b) returns the sum";
  task.acceptance = {"add(2, 3) == 5", "add(-1, 1) == 0"};
  task.test_file = "tests/test_calc.py";
  task.impl_file = "calc.py";
  task.verify = "python3 -m pytest -q {test_file}";
  task.verify_all = "python3 -m pytest -q";
  return task;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("every agent stage's prompt names the task, files and check") {
  const auto task = sample_task();
  for (const char* stage : {"red", "green", "fix", "refactor"}) {
    const std::string shown{stage};
    CAPTURE(shown);
    const auto prompt = build_prompt(task, stage, 1, "");
    CHECK(has(prompt, "# Task CALC-1: Add two numbers"));
    CHECK(has(prompt, std::string{"Stage: "} + stage));
    CHECK(has(prompt, "attempt 1"));
    CHECK(has(prompt, "## Goal\nadd(a, b) returns the sum\n"));
    CHECK(has(prompt, "- add(2, 3) == 5\n- add(-1, 1) == 0\n"));
    CHECK(has(prompt, "- test file: tests/test_calc.py\n"));
    CHECK(has(prompt, "- implementation file: calc.py\n"));
    CHECK(has(prompt, "do not commit"));
    CHECK_FALSE(has(prompt, "earlier attempt"));
    CHECK_FALSE(has(prompt, "BEGIN OUTPUT"));
  }
}

TEST_CASE("each stage states the rule the orchestrator checks") {
  const auto task = sample_task();
  const auto red = build_prompt(task, "red", 1, "");
  CHECK(has(red, "in tests/test_calc.py, and only there"));
  CHECK(has(red, "Do not implement the feature"));
  CHECK(has(red, "The tests must FAIL now"));
  CHECK(has(red, "runs: python3 -m pytest -q tests/test_calc.py\n"));

  const auto green = build_prompt(task, "green", 1, "");
  CHECK(has(green, "pass by changing calc.py"));
  CHECK(has(green, "Never modify tests/test_calc.py"));
  CHECK(has(green, "green_modified_test"));
  CHECK(has(green, "runs: python3 -m pytest -q tests/test_calc.py\n"));

  const auto fix = build_prompt(task, "fix", 1, "E   assert 4 == 5\n");
  CHECK(has(fix, "Fix the implementation"));
  CHECK(has(fix, "Do not touch tests/test_calc.py"));
  CHECK(has(fix, "runs: python3 -m pytest -q\n"));

  const auto refactor = build_prompt(task, "refactor", 1, "");
  CHECK(has(refactor, "without changing what it does"));
  CHECK(has(refactor, "must still pass"));
  CHECK(has(refactor, "reverted"));

  auto no_suite = task;
  no_suite.verify_all.clear(); // verify_all defaults to verify
  CHECK(has(build_prompt(no_suite, "fix", 1, "x"),
            "runs: python3 -m pytest -q tests/test_calc.py\n"));
}

TEST_CASE("stages without an agent get no prompt") {
  CHECK(build_prompt(sample_task(), "verify", 1, "").empty());
  CHECK(build_prompt(sample_task(), "commit", 1, "").empty());
  CHECK(build_prompt(sample_task(), "RED", 1, "").empty());
}

TEST_CASE("fix prompts carry the failure output, cut to its tail") {
  const auto task = sample_task();
  const auto short_prompt = build_prompt(task, "fix", 2, "E   assert 4 == 5");
  CHECK(has(short_prompt, "attempt 2\nAn earlier attempt"));
  CHECK(has(short_prompt, "## Failing output of the full test suite\n"
                          "----- BEGIN OUTPUT -----\nE   assert 4 == 5\n"
                          "----- END OUTPUT -----\n"));
  CHECK_FALSE(has(short_prompt, "truncated"));

  const std::string head(10'000, 'h');
  const std::string tail = "FAILED tests/test_calc.py::test_add\n";
  const auto big = head + tail;
  const auto prompt = build_prompt(task, "fix", 1, big);
  CHECK(has(prompt, "(truncated: the first "
                      + std::to_string(big.size() - prompt_failure_limit)
                      + " of " + std::to_string(big.size()) + " bytes"));
  CHECK(has(prompt, tail + "----- END OUTPUT -----\n"));
  const auto begin = prompt.find("----- BEGIN OUTPUT -----\n");
  const auto end = prompt.find("----- END OUTPUT -----");
  CHECK(end - begin - 25 == prompt_failure_limit);

  // The cut never starts inside a UTF-8 character.
  const std::string euro = "\xE2\x82\xAC";
  std::string utf8;
  while (utf8.size() < prompt_failure_limit + 10) {
    utf8 += euro;
  }
  const auto cut = build_prompt(task, "fix", 1, utf8);
  const auto body = cut.substr(cut.find("BEGIN OUTPUT -----\n") + 19, 3);
  CHECK(body == euro);

  // Other stages show it as the last failed check.
  CHECK(has(build_prompt(task, "red", 2, "1 passed"),
            "## Output of the last failed check\n"));
}

TEST_CASE("task text and output are embedded byte for byte") {
  auto task = sample_task();
  task.goal = "quote ' \" $(rm -rf /) `id` \\n\n{key}\x01\xff\xfe end";
  task.acceptance = {"a\tb", "\xc3\xa9t\xc3\xa9"};
  task.title = "multi\nline";
  const std::string output("nul\0byte \xff\n", 11);
  const auto prompt = build_prompt(task, "fix", 1, output);
  CHECK(has(prompt, "## Goal\n" + task.goal + "\n"));
  CHECK(has(prompt, "- a\tb\n- \xc3\xa9t\xc3\xa9\n"));
  CHECK(has(prompt, "# Task CALC-1: multi\nline\n"));
  CHECK(has(prompt, "BEGIN OUTPUT -----\n" + output + "----- END"));
}
