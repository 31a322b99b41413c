#include "config/task_file.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace tdd;
using namespace std::string_literals;
using lines = std::vector<std::string>;

namespace {

const std::vector<core::graph_node> stored{
  {"OLD-1", {}, 0, core::task_status::complete},
};

/// The rendered errors for `text` as tasks.yaml.
lines errors_of(const std::string& text,
                const std::vector<core::graph_node>& existing = stored) {
  const auto result = config::parse_task_file(text, "tasks.yaml", existing);
  lines out;
  for (const auto& d : result.errors) {
    out.push_back(d.to_string());
  }
  if (!out.empty()) {
    CHECK(result.tasks.empty()); // errors and tasks, never both
  }
  return out;
}

/// The tasks of a file that must be free of errors.
std::vector<config::located_task> tasks_of(const std::string& text) {
  auto result = config::parse_task_file(text, "tasks.yaml", stored);
  CHECK(errors_of(text) == lines{});
  return std::move(result.tasks);
}

constexpr const char* good_file = R"(# the example from SPEC.md
defaults:
  verify: "python3 -m pytest -q {test_file}"
  verify_all: python3 -m pytest -q
  complexity: low
tasks:
  - key: CALC-1
    title: Add two numbers
    goal: add(a, b) returns the sum
    acceptance: ["add(2, 3) == 5", "add(-1, 1) == 0"]
    test_file: tests/test_calc.py
    impl_file: calc.py
    depends_on: []
    phase: 1
  - title: Subtract
    key: CALC-2
    acceptance: subtract works
    test_file: tests/test_sub.py
    impl_file: calc.py
    verify: sh check.sh
    verify_all:
    depends_on:
      - CALC-1
      - OLD-1
    complexity: high
)";

} // namespace

TEST_CASE("a good file: every field read, defaults applied, lines kept") {
  const auto tasks = tasks_of(good_file);
  REQUIRE(tasks.size() == 2);
  core::task_spec first;
  first.key = "CALC-1";
  first.title = "Add two numbers";
  first.goal = "add(a, b) returns the sum";
  first.acceptance = {"add(2, 3) == 5", "add(-1, 1) == 0"};
  first.test_file = "tests/test_calc.py";
  first.impl_file = "calc.py";
  first.verify = "python3 -m pytest -q {test_file}";
  first.verify_all = "python3 -m pytest -q";
  first.phase = 1;
  first.complexity = core::task_complexity::low;
  CHECK(tasks[0].spec == first);
  CHECK(tasks[0].line == 7);

  const auto& second = tasks[1].spec;
  CHECK(tasks[1].line == 15);
  CHECK(second.key == "CALC-2");
  CHECK(second.acceptance == lines{"subtract works"});
  CHECK(second.verify == "sh check.sh");
  CHECK(second.verify_all == "python3 -m pytest -q"); // empty = not given
  CHECK(second.depends_on == lines{"CALC-1", "OLD-1"});
  CHECK(second.phase == 0);
  CHECK(second.complexity == core::task_complexity::high);
}

TEST_CASE("load_task_file reads a file and names the display path") {
  const auto dir = std::filesystem::temp_directory_path();
  const auto path = dir / "tdd_task_file_test.yaml";
  std::ofstream{path} << good_file;
  const auto result = config::load_task_file(
    path.string(), "t.yaml", {{"OLD-1", {}, 0, core::task_status::complete}});
  std::filesystem::remove(path);
  CHECK(result.errors.empty());
  CHECK(result.tasks.size() == 2);

  const auto bad = config::load_task_file(path.string(), "t.yaml", {});
  CHECK(bad.errors.at(0).to_string()
        == "t.yaml: cannot read: No such file or directory");
  const auto folder = config::load_task_file(dir.string(), "d.yaml", {});
  CHECK(folder.errors.at(0).to_string()
        == "d.yaml: cannot read: Is a directory");
}

