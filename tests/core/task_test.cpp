#include "core/task.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace tdd::core;
using namespace std::string_literals;

TEST_CASE("task status names round-trip and unknown names are refused") {
  for (const auto x : {task_status::pending, task_status::running,
                       task_status::complete, task_status::blocked}) {
    CHECK(parse_task_status(to_string(x)) == x);
  }
  CHECK(to_string(task_status::complete) == "complete");
  CHECK(parse_task_status("blocked") == task_status::blocked);
  CHECK_FALSE(parse_task_status("Pending").has_value());
  CHECK_FALSE(parse_task_status("").has_value());
  CHECK_FALSE(parse_task_status("done").has_value());
}

TEST_CASE("task complexity names round-trip and unknown names are refused") {
  for (const auto x :
       {task_complexity::low, task_complexity::medium, task_complexity::high}) {
    CHECK(parse_task_complexity(to_string(x)) == x);
  }
  CHECK(to_string(task_complexity::medium) == "medium");
  CHECK(parse_task_complexity("high") == task_complexity::high);
  CHECK_FALSE(parse_task_complexity("HIGH").has_value());
  CHECK_FALSE(parse_task_complexity("extreme").has_value());
}

TEST_CASE("task specs are equal only when every field is") {
  task_spec base;
  base.key = "CALC-1";
  base.title = "Add";
  base.goal = "sum";
  base.acceptance = {"add(2, 3) == 5"};
  base.test_file = "t.py";
  base.impl_file = "calc.py";
  base.verify = "pytest t.py";
  base.verify_all = "pytest";
  base.depends_on = {"CALC-0"};
  base.phase = 2;
  base.complexity = task_complexity::high;
  CHECK(base == task_spec{base});
  const auto differs = [&base](auto change) {
    auto other = base;
    change(other);
    return base != other && !(base == other);
  };
  CHECK(differs([](task_spec& x) { x.key = "CALC-2"; }));
  CHECK(differs([](task_spec& x) { x.title = "Sub"; }));
  CHECK(differs([](task_spec& x) { x.goal = ""; }));
  CHECK(differs([](task_spec& x) { x.acceptance.emplace_back("more"); }));
  CHECK(differs([](task_spec& x) { x.test_file = "u.py"; }));
  CHECK(differs([](task_spec& x) { x.impl_file = "lib.py"; }));
  CHECK(differs([](task_spec& x) { x.verify = "true"; }));
  CHECK(differs([](task_spec& x) { x.verify_all = ""; }));
  CHECK(differs([](task_spec& x) { x.depends_on.clear(); }));
  CHECK(differs([](task_spec& x) { x.phase = 0; }));
  CHECK(differs([](task_spec& x) { x.complexity = task_complexity::low; }));
}

TEST_CASE("task keys are 1 to 64 of A-Z a-z 0-9 . _ -") {
  CHECK(is_valid_task_key("CALC-1"));
  CHECK(is_valid_task_key("a.b_c-9"));
  CHECK(is_valid_task_key("..."));
  CHECK(is_valid_task_key(std::string(64, 'k')));
  CHECK_FALSE(is_valid_task_key(std::string(65, 'k')));
  CHECK_FALSE(is_valid_task_key(""));
  CHECK_FALSE(is_valid_task_key("a b"));
  CHECK_FALSE(is_valid_task_key("a/b"));
  CHECK_FALSE(is_valid_task_key("CALC-1\n"));
  CHECK_FALSE(is_valid_task_key("caf\xc3\xa9"));
  CHECK_FALSE(is_valid_task_key("a\0b"s));
}

TEST_CASE("paths that stay inside the repository are accepted") {
  for (const char* path :
       {"tests/test_calc.py", "calc.py", "./calc.py", "a/../b", "a/b/../../c",
        "a/..", "a//b", "..foo", "x/...", "~/x", "dir/"}) {
    CAPTURE(path);
    CHECK(path_escape_reason(path).empty());
  }
}

TEST_CASE("paths that leave the repository are refused with a reason") {
  CHECK(path_escape_reason("") == "the path is empty");
  CHECK(path_escape_reason("/etc/x") == R"("/etc/x" is absolute)");
  CHECK(path_escape_reason("//x") == R"("//x" is absolute)");
  CHECK(path_escape_reason("../x") == R"("../x" leaves the repository)");
  CHECK(path_escape_reason("..") == R"(".." leaves the repository)");
  CHECK(path_escape_reason("a/../../x")
        == R"("a/../../x" leaves the repository)");
  CHECK(path_escape_reason("./a/./../..") != "");
  CHECK(path_escape_reason("a\0b"s) == R"("a\x00b" contains a NUL byte)");
}

TEST_CASE("quote escapes quotes, backslashes and control bytes only") {
  CHECK(quote("plain") == R"("plain")");
  CHECK(quote("a\"b\\c") == R"("a\"b\\c")");
  CHECK(quote("l1\nl2\tx\x01\x7f") == R"("l1\nl2\tx\x01\x7f")");
  CHECK(quote("caf\xc3\xa9 \xff") == "\"caf\xc3\xa9 \xff\"");
}

TEST_CASE("expand_placeholders replaces only the three placeholders") {
  task_spec task;
  task.key = "CALC-1";
  task.test_file = "tests/test_calc.py";
  task.impl_file = "calc.py";
  CHECK(expand_placeholders("pytest -q {test_file}", task)
        == "pytest -q tests/test_calc.py");
  CHECK(expand_placeholders("{key}:{impl_file}:{key}", task)
        == "CALC-1:calc.py:CALC-1");
  CHECK(expand_placeholders("awk '{print $1}' {goal} {KEY}", task)
        == "awk '{print $1}' {goal} {KEY}");
  CHECK(expand_placeholders("{{key}} {key", task) == "{CALC-1} {key");
  CHECK(expand_placeholders("", task).empty());
  task.key = "{test_file}"; // values are not expanded again
  CHECK(expand_placeholders("{key}", task) == "{test_file}");
}
