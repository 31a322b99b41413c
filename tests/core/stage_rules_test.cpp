#include "core/stage_rules.hpp"

#include "core/circuit.hpp"

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

using namespace tdd::core;

namespace {

/// What a verdict must look like; `kind` is set exactly for failures.
struct expected_verdict {
  bool passed;
  std::string_view reason;
  std::optional<failure_kind> kind;
  bool blocks_task;
  bool restore_tree;
};

void check_verdict(const stage_verdict& got, const expected_verdict& want) {
  CHECK(got.passed == want.passed);
  CHECK(std::string{got.reason} == std::string{want.reason});
  CHECK(got.kind == want.kind);
  CHECK(got.blocks_task == want.blocks_task);
  CHECK(got.restore_tree == want.restore_tree);
}

constexpr expected_verdict clean_pass{true, "", std::nullopt, false, false};

expected_verdict task_failure(std::string_view why) {
  return expected_verdict{false, why, failure_kind::task, false, false};
}

} // namespace

TEST_CASE("stage names round-trip in pipeline order") {
  const std::vector<std::pair<stage, std::string>> names{
    {stage::red, "red"},           {stage::green, "green"},
    {stage::verify, "verify"},     {stage::fix, "fix"},
    {stage::refactor, "refactor"}, {stage::commit, "commit"}};
  REQUIRE(names.size() == all_stages.size());
  for (size_t i = 0; i < names.size(); ++i) {
    CAPTURE(names[i].second);
    CHECK(all_stages[i] == names[i].first);
    CHECK(to_string(names[i].first) == names[i].second);
    CHECK(parse_stage(names[i].second) == names[i].first);
  }
  for (const auto* bad : {"", "Red", "red ", "merge", "review", "verify_all"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_stage(bad).has_value());
  }
}

TEST_CASE("the circuit id parser knows exactly the stage list") {
  for (const auto x : all_stages) {
    CHECK(parse_circuit_ref("stage:K-1:" + to_string(x)).has_value());
  }
  CHECK_FALSE(parse_circuit_ref("stage:K-1:merge").has_value());
}

TEST_CASE("red passes only with a changed test file and a failing verify") {
  struct row {
    red_facts facts;
    expected_verdict want;
  };
  const std::vector<row> rows{
    {{true, false}, clean_pass},
    {{true, true}, task_failure("red_test_passes")},
    {{false, false}, task_failure("red_test_unchanged")},
    {{false, true}, task_failure("red_test_unchanged")},
  };
  for (const auto& r : rows) {
    CAPTURE(r.facts.test_file_changed);
    CAPTURE(r.facts.verify_passed);
    check_verdict(judge_red(r.facts), r.want);
  }
}

TEST_CASE("green passes only with an identical test file and passing "
          "verify") {
  struct row {
    green_facts facts;
    expected_verdict want;
  };
  const std::vector<row> rows{
    {{true, true}, clean_pass},
    {{true, false}, task_failure("green_verify_failed")},
    {{false, true}, task_failure("green_modified_test")},
    {{false, false}, task_failure("green_modified_test")},
  };
  for (const auto& r : rows) {
    CAPTURE(r.facts.test_file_identical);
    CAPTURE(r.facts.verify_passed);
    check_verdict(judge_green(r.facts), r.want);
  }
}

TEST_CASE("verify, refactor and commit verdicts") {
  struct row {
    std::string name;
    stage_verdict got;
    expected_verdict want;
  };
  const std::vector<row> rows{
    {"verify passes", judge_verify(true), clean_pass},
    {"verify fails", judge_verify(false), task_failure("verify_failed")},
    {"refactor keeps", judge_refactor(true), clean_pass},
    {"refactor reverts",
     judge_refactor(false),
     {true, "refactor_reverted", std::nullopt, false, true}},
    {"merged", judge_commit(false), clean_pass},
    {"conflict",
     judge_commit(true),
     {false, "merge_conflict", failure_kind::task, true, false}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    check_verdict(r.got, r.want);
  }
}

TEST_CASE("stage order, with and without refactor") {
  struct row {
    stage current;
    bool refactor_enabled;
    std::optional<stage> want;
  };
  const std::vector<row> rows{
    {stage::red, true, stage::green},
    {stage::green, true, stage::verify},
    {stage::verify, true, stage::refactor},
    {stage::verify, false, stage::commit},
    {stage::fix, true, stage::refactor},
    {stage::fix, false, stage::commit},
    {stage::refactor, true, stage::commit},
    {stage::commit, true, std::nullopt},
    {stage::commit, false, std::nullopt},
  };
  for (const auto& r : rows) {
    CAPTURE(to_string(r.current));
    CAPTURE(r.refactor_enabled);
    CHECK(stage_after(r.current, r.refactor_enabled) == r.want);
  }
}

TEST_CASE("where the pipeline goes after a verdict") {
  struct row {
    std::string name;
    stage current;
    stage_verdict verdict;
    std::optional<stage> want;
  };
  const std::vector<row> rows{
    {"red retried", stage::red, judge_red({true, true}), stage::red},
    {"red passed", stage::red, judge_red({true, false}), stage::green},
    {"green retried", stage::green, judge_green({false, true}), stage::green},
    {"verify fails: fix", stage::verify, judge_verify(false), stage::fix},
    {"fix fails: fix again", stage::fix, judge_verify(false), stage::fix},
    {"fix passes", stage::fix, judge_verify(true), stage::refactor},
    {"reverted refactor goes on", stage::refactor, judge_refactor(false),
     stage::commit},
    {"conflict blocks", stage::commit, judge_commit(true), std::nullopt},
    {"merged: complete", stage::commit, judge_commit(false), std::nullopt},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    CHECK(next_stage(r.current, r.verdict, true) == r.want);
  }
  CHECK(retry_stage(stage::verify) == stage::fix);
  CHECK(retry_stage(stage::commit) == stage::commit);
}

TEST_CASE("fix attempts count against the verify circuit") {
  for (const auto x : all_stages) {
    CAPTURE(to_string(x));
    CHECK(circuit_stage(x) == (x == stage::fix ? stage::verify : x));
  }
}

TEST_CASE("the agent works in red, green, fix and refactor only") {
  CHECK(uses_agent(stage::red));
  CHECK(uses_agent(stage::green));
  CHECK(uses_agent(stage::fix));
  CHECK(uses_agent(stage::refactor));
  CHECK(!uses_agent(stage::verify));
  CHECK(!uses_agent(stage::commit));
}