TEST_CASE("an empty file or a top level that is not a map is an error") {
  CHECK(
    errors_of("")
    == lines{
      R"(tasks.yaml: the file is empty; expected a map with a "tasks" list)"});
  CHECK(
    errors_of("# nothing\n\n")
    == lines{
      R"(tasks.yaml: the file is empty; expected a map with a "tasks" list)"});
  CHECK(errors_of("\n- key: A\n")
        == lines{
          R"(tasks.yaml:2: the top level must be a map with a "tasks" list)"});
  CHECK(errors_of("just text")
        == lines{
          R"(tasks.yaml:1: the top level must be a map with a "tasks" list)"});
  CHECK(errors_of("tasks: []\n---\ntasks: []\n")
        == lines{"tasks.yaml:3: expected one YAML document, found 2"});
}

TEST_CASE("a stray comma is an error and not an endless loop") {
  // yaml-cpp 0.7's LoadAll returned an empty document for each of these
  // forever (tests/fuzz_regressions/task_file/loadall-*).
  CHECK(errors_of("{\"tasks\": []}\n,\n")
        == lines{R"(tasks.yaml:2: unexpected "," outside [...] or {...})"});
  CHECK(errors_of("- key: A\n, x\n")
        == lines{R"(tasks.yaml:2: unexpected "," outside [...] or {...})"});
  CHECK(errors_of(",")
        == lines{R"(tasks.yaml:1: unexpected "," outside [...] or {...})"});
}

TEST_CASE("the top level needs a non-empty tasks list, nothing else") {
  CHECK(errors_of("defaults: {verify: v}\n")
        == lines{R"(tasks.yaml:1: missing required field "tasks")"});
  CHECK(errors_of("defaults:\ntasks: []\n")
        == lines{"tasks.yaml:2: tasks must be a non-empty list of tasks"});
  CHECK(errors_of("tasks:\n  key: A\n")
        == lines{"tasks.yaml:1: tasks must be a non-empty list of tasks"});
  CHECK(
    errors_of("tasks: [x]\ntask: []\n")
    == lines{
      "tasks.yaml:1: task #1 must be a map of fields",
      R"(tasks.yaml:2: unknown field "task" in the top level (did you mean "tasks"?))"});
  CHECK(errors_of("defaults: [verify]\ntasks: [{}]\n").at(0)
        == "tasks.yaml:1: defaults must be a map of task fields");
}

TEST_CASE("unknown fields are errors, with a hint when one is close") {
  CHECK(
    errors_of(R"(tasks:
  - key: CALC-1
    title: t
    test_file: t.py
    impl_file: i.py
    verify: v
    tittle: typo
    deps: [OLD-1]
    file: x
)")
    == lines{
      R"(tasks.yaml:7: unknown field "tittle" in task CALC-1 (did you mean "title"?))",
      R"(tasks.yaml:8: unknown field "deps" in task CALC-1)",
      R"(tasks.yaml:9: unknown field "file" in task CALC-1 (did you mean "test_file"?))"});
}

TEST_CASE("defaults take every field but key, title and depends_on") {
  CHECK(
    errors_of(R"(defaults:
  verfy: v
  title: t
  phase: x
tasks:
  - {key: A, title: t, test_file: t.py, impl_file: i.py, verify: v}
)")
    == lines{
      R"(tasks.yaml:2: unknown field "verfy" in defaults (did you mean "verify"?))",
      R"(tasks.yaml:3: field "title" cannot be set in defaults (allowed: goal, acceptance, test_file, impl_file, verify, verify_all, phase, complexity))",
      R"(tasks.yaml:4: phase must be a non-negative integer, got "x")"});
}

TEST_CASE("defaults: impl_file and acceptance apply where a task sets none") {
  const auto tasks = tasks_of(R"(defaults: {verify: v, impl_file: lib.c,
           acceptance: [builds]}
tasks:
  - {key: A, title: t, test_file: t.c}
  - {key: B, title: t, test_file: u.c, impl_file: own.c, acceptance: [x]}
)");
  REQUIRE(tasks.size() == 2);
  CHECK(tasks[0].spec.impl_file == "lib.c");
  CHECK(tasks[0].spec.acceptance == std::vector<std::string>{"builds"});
  CHECK(tasks[1].spec.impl_file == "own.c");
  CHECK(tasks[1].spec.acceptance == std::vector<std::string>{"x"});
}

