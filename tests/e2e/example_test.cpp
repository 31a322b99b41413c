// The built-in demo (examples/calc) and its scripted agent
// (examples/agent/play.sh), without running the orchestrator's stages: the
// canned solutions must fail red, pass green (CALC-4 on its second try),
// verify and refactor, with the task file's own commands.

#include "core/task.hpp"
#include "core/task_graph.hpp"
#include "e2e/harness.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using tdd::test::run_result;
using tdd::test::temp_dir;
using tdd::test::temp_repo;

namespace {

const fs::path source_dir{TDD_SOURCE_DIR};

/// A temporary git repository holding a copy of examples/calc, its tasks
/// as `tasks import` reads them, and play.sh called like the orchestrator
/// calls an agent.
class demo {
public:
  demo() {
    fs::copy(source_dir / "examples/calc", repo.dir(),
             fs::copy_options::recursive);
    REQUIRE(repo.orchestrator({"init", "-q"}).code == 0);
    const auto imported
      = repo.orchestrator({"tasks", "import", "tasks.yaml", "--json"});
    REQUIRE_MESSAGE(imported.code == 0, imported.err);
    const auto list = repo.orchestrator({"tasks", "list", "--json"});
    REQUIRE_MESSAGE(list.code == 0, list.err);
    const auto doc = list.json();
    for (const auto& t : doc["tasks"]) {
      tdd::core::task_spec s;
      s.key = t["key"];
      s.test_file = t["test_file"];
      s.impl_file = t["impl_file"];
      s.verify = t["verify"];
      s.verify_all = t["verify_all"];
      s.depends_on = t["depends_on"].get<std::vector<std::string>>();
      s.phase = t["phase"];
      tasks.push_back(s);
    }
  }

  /// Runs play.sh for one stage, checks it succeeded and reported a cost.
  void agent(const tdd::core::task_spec& task, const std::string& stage,
             int attempt, const std::string& failure = {}) const {
    std::map<std::string, std::string> env{
      {"TDD_STAGE", stage},
      {"TDD_TASK_KEY", task.key},
      {"TDD_ATTEMPT", std::to_string(attempt)},
      {"TDD_TEST_FILE", task.test_file},
      {"TDD_IMPL_FILE", task.impl_file},
      {"TDD_WORKTREE", repo.dir().string()},
      {"TDD_PROMPT_FILE", (scratch.path() / "prompt").string()},
      {"DEMO_AGENT_DELAY", "0"}};
    std::ofstream(scratch.path() / "prompt")
      << "Stage " << stage << " of " << task.key << "\n";
    if (stage == "fix") {
      std::ofstream(scratch.path() / "failure") << failure;
      env["TDD_FAILURE_FILE"] = (scratch.path() / "failure").string();
    }
    const auto r = play(env);
    INFO(task.key << " " << stage << " " << attempt << ":\n" << r.out);
    REQUIRE_MESSAGE(r.code == 0, r.err);
    CHECK(r.out.find(task.key + " " + stage) != std::string::npos);
    // The last line is the cost report.
    auto text = r.out;
    while (!text.empty() && text.back() == '\n') {
      text.pop_back();
    }
    const auto nl = text.rfind('\n');
    const auto report = nlohmann::json::parse(
      nl == std::string::npos ? text : text.substr(nl + 1), nullptr, false);
    REQUIRE(report.is_object());
    CHECK(report["cost_usd"].get<double>() > 0);
    CHECK(report["tokens"].get<int>() > 0);
  }

  run_result play(const std::map<std::string, std::string>& env) const {
    return repo.run({(source_dir / "examples/agent/play.sh").string()}, env);
  }

  /// Runs a task's verify (or verify_all) command like the orchestrator.
  run_result verify(const tdd::core::task_spec& task, bool all = false) const {
    return repo.run({"sh", "-c",
                     tdd::core::expand_placeholders(
                       all ? task.verify_all : task.verify, task)});
  }

  const tdd::core::task_spec& task(const std::string& key) const {
    const auto it = std::find_if(
      tasks.begin(), tasks.end(),
      [&](const tdd::core::task_spec& t) { return t.key == key; });
    REQUIRE(it != tasks.end());
    return *it;
  }

