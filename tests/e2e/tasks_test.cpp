#include "e2e/harness.hpp"

#include <doctest/doctest.h>

using tdd::test::temp_repo;

namespace {

constexpr const char* good_tasks = R"(defaults:
  verify: "sh tests/{key}.sh"
tasks:
  - key: CALC-1
    title: Add two numbers
    goal: add(a, b) returns the sum
    acceptance: ["add(2, 3) == 5"]
    test_file: tests/test_add.c
    impl_file: calc.c
  - key: CALC-2
    title: Subtract
    test_file: tests/test_sub.c
    impl_file: calc.c
    depends_on: [CALC-1]
    phase: 2
    complexity: high
)";

size_t task_count(const temp_repo& repo) {
  return repo.orchestrator({"tasks", "list", "--json"}).json()["tasks"].size();
}

} // namespace

TEST_CASE("import of a good file stores every task, list and show read them") {
  temp_repo repo;
  REQUIRE(repo.orchestrator({"init", "-q"}).code == 0);
  repo.write("tasks.yaml", good_tasks);
  const auto r = repo.orchestrator({"tasks", "import", "tasks.yaml", "--json"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(r.json()["added"] == 2);

  const auto list = repo.orchestrator({"tasks", "list", "--json"}).json();
  REQUIRE(list["tasks"].size() == 2);
  CHECK(list["tasks"][0]["key"] == "CALC-1");
  CHECK(list["tasks"][0]["verify"] == "sh tests/{key}.sh");
  CHECK(list["tasks"][0]["status"] == "pending");
  CHECK(list["tasks"][1]["depends_on"][0] == "CALC-1");
  CHECK(list["tasks"][1]["complexity"] == "high");

  const auto human = repo.orchestrator({"tasks", "list"});
  CHECK(human.out.find("CALC-2") != std::string::npos);
  CHECK(human.out.find("Subtract") != std::string::npos);

  const auto show = repo.orchestrator({"tasks", "show", "CALC-1"});
  REQUIRE_MESSAGE(show.code == 0, show.err);
  CHECK(show.out.find("add(a, b) returns the sum") != std::string::npos);
  CHECK(show.out.find("No attempts yet") != std::string::npos);
  const auto show_json
    = repo.orchestrator({"tasks", "show", "CALC-2", "--json"});
  CHECK(show_json.json()["attempts"].is_array());

  const auto phase
    = repo.orchestrator({"tasks", "list", "--phase", "2", "--json"});
  CHECK(phase.json()["tasks"].size() == 1);
}

TEST_CASE("re-import reports unchanged and updated tasks") {
  temp_repo repo;
  REQUIRE(repo.orchestrator({"init", "-q"}).code == 0);
  repo.write("tasks.yaml", good_tasks);
  REQUIRE(repo.orchestrator({"tasks", "import", "tasks.yaml"}).code == 0);
  auto again = repo.orchestrator({"tasks", "ingest", "tasks.yaml", "--json"});
  REQUIRE_MESSAGE(again.code == 0, again.err);
  CHECK(again.json()["unchanged"] == 2);
  std::string changed = good_tasks;
  changed.replace(changed.find("Subtract"), 8, "Subtract two numbers");
  repo.write("tasks.yaml", changed);
  again = repo.orchestrator({"tasks", "import", "tasks.yaml", "--json"});
  CHECK(again.json()["updated"] == 1);
  CHECK(again.json()["unchanged"] == 1);
}

TEST_CASE("bad task files: exit 2, FILE:LINE message, nothing imported") {
  struct bad_case {
    const char* name;
    const char* text;
    const char* expected; // substring of stderr, with the line
  };
  const bad_case cases[] = {
    {"unknown field", "tasks:\n  - key: A\n    title: t\n    tittle: x\n",
     "tasks.yaml:4:"},
    {"missing title",
     "tasks:\n  - key: A\n    test_file: t\n    impl_file: i\n    verify: v\n",
     "tasks.yaml:2:"},
    {"bad key",
     "tasks:\n  - key: \"a b\"\n    title: t\n    test_file: t\n"
     "    impl_file: i\n    verify: v\n",
     "tasks.yaml:2:"},
    {"unknown dependency",
     "tasks:\n  - key: A\n    title: t\n    test_file: t\n    impl_file: i\n"
     "    verify: v\n    depends_on: [NOPE]\n",
     "NOPE"},
    {"cycle",
     "defaults: {verify: v}\ntasks:\n"
     "  - {key: A, title: a, test_file: t, impl_file: i, depends_on: [B]}\n"
     "  - {key: B, title: b, test_file: t, impl_file: i, depends_on: [A]}\n",
     "A -> B -> A"},
    {"path escape",
     "tasks:\n  - key: A\n    title: t\n    test_file: ../outside.c\n"
     "    impl_file: i\n    verify: v\n",
     "tasks.yaml:4:"},
    {"yaml syntax", "tasks:\n  - key: [unclosed\n", "tasks.yaml:"},
    {"duplicate key",
     "defaults: {verify: v}\ntasks:\n"
     "  - {key: A, title: a, test_file: t, impl_file: i}\n"
     "  - {key: A, title: b, test_file: t, impl_file: i}\n",
     "tasks.yaml:4:"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    temp_repo repo;
    REQUIRE(repo.orchestrator({"init", "-q"}).code == 0);
    repo.write("tasks.yaml", c.text);
    const auto r = repo.orchestrator({"tasks", "import", "tasks.yaml"});
    CHECK(r.code == 2);
    CHECK_MESSAGE(r.err.find(c.expected) != std::string::npos, r.err);
    CHECK(r.err.find("nothing imported") != std::string::npos);
    CHECK(task_count(repo) == 0);
  }
}

TEST_CASE("a file with one bad task imports none of the good ones") {
  temp_repo repo;
  REQUIRE(repo.orchestrator({"init", "-q"}).code == 0);
  std::string text = good_tasks;
  text += "  - key: BAD KEY\n    title: x\n";
  repo.write("tasks.yaml", text);
  const auto r = repo.orchestrator({"tasks", "import", "tasks.yaml", "--json"});
  CHECK(r.code == 2);
  const auto doc = r.json();
  CHECK(doc["ok"] == false);
  CHECK(doc["errors"][0]["line"].get<int>() > 0);
  CHECK(task_count(repo) == 0);
}

TEST_CASE("a missing task file is exit 2 naming the file") {
  temp_repo repo;
  REQUIRE(repo.orchestrator({"init", "-q"}).code == 0);
  const auto r = repo.orchestrator({"tasks", "import", "nope.yaml"});
  CHECK(r.code == 2);
  CHECK(r.err.find("nope.yaml") != std::string::npos);
}

TEST_CASE("JSON task files are accepted") {
  temp_repo repo;
  REQUIRE(repo.orchestrator({"init", "-q"}).code == 0);
  repo.write("tasks.json",
             R"({"tasks": [{"key": "J-1", "title": "json", "test_file": "t",
                 "impl_file": "i", "verify": "true"}]})");
  const auto r = repo.orchestrator({"tasks", "import", "tasks.json"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(task_count(repo) == 1);
}

TEST_CASE("task text is stored verbatim, never executed, output stays valid") {
  temp_repo repo;
  REQUIRE(repo.orchestrator({"init", "-q"}).code == 0);
  repo.write("tasks.yaml",
             "tasks:\n  - key: Q-1\n    title: \"$(touch pwned) `touch pwned2` "
             "\\\"quoted\\\"\"\n    goal: \"line one\\nline two\\ttab\"\n"
             "    test_file: t\n    impl_file: i\n    verify: \"true\"\n");
  const auto r = repo.orchestrator({"tasks", "import", "tasks.yaml"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK_FALSE(std::filesystem::exists(repo.dir() / "pwned"));
  CHECK_FALSE(std::filesystem::exists(repo.dir() / "pwned2"));
  const auto list = repo.orchestrator({"tasks", "list", "--json"}).json();
  CHECK(list["tasks"][0]["title"]
        == "$(touch pwned) `touch pwned2` \"quoted\"");
  CHECK(list["tasks"][0]["goal"] == "line one\nline two\ttab");
  const auto show = repo.orchestrator({"tasks", "show", "Q-1"});
  // A newline in a value never breaks the table: it is shown escaped.
  CHECK(show.out.find("line one\\nline two\\ttab") != std::string::npos);
}

TEST_CASE("unknown keys and bad filters are exit 2 with a hint") {
  temp_repo repo;
  REQUIRE(repo.orchestrator({"init", "-q"}).code == 0);
  repo.write("tasks.yaml", good_tasks);
  REQUIRE(repo.orchestrator({"tasks", "import", "tasks.yaml"}).code == 0);
  const auto show = repo.orchestrator({"tasks", "show", "CALC-3"});
  CHECK(show.code == 2);
  CHECK(show.err.find("did you mean") != std::string::npos);
  CHECK(show.err.find("CALC-1") != std::string::npos);
  const auto list = repo.orchestrator({"tasks", "list", "--status", "done"});
  CHECK(list.code == 2);
  CHECK(list.err.find("pending, running, complete or blocked")
        != std::string::npos);
}

TEST_CASE("status counts tasks by status, global flags go anywhere") {
  temp_repo repo;
  REQUIRE(repo.orchestrator({"init", "-q"}).code == 0);
  repo.write("tasks.yaml", good_tasks);
  REQUIRE(repo.orchestrator({"tasks", "import", "tasks.yaml"}).code == 0);
  const auto after = repo.orchestrator({"status", "--json"});
  REQUIRE_MESSAGE(after.code == 0, after.err);
  CHECK(after.json()["tasks"]["pending"] == 2);
  CHECK(after.json()["tasks"]["total"] == 2);
  const auto before = repo.orchestrator({"--json", "status"});
  CHECK(before.json()["tasks"]["total"] == 2);
  const auto human = repo.orchestrator({"status"});
  CHECK(human.out.find("pending") != std::string::npos);
  CHECK(human.out.find("0 of 2 complete") != std::string::npos);
}

TEST_CASE("--db and TDD_DB select another database") {
  temp_repo repo;
  const auto db = (repo.dir() / "elsewhere.db").string();
  REQUIRE(repo.orchestrator({"init", "-q", "--db", db}).code == 0);
  CHECK(std::filesystem::exists(db));
  repo.write("tasks.yaml", good_tasks);
  REQUIRE(
    repo.orchestrator({"tasks", "import", "tasks.yaml"}, {{"TDD_DB", db}}).code
    == 0);
  const auto r = repo.orchestrator({"status", "--json", "--db", db});
  CHECK(r.json()["tasks"]["total"] == 2);
}

TEST_CASE("re-import refuses to change a complete task unless --force") {
  temp_repo repo;
  REQUIRE(repo.orchestrator({"init", "-q"}).code == 0);
  repo.write("tasks.yaml", good_tasks);
  REQUIRE(repo.orchestrator({"tasks", "import", "tasks.yaml"}).code == 0);
  const auto db = (repo.dir() / ".orchestrator/orchestrator.db").string();
  const auto set = repo.run(
    {"sqlite3", db, "UPDATE tasks SET status='complete' WHERE key='CALC-1'"});
  REQUIRE_MESSAGE(set.code == 0, set.err);
  std::string changed = good_tasks;
  changed.replace(changed.find("Add two numbers"), 15, "Add numbers");
  changed.replace(changed.find("Subtract"), 8, "Minus");
  repo.write("tasks.yaml", changed);

  const auto refused = repo.orchestrator({"tasks", "import", "tasks.yaml"});
  CHECK(refused.code == 2);
  CHECK_MESSAGE(refused.err.find("tasks.yaml:4: task CALC-1 is complete")
                  != std::string::npos,
                refused.err);
  // All or nothing: CALC-2 was not updated either.
  auto list = repo.orchestrator({"tasks", "list", "--json"}).json();
  CHECK(list["tasks"][1]["title"] == "Subtract");

  const auto forced
    = repo.orchestrator({"tasks", "import", "tasks.yaml", "--force", "--json"});
  REQUIRE_MESSAGE(forced.code == 0, forced.err);
  CHECK(forced.json()["updated"] == 2);
  list = repo.orchestrator({"tasks", "list", "--json"}).json();
  CHECK(list["tasks"][0]["status"] == "pending");
  CHECK(list["tasks"][0]["title"] == "Add numbers");
}