TEST_CASE("defaults: phase and complexity apply where a task sets none") {
  const auto tasks
    = tasks_of(R"(defaults: {verify: v, phase: 3, complexity: high}
tasks:
  - {key: A, title: t, test_file: t.py, impl_file: i.py}
  - {key: B, title: t, test_file: t.py, impl_file: i.py, phase: 0,
     complexity: low, verify: own}
)");
  REQUIRE(tasks.size() == 2);
  CHECK(tasks[0].spec.phase == 3);
  CHECK(tasks[0].spec.complexity == core::task_complexity::high);
  CHECK(tasks[0].spec.verify == "v");
  CHECK(tasks[0].spec.verify_all.empty());
  CHECK(tasks[1].spec.phase == 0);
  CHECK(tasks[1].spec.complexity == core::task_complexity::low);
  CHECK(tasks[1].spec.verify == "own");
}

TEST_CASE("required fields are named, on the line the task starts") {
  CHECK(
    errors_of(R"(tasks:
  - goal: nothing else
  - key: B
    title: ""
    test_file: t.py
    impl_file:
    verify: v
)")
    == lines{
      R"(tasks.yaml:2: task #1 is missing required field "key")",
      R"(tasks.yaml:2: task #1 is missing required field "title")",
      R"(tasks.yaml:2: task #1 is missing required field "test_file")",
      R"(tasks.yaml:2: task #1 is missing required field "impl_file")",
      R"(tasks.yaml:2: task #1 is missing required field "verify" (set it on the task or in defaults))",
      R"(tasks.yaml:3: task B is missing required field "impl_file")",
      "tasks.yaml:4: title must not be empty"});
}

TEST_CASE("wrong types are errors on the field's line") {
  CHECK(
    errors_of(R"(tasks:
  - key: A
    title: [not, a, string]
    test_file: t.py
    impl_file: i.py
    verify: {sh: x}
    acceptance: {a: b}
    phase: 1.5
    depends_on: OLD-1
    complexity: extreme
  - key: B
    title: t
    test_file: t.py
    impl_file: i.py
    verify: v
    phase: [1]
    complexity: [low]
    depends_on:
      - OLD-1
      - [A]
    acceptance: [ok, {no: 1}]
)")
    == lines{
      "tasks.yaml:3: title must be a string",
      "tasks.yaml:6: verify must be a string",
      "tasks.yaml:7: acceptance must be a list of strings or a string",
      R"(tasks.yaml:8: phase must be a non-negative integer, got "1.5")",
      "tasks.yaml:9: depends_on must be a list of task keys",
      R"(tasks.yaml:10: complexity must be low, medium or high, got "extreme")",
      "tasks.yaml:16: phase must be a non-negative integer",
      "tasks.yaml:17: complexity must be low, medium or high",
      "tasks.yaml:20: depends_on must be a list of task keys",
      "tasks.yaml:21: acceptance must be a list of strings or a string"});
  CHECK(errors_of(R"(tasks:
  - {key: A, title: t, test_file: t, impl_file: i, verify: v, phase: -1}
)")
        == lines{
          R"(tasks.yaml:2: phase must be a non-negative integer, got "-1")"});
}

TEST_CASE("a field given twice is an error naming the first line") {
  CHECK(
    errors_of(R"(tasks:
  - key: A
    title: one
    test_file: t.py
    impl_file: i.py
    verify: v
    title: two
)")
    == lines{
      R"(tasks.yaml:7: field "title" appears twice in task A (first on line 3))"});
}

