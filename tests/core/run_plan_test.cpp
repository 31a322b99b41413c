#include "core/run_plan.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace tdd::core;

namespace {

using keys = std::vector<std::string>;

constexpr auto pending = task_status::pending;
constexpr auto running = task_status::running;
constexpr auto complete = task_status::complete;
constexpr auto blocked = task_status::blocked;

graph_node node(std::string key, keys deps = {}, int phase = 0,
                task_status status = pending) {
  return graph_node{std::move(key), std::move(deps), phase, status};
}

/// Phase 0: A <- B <- C, D (complete) <- E; X blocked <- Y.
/// Phase 1: P <- Q (Q also needs C); R alone.
std::vector<graph_node> sample() {
  return {node("A"),
          node("B", {"A"}),
          node("C", {"B", "D"}),
          node("D", {}, 0, complete),
          node("E", {"D"}),
          node("X", {}, 0, blocked),
          node("Y", {"X"}),
          node("P", {}, 1),
          node("Q", {"P", "C"}, 1),
          node("R", {}, 1)};
}

/// Waves as "A B|C" (keys of a wave joined by ' ', waves by '|').
std::string waves_of(const run_plan& plan) {
  std::string out;
  for (const auto& wave : plan.waves) {
    out += out.empty() ? "" : "|";
    std::string keys_text;
    for (const auto& task : wave.tasks) {
      keys_text += (keys_text.empty() ? "" : " ") + task.key;
    }
    out += keys_text;
  }
  return out;
}

std::string unrunnable_of(const run_plan& plan) {
  std::string out;
  for (const auto& x : plan.unrunnable) {
    out += (out.empty() ? "" : " ") + x.key + "=" + x.reason;
  }
  return out;
}

} // namespace

