#include "cli/plan_view.hpp"

#include "core/run_plan.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <sstream>
#include <string>
#include <vector>

using namespace tdd;
using core::task_status;

namespace {

core::graph_node node(std::string key, std::vector<std::string> deps = {},
                      int phase = 1,
                      task_status status = task_status::pending) {
  return core::graph_node{std::move(key), std::move(deps), phase, status};
}

/// Phase 1: A, B (running: a crash left it), C <- A B, D complete,
/// X blocked <- Y. Phase 2: P <- C.
std::vector<core::graph_node> sample() {
  return {node("A"),
          node("B", {}, 1, task_status::running),
          node("C", {"A", "B"}),
          node("D", {}, 1, task_status::complete),
          node("X", {}, 1, task_status::blocked),
          node("Y", {"X"}),
          node("P", {"C"}, 2)};
}

core::run_plan plan_of(const core::run_selection& selection) {
  auto result = core::plan_run(sample(), selection);
  REQUIRE(result.plan);
  return *result.plan;
}

std::string rendered(const core::run_plan& plan, bool json) {
  std::ostringstream out;
  cli::print_plan(plan, json, out);
  return out.str();
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("plan text: header then one aligned table and what will not run") {
  const auto text = rendered(plan_of({}), false);
  INFO(text);
  CHECK(has(text, "Plan: 4 tasks in 3 waves\n"));
  CHECK(has(text, "WAVE  PHASE  TASK  DEPENDS ON  NOTE\n"));
  CHECK(has(text, "1     1      A     -"));
  CHECK(has(text, "1     1      B     -           resumes (was running)\n"));
  CHECK(has(text, "2     1      C     A, B"));
  CHECK(has(text, "3     2      P     C"));
  CHECK(has(text, "Will not run (1):\n"));
  CHECK(has(text, "Y     dependency_blocked:X\n"));
  CHECK(!has(text, "Already complete"));
}

TEST_CASE("plan text: dependencies of --task and tasks complete already") {
  const auto text = rendered(plan_of({{"C", "D"}, {}}), false);
  INFO(text);
  CHECK(has(text, "Plan: 3 tasks in 2 waves\n"));
  CHECK(has(text, "dependency of --task; resumes (was running)"));
  CHECK(has(text, "Already complete: D\n"));
}

TEST_CASE("plan text: nothing to run and unsafe reasons escaped") {
  core::run_plan plan;
  plan.unrunnable.push_back({"Z", "cannot_start\x1b[2J"});
  const auto text = rendered(plan, false);
  INFO(text);
  CHECK(has(text, "Plan: nothing to run.\n"));
  CHECK(has(text, "cannot_start\\x1b[2J"));
  CHECK(!has(text, "\x1b"));
}

TEST_CASE("plan json: one document with waves unrunnable and order") {
  const auto text = rendered(plan_of({{"C", "D"}, {}}), true);
  const auto doc = nlohmann::json::parse(text);
  const auto& plan = doc.at("plan");
  CHECK(plan.at("task_count") == 3);
  CHECK(plan.at("order") == nlohmann::json({"A", "B", "C"}));
  CHECK(plan.at("already_complete") == nlohmann::json({"D"}));
  CHECK(plan.at("unrunnable") == nlohmann::json::array());
  REQUIRE(plan.at("waves").size() == 2);
  const auto& first = plan.at("waves")[0];
  CHECK(first.at("wave") == 1);
  CHECK(first.at("phase") == 1);
  REQUIRE(first.at("tasks").size() == 2);
  CHECK(first.at("tasks")[1]
        == nlohmann::json({{"key", "B"},
                           {"phase", 1},
                           {"status", "running"},
                           {"depends_on", nlohmann::json::array()},
                           {"is_dependency", true}}));
  const auto& c = plan.at("waves")[1].at("tasks")[0];
  CHECK(c.at("depends_on") == nlohmann::json({"A", "B"}));
  CHECK(c.at("is_dependency") == false);
  CHECK(c.at("status") == "pending");
}

TEST_CASE("plan json: unrunnable tasks carry their reason") {
  const auto doc = nlohmann::json::parse(rendered(plan_of({}), true));
  CHECK(doc.at("plan").at("unrunnable")
        == nlohmann::json::parse(
          R"([{"key": "Y", "reason": "dependency_blocked:X"}])"));
  CHECK(doc.at("plan").at("waves")[2].at("phase") == 2);
}

TEST_CASE("plan json: invalid UTF-8 becomes U+FFFD") {
  core::run_plan plan;
  plan.unrunnable.push_back({"Z", "bad \xff byte"});
  const auto doc = nlohmann::json::parse(rendered(plan, true));
  CHECK(doc.at("plan").at("unrunnable")[0].at("reason")
        == "bad \xef\xbf\xbd byte");
}