TEST_CASE("invalid and duplicate keys") {
  CHECK(
    errors_of(R"(defaults: {verify: v}
tasks:
  - {key: "a b", title: t, test_file: t, impl_file: i}
  - key: A
    title: t
    test_file: t
    impl_file: i
  - {key: A, title: again, test_file: t, impl_file: i}
  - {key: [A], title: t, test_file: t, impl_file: i}
)")
    == lines{
      R"(tasks.yaml:3: invalid task key "a b": use 1 to 64 of A-Z a-z 0-9 . _ -)",
      R"(tasks.yaml:8: duplicate task key "A" (first defined on line 4))",
      "tasks.yaml:9: key must be a string"});
  const std::string long_key(65, 'K');
  CHECK(errors_of("tasks: [{key: " + long_key
                  + ", title: t, test_file: t, impl_file: i, verify: v}]")
        == lines{"tasks.yaml:1: invalid task key \"" + long_key
                 + "\": use 1 to 64 of A-Z a-z 0-9 . _ -"});
}

TEST_CASE("unknown and self dependencies, on the entry's line") {
  CHECK(errors_of(R"(defaults: {verify: v}
tasks:
  - key: A
    title: t
    test_file: t
    impl_file: i
    depends_on:
      - OLD-1
      - NOPE
      - A
  - {key: B, title: t, test_file: t, impl_file: i, depends_on: [A, OLD-2]}
)")
        == lines{R"(tasks.yaml:9: task A depends on unknown task "NOPE")",
                 "tasks.yaml:10: task A depends on itself",
                 R"(tasks.yaml:11: task B depends on unknown task "OLD-2")"});
}

TEST_CASE("dependency cycles are printed, on the line of a file task") {
  CHECK(errors_of(R"(defaults: {verify: v}
tasks:
  - {key: B, title: b, test_file: t, impl_file: i, depends_on: [A]}
  - {key: A, title: a, test_file: t, impl_file: i, depends_on: [B]}
  - {key: C, title: c, test_file: t, impl_file: i, depends_on: [A]}
  - {key: Y, title: y, test_file: t, impl_file: i, depends_on: [Z]}
  - {key: Z, title: z, test_file: t, impl_file: i, depends_on: [X]}
  - {key: X, title: x, test_file: t, impl_file: i, depends_on: [Y]}
)")
        == lines{"tasks.yaml:4: dependency cycle: A -> B -> A",
                 "tasks.yaml:8: dependency cycle: X -> Y -> Z -> X"});
}

TEST_CASE("cycles through stored tasks, and the file overrides stored tasks") {
  const std::vector<core::graph_node> existing{
    {"OLD-1", {"A"}, 0, core::task_status::pending},
    {"OLD-2", {"B"}, 0, core::task_status::complete},
    {"B", {"OLD-2"}, 0, core::task_status::pending},
    {"P", {"Q"}, 0, core::task_status::pending}, // stored cycle: not ours
    {"Q", {"P"}, 0, core::task_status::pending},
  };
  CHECK(errors_of(R"(defaults: {verify: v}
tasks:
  - {key: A, title: a, test_file: t, impl_file: i, depends_on: [OLD-1]}
  - {key: B, title: b, test_file: t, impl_file: i}
)",
                  existing)
        == lines{"tasks.yaml:3: dependency cycle: A -> OLD-1 -> A"});
}

TEST_CASE("paths that escape the repository") {
  CHECK(
    errors_of(R"(defaults: {verify: v}
tasks:
  - key: A
    title: t
    test_file: /etc/passwd
    impl_file: ../outside.c
  - {key: B, title: t, test_file: "a/../b", impl_file: "src/../../x"}
  - {key: C, title: t, test_file: "t\0x", impl_file: i}
)")
    == lines{R"(tasks.yaml:5: test_file: "/etc/passwd" is absolute)",
             R"(tasks.yaml:6: impl_file: "../outside.c" leaves the repository)",
             R"(tasks.yaml:7: impl_file: "src/../../x" leaves the repository)",
             R"(tasks.yaml:8: test_file: "t\x00x" contains a NUL byte)"});
}