TEST_CASE("select_tasks: what each selection runs") {
  struct row {
    const char* name;
    run_selection selection;
    keys expected;
    keys dependencies;
    keys already_complete;
  };
  const std::vector<row> rows{
    {"nothing given: every pending task",
     {},
     {"A", "B", "C", "E", "P", "Q", "R", "Y"},
     {},
     {}},
    {"a task without dependencies", {{"A"}, {}}, {"A"}, {}, {}},
    {"dependencies that are not complete come along, transitively",
     {{"C"}, {}},
     {"A", "B", "C"},
     {"A", "B"},
     {}},
    {"a complete dependency stays out", {{"E"}, {}}, {"E"}, {}, {}},
    {"dependencies across phases",
     {{"Q"}, {}},
     {"A", "B", "C", "P", "Q"},
     {"A", "B", "C", "P"},
     {}},
    {"a named task is no dependency, repeats count once",
     {{"C", "A", "C"}, {}},
     {"A", "B", "C"},
     {"B"},
     {}},
    {"a complete task has nothing to do", {{"D", "A"}, {}}, {"A"}, {}, {"D"}},
    {"a blocked dependency is no error", {{"Y"}, {}}, {"Y"}, {}, {}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    const auto result = select_tasks(sample(), r.selection);
    REQUIRE(result.selection);
    CHECK(result.selection->keys == r.expected);
    CHECK(result.selection->dependencies == r.dependencies);
    CHECK(result.selection->already_complete == r.already_complete);
  }
}

TEST_CASE("select_tasks: a phase once the lower phases are done") {
  auto all = sample();
  for (auto& x : all) {
    if (x.phase == 0 && x.status == pending) {
      x.status = x.key == "Y" ? blocked : complete; // blocked lets it pass
    }
  }
  all.push_back(node("S", {}, 1, complete));
  all.push_back(node("T", {}, 2));
  const auto result = select_tasks(all, {{}, 1});
  REQUIRE(result.selection);
  CHECK(result.selection->keys == keys{"P", "Q", "R"});
  const auto later = select_tasks(all, {{}, 2});
  CHECK(!later.selection); // phase 1 is still to run
}

TEST_CASE("select_tasks: running tasks left by a crash are selected") {
  const std::vector<graph_node> all{node("A", {}, 0, running),
                                    node("B", {"A"})};
  CHECK(select_tasks(all, {}).selection->keys == keys{"A", "B"});
  const auto named = select_tasks(all, {{"B"}, {}});
  REQUIRE(named.selection);
  CHECK(named.selection->keys == keys{"A", "B"});
}

TEST_CASE("select_tasks: invalid selections and their messages") {
  struct row {
    const char* name;
    run_selection selection;
    keys errors;
  };
  const std::vector<row> rows{
    {"a blocked task",
     {{"X"}, {}},
     {"task \"X\" is blocked; `orchestrator tasks retry X` puts it back to "
      "pending"}},
    {"a phase whose lower phases still run",
     {{}, 1},
     {"phase 1 cannot start before the lower phases are complete or "
      "blocked; still to run: \"A\", \"B\", \"C\", \"E\", \"Y\" (run them "
      "first, or run without --phase)"}},
    {"a phase without tasks", {{}, 7}, {"no task has phase 7 (phases: 0, 1)"}},
    {"both --task and --phase",
     {{"A"}, 0},
     {"--task and --phase cannot be combined"}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    const auto result = select_tasks(sample(), r.selection);
    CHECK(!result.selection);
    CHECK(result.errors == r.errors);
  }
}

TEST_CASE("select_tasks: unknown keys get close matches") {
  const std::vector<graph_node> all{node("CALC-1"), node("CALC-2"),
                                    node("PARSE-1")};
  const auto result
    = select_tasks(all, {{"CALC-1", "CALC-3", "parse-1", "zzz"}, {}});
  CHECK(!result.selection);
  CHECK(result.errors
        == keys{R"(unknown task "CALC-3"; did you mean "CALC-1", "CALC-2"?)",
                R"(unknown task "parse-1"; did you mean "PARSE-1"?)",
                R"(unknown task "zzz")"});
}

TEST_CASE("select_tasks: long lists of keys are cut short") {
  std::vector<graph_node> all;
  for (const auto* key : {"A", "B", "C", "D", "E", "F", "G"}) {
    all.push_back(node(key));
  }
  all.push_back(node("Z", {}, 2));
  const auto result = select_tasks(all, {{}, 2});
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors.front().find(R"("E" and 2 more)") != std::string::npos);
}

TEST_CASE("build_plan: waves restricted to the selection") {
  struct row {
    const char* name;
    run_selection selection;
    std::string waves;
    std::string unrunnable;
  };
  const std::vector<row> rows{
    {"everything: phases are barriers, the blocked dependency blocks Y",
     {},
     "A E|B|C|P R|Q",
     "Y=dependency_blocked:X"},
    {"--task C runs its chain only", {{"C"}, {}}, "A|B|C", ""},
    {"--task Q: phase 1 waits for its phase 0 dependencies only",
     {{"Q"}, {}},
     "A|B|C|P|Q",
     ""},
    {"--task R needs nothing of phase 0", {{"R"}, {}}, "R", ""},
    {"--task Y can never run", {{"Y"}, {}}, "", "Y=dependency_blocked:X"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    const auto result = plan_run(sample(), r.selection);
    REQUIRE(result.plan);
    CHECK(waves_of(*result.plan) == r.waves);
    CHECK(unrunnable_of(*result.plan) == r.unrunnable);
  }
}

TEST_CASE("build_plan: each task with its phase, status and dependencies") {
  auto all = sample();
  all[0].status = running; // A, left by a crash
  const auto result = plan_run(all, {{"Q"}, {}});
  REQUIRE(result.plan);
  const auto& plan = *result.plan;
  CHECK(plan.order() == keys{"A", "B", "C", "P", "Q"});
  CHECK(plan.task_count() == 5);
  REQUIRE(plan.waves.size() == 5);
  const auto& a = plan.waves[0].tasks.at(0);
  CHECK(a.status == running);
  CHECK(a.is_dependency);
  const auto& c = plan.waves[2].tasks.at(0);
  CHECK(c.key == "C");
  CHECK(c.depends_on == keys{"B", "D"}); // complete ones too
  CHECK(c.phase == 0);
  const auto& q = plan.waves[4];
  CHECK(q.phase == 1);
  CHECK(q.tasks.at(0).key == "Q");
  CHECK(!q.tasks.at(0).is_dependency);
  CHECK(q.tasks.at(0).depends_on == keys{"C", "P"});
}

TEST_CASE("build_plan: tasks that wait outside the selection cannot start") {
  // B (phase 0) depends on L in phase 1: a full run never gets to it, and
  // neither does anything after its barrier.
  const std::vector<graph_node> all{node("A"), node("B", {"L"}),
                                    node("L", {}, 1), node("M", {}, 1)};
  const auto plan = plan_run(all, {});
  REQUIRE(plan.plan);
  CHECK(waves_of(*plan.plan) == "A");
  CHECK(unrunnable_of(*plan.plan)
        == "B=cannot_start L=cannot_start M=cannot_start");
  // The run still works on every selected task, the unrunnable ones too.
  CHECK(plan.selection.keys == keys{"A", "B", "L", "M"});
}

TEST_CASE("build_plan: complete tasks named by --task are reported") {
  const auto result = plan_run(sample(), {{"D"}, {}});
  REQUIRE(result.plan);
  CHECK(result.plan->waves.empty());
  CHECK(result.plan->already_complete == keys{"D"});
}

TEST_CASE("scope_nodes: unselected pending tasks leave the graph") {
  const auto nodes = scope_nodes(sample(), {"A", "B"});
  keys kept;
  for (const auto& x : nodes) {
    kept.push_back(x.key);
  }
  CHECK(kept == keys{"A", "B", "D", "X"});
  CHECK(task_graph{nodes}.ready() == keys{"A"});
}

TEST_CASE("run_outcome: names, parsing and exit codes") {
  struct row {
    run_outcome outcome;
    const char* name;
    int exit;
  };
  for (const auto& r :
       std::vector<row>{{run_outcome::complete, "complete", 0},
                        {run_outcome::blocked, "blocked", 1},
                        {run_outcome::halted, "halted", 3},
                        {run_outcome::interrupted, "interrupted", 130}}) {
    CHECK(to_string(r.outcome) == r.name);
    CHECK(parse_run_outcome(r.name) == r.outcome);
    CHECK(exit_code(r.outcome) == r.exit);
  }
  CHECK(!parse_run_outcome("done"));
}
