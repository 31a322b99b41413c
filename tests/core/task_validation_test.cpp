#include "core/task_validation.hpp"

#include <doctest/doctest.h>

using namespace tdd::core;

namespace {

located_spec make_task(std::string key, int line) {
  located_spec x;
  x.spec.key = std::move(key);
  x.spec.title = "t";
  x.spec.test_file = "t.py";
  x.spec.impl_file = "i.py";
  x.spec.verify = "v";
  x.lines.task = line;
  return x;
}

std::vector<std::string> render(const diagnostics& xs) {
  std::vector<std::string> out;
  for (const auto& x : xs) {
    out.push_back(x.to_string());
  }
  return out;
}

} // namespace

TEST_CASE("task_lines: a field's line, else the task's") {
  task_lines lines;
  lines.task = 3;
  lines.fields["title"] = 5;
  CHECK(lines.of("title") == 5);
  CHECK(lines.of("verify") == 3);
}

TEST_CASE("task_label: key, quoted invalid key, or position") {
  task_spec spec;
  CHECK(task_label(spec, 2) == "#3");
  spec.key = "a b";
  CHECK(task_label(spec, 0) == R"("a b")");
  spec.key = "CALC-1";
  CHECK(task_label(spec, 0) == "CALC-1");
}

TEST_CASE("validate_tasks: a clean set gives no errors") {
  auto b = make_task("B", 2);
  b.spec.depends_on = {"A", "OLD"};
  b.lines.depends_on = {3, 4};
  const std::vector<graph_node> existing{{"OLD", {}, 0, task_status::complete}};
  CHECK(validate_tasks({make_task("A", 1), b}, existing, "f").empty());
}

TEST_CASE("validate_tasks: refused fields are not reported as missing") {
  auto a = make_task("A", 1);
  a.spec.title.clear();
  a.spec.verify.clear();
  a.refused.insert("title");
  a.lines.fields["verify"] = 4;
  CHECK(render(validate_tasks({a}, {}, "f"))
        == std::vector<std::string>{"f:4: verify must not be empty"});
}

TEST_CASE("validate_tasks: errors come sorted by line") {
  auto a = make_task("A", 9);
  a.spec.depends_on = {"B"};
  a.lines.depends_on = {10};
  auto b = make_task("B", 1);
  b.spec.depends_on = {"A", "B"};
  b.lines.depends_on = {2, 3};
  b.spec.impl_file = "/abs";
  b.lines.fields["impl_file"] = 4;
  CHECK(render(validate_tasks({a, b}, {}, "f"))
        == std::vector<std::string>{"f:3: task B depends on itself",
                                    R"(f:4: impl_file: "/abs" is absolute)",
                                    "f:9: dependency cycle: A -> B -> A"});
}