  temp_repo repo;
  temp_dir scratch;
  std::vector<tdd::core::task_spec> tasks;
};

/// The tasks in an order the orchestrator may run them: the scheduler's
/// own waves (phases first, every task after its dependencies).
std::vector<tdd::core::task_spec>
dependency_order(const std::vector<tdd::core::task_spec>& tasks) {
  std::vector<tdd::core::graph_node> nodes;
  for (const auto& t : tasks) {
    nodes.push_back({t.key, t.depends_on, t.phase});
  }
  std::vector<tdd::core::task_spec> order;
  for (const auto& wave : tdd::core::task_graph{nodes}.waves()) {
    for (const auto& key : wave) {
      order.push_back(*std::find_if(
        tasks.begin(), tasks.end(),
        [&](const tdd::core::task_spec& t) { return t.key == key; }));
    }
  }
  REQUIRE(order.size() == tasks.size());
  return order;
}

} // namespace

TEST_CASE("example calc project: play.sh solves every task in dependency "
          "order") {
  demo d;
  REQUIRE(d.tasks.size() == 5);
  std::set<std::string> impl_files;
  std::set<std::string> retried;
  std::set<std::string> refactored;
  for (const auto& task : dependency_order(d.tasks)) {
    INFO("task " << task.key);
    // Parallel tasks never share a file, so their merges cannot conflict.
    CHECK(impl_files.insert(task.impl_file).second);

    d.agent(task, "red", 1);
    const auto test = d.repo.read(task.test_file);
    REQUIRE(!test.empty());
    // The test is fine; it fails because the implementation is missing.
    const auto syntax = d.repo.run({"cc", "-std=c11", "-Wall", "-Werror", "-I.",
                                    "-fsyntax-only", task.test_file});
    CHECK_MESSAGE(syntax.code == 0, syntax.err);
    const auto red = d.verify(task);
    CHECK(red.code != 0);
    CHECK(red.err.find("does not compile or link") != std::string::npos);

    d.agent(task, "green", 1);
    auto green = d.verify(task);
    if (green.code != 0) {
      // A wrong first try: it builds, and the test says what is wrong.
      retried.insert(task.key);
      CHECK(green.err.find("FAILED") != std::string::npos);
      d.agent(task, "green", 2);
      green = d.verify(task);
    }
    CHECK_MESSAGE(green.code == 0, green.err);
    CHECK(d.repo.read(task.test_file) == test);
    const auto all = d.verify(task, true);
    CHECK_MESSAGE(all.code == 0, all.err);

    const auto before = d.repo.read(task.impl_file);
    d.agent(task, "refactor", 1);
    if (d.repo.read(task.impl_file) != before) {
      refactored.insert(task.key);
    }
    CHECK(d.repo.read(task.test_file) == test);
    const auto after = d.verify(task, true);
    CHECK_MESSAGE(after.code == 0, after.err);
  }
  CHECK(retried == std::set<std::string>{"CALC-4"});
  CHECK(!refactored.empty());
  CHECK(refactored.size() < d.tasks.size());
  // Build products stay out of git.
  const auto st = d.repo.run({"git", "status", "--porcelain", "-uall"});
  CHECK(st.out.find(".build") == std::string::npos);
  CHECK(st.out.find("src/eval.c") != std::string::npos);
}

TEST_CASE("example agent play.sh: fix repairs a failing suite and bad calls "
          "exit 2") {
  demo d;
  for (const char* key : {"CALC-1", "CALC-3"}) {
    d.agent(d.task(key), "red", 1);
    d.agent(d.task(key), "green", 1);
  }
  const auto& div = d.task("CALC-4");
  d.agent(div, "red", 1);
  d.agent(div, "green", 1);
  const auto failing = d.verify(div, true);
  REQUIRE(failing.code != 0);
  d.agent(div, "fix", 1, failing.out + failing.err);
  const auto fixed = d.verify(div, true);
  CHECK_MESSAGE(fixed.code == 0, fixed.err);

  const std::map<std::string, std::string> base{{"TDD_TASK_KEY", "CALC-1"},
                                                {"TDD_STAGE", "red"},
                                                {"TDD_ATTEMPT", "1"},
                                                {"TDD_TEST_FILE", "tests/x.c"},
                                                {"TDD_IMPL_FILE", "src/x.c"}};
  auto env = base;
  env["TDD_STAGE"] = "verify";
  auto r = d.play(env);
  CHECK(r.code == 2);
  CHECK(r.err.find("unknown stage 'verify'") != std::string::npos);
  for (const char* key : {"CALC-9", "../calc/CALC-1", ""}) {
    env = base;
    env["TDD_TASK_KEY"] = key;
    r = d.play(env);
    CHECK(r.code == 2);
    CHECK(r.err.find("no canned solution") != std::string::npos);
  }
  CHECK(!fs::exists(d.repo.dir() / "tests/x.c"));
}