TEST_CASE("every error is reported, sorted by line") {
  CHECK(
    errors_of(R"(tasks:
  - key: A
    title: t
    test_file: ../t
    impl_file: i
    verify: v
    depends_on: [B]
  - key: B
    title: t
    test_file: t
    impl_file: i
    verify: v
    depends_on: [A, MISSING]
    colour: red
  - key: A
    title: dup
    test_file: t
    impl_file: i
    verify: v
)")
    == lines{
      "tasks.yaml:2: dependency cycle: A -> B -> A",
      R"(tasks.yaml:4: test_file: "../t" leaves the repository)",
      R"(tasks.yaml:13: task B depends on unknown task "MISSING")",
      R"(tasks.yaml:14: unknown field "colour" in task B)",
      R"(tasks.yaml:15: duplicate task key "A" (first defined on line 2))"});
}

TEST_CASE("YAML syntax errors carry the parser's line and message") {
  CHECK(errors_of("tasks:\n  - key: [unclosed\n")
        == lines{"tasks.yaml:3: end of sequence flow not found"});
  CHECK(errors_of("tasks:\n- key: A\n  title: t\n   bad: indent\n")
        == lines{"tasks.yaml:4: illegal map value"});
}

TEST_CASE("JSON is accepted, including escapes YAML lacks") {
  // Tabs, no spaces after colons, `\/` and a surrogate pair (json.dumps
  // writes emoji that way); yaml-cpp rejects the pair on its own.
  const auto tasks = tasks_of(
    "{\n\t\"defaults\": {\"verify\": \"pytest -q {test_file}\"},\n"
    "\t\"tasks\": [\n"
    "\t\t{\"key\":\"A\",\"title\":\"smile \\ud83d\\ude00 a\\/b \\u00e9\",\n"
    "\t\t \"test_file\": \"t.py\", \"impl_file\": \"a.py\",\n"
    "\t\t \"depends_on\": [\"OLD-1\"], \"phase\": 1, \"acceptance\": []},\n"
    "\t\t{\"key\": \"B\", \"title\": \"\\\\ud83d stays\", \"test_file\": "
    "\"u.py\", \"impl_file\": \"b.py\", \"depends_on\": [\"A\"],\n"
    "\t\t \"complexity\": \"high\", \"goal\": null}\n"
    "\t]\n}\n");
  REQUIRE(tasks.size() == 2);
  CHECK(tasks[0].line == 4);
  CHECK(tasks[0].spec.title == "smile \xf0\x9f\x98\x80 a/b \xc3\xa9");
  CHECK(tasks[0].spec.verify == "pytest -q {test_file}");
  CHECK(tasks[0].spec.phase == 1);
  CHECK(tasks[1].line == 7);
  CHECK(tasks[1].spec.title == R"(\ud83d stays)");
  CHECK(tasks[1].spec.goal.empty());
  CHECK(tasks[1].spec.complexity == core::task_complexity::high);
}

TEST_CASE("JSON errors are located like YAML ones") {
  CHECK(errors_of(R"({"tasks": [
  {"key": "A", "title": "t", "test_file": "t", "impl_file": "i",
   "verify": "v", "depends_on": "B"}
]})") == lines{"tasks.yaml:3: depends_on must be a list of task keys"});
}

TEST_CASE("strings are kept byte for byte") {
  const auto tasks
    = tasks_of("tasks:\n"
               "  - key: A\n"
               "    title: 'it''s \"quoted\" $(rm -rf /) `id`'\n"
               "    goal: |\n"
               "      line one\n"
               "      line two\ttab\n"
               "    acceptance: [\"latin1 \xe9\xff bytes\"]\n"
               "    test_file: t.py\n"
               "    impl_file: i.py\n"
               "    verify: \"sh -c 'echo $HOME; x=\\\"y\\\"'\"\n"
               "    verify_all: yes\n");
  REQUIRE(tasks.size() == 1);
  const auto& spec = tasks[0].spec;
  CHECK(spec.title == R"(it's "quoted" $(rm -rf /) `id`)");
  CHECK(spec.goal == "line one\nline two\ttab\n");
  CHECK(spec.acceptance == lines{"latin1 \xe9\xff bytes"});
  CHECK(spec.verify == R"(sh -c 'echo $HOME; x="y"')");
  CHECK(spec.verify_all == "yes"); // no YAML 1.1 booleans
}
