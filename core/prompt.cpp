#include "core/prompt.hpp"

#include <optional>

namespace tdd::core {

namespace {

// What the agent is told per stage: the rules the orchestrator checks
// afterwards (SPEC.md 4). {test_file} and {impl_file} are filled in.
struct stage_text {
  std::string_view title;  ///< shown next to the stage name
  bool full_suite = false; ///< checked with verify_all, not verify
  std::string_view rules;
};

constexpr std::string_view red_rules
  = "- Write tests for the goal and every acceptance criterion in "
    "{test_file}, and only there.\n"
    "- Do not implement the feature and do not change any other file; "
    "{impl_file} is written in the next stage.\n"
    "- The tests must FAIL now, because the implementation is missing. This "
    "stage passes only if {test_file} changed and the check fails: a check "
    "that passes already means the tests test nothing (reason "
    "red_test_passes).\n";

constexpr std::string_view green_rules
  = "- Make the tests in {test_file} pass by changing {impl_file} (and "
    "other non-test files if you must).\n"
    "- Never modify {test_file}: it must stay byte-identical, or this stage "
    "fails (reason green_modified_test).\n"
    "- This stage passes only if the check passes.\n";

constexpr std::string_view fix_rules
  = "- The full test suite failed; its output is below.\n"
    "- Fix the implementation ({impl_file} and other non-test files) so "
    "that the whole suite passes.\n"
    "- Do not touch {test_file}, and do not weaken, skip or delete any "
    "test.\n"
    "- The full suite runs again when you finish.\n";

constexpr std::string_view refactor_rules
  = "- Improve the code (names, duplication, structure) without changing "
    "what it does.\n"
    "- Do not change what the tests check.\n"
    "- The full suite must still pass afterwards; if it fails, all of your "
    "changes are reverted.\n";

std::optional<stage_text> describe(std::string_view stage) {
  if (stage == "red") {
    return stage_text{"write failing tests", false, red_rules};
  }
  if (stage == "green") {
    return stage_text{"make the tests pass", false, green_rules};
  }
  if (stage == "fix") {
    return stage_text{"fix the failing test suite", true, fix_rules};
  }
  if (stage == "refactor") {
    return stage_text{"improve the code, same behaviour", true, refactor_rules};
  }
  return std::nullopt;
}

// The tail of `output`, started on a UTF-8 boundary, with a note on what
// was cut.
std::string failure_section(std::string_view stage, std::string_view output) {
  std::string out = stage == "fix"
                      ? "## Failing output of the full test suite\n"
                      : "## Output of the last failed check\n";
  if (output.size() > prompt_failure_limit) {
    auto start = output.size() - prompt_failure_limit;
    for (int i = 0;
         i < 3 && start < output.size()
         && (static_cast<unsigned char>(output[start]) & 0xC0) == 0x80;
         ++i) {
      ++start;
    }
    out += "(truncated: the first " + std::to_string(start) + " of "
           + std::to_string(output.size())
           + " bytes are left out; the end follows)\n";
    output = output.substr(start);
  }
  out += "----- BEGIN OUTPUT -----\n";
  out += output;
  if (!output.empty() && output.back() != '\n') {
    out += '\n';
  }
  out += "----- END OUTPUT -----\n";
  return out;
}

std::string task_section(const task_spec& task) {
  std::string out = "## Goal\n";
  out += task.goal.empty() ? "(none given)" : task.goal;
  out += "\n\n## Acceptance criteria\n";
  if (task.acceptance.empty()) {
    out += "(none given)\n";
  }
  for (const auto& item : task.acceptance) {
    out += "- " + item + "\n";
  }
  out += "\n## Files (relative to your working directory)\n";
  out += "- test file: " + task.test_file + "\n";
  out += "- implementation file: " + task.impl_file + "\n";
  return out;
}

} // namespace

std::string build_prompt(const task_spec& task, std::string_view stage,
                         int attempt, std::string_view failure_output) {
  const auto text = describe(stage);
  if (!text) {
    return "";
  }
  std::string out
    = "You are the coding agent for one stage of a test-driven development "
      "pipeline. Work only inside your working directory (a git worktree "
      "of the project) and do not commit: the orchestrator checks and "
      "commits your work.\n\n";
  out += "# Task " + task.key + ": " + task.title + "\n";
  out += "Stage: " + std::string{stage} + " (" + std::string{text->title}
         + "), attempt " + std::to_string(attempt) + "\n";
  if (attempt > 1) {
    out += "An earlier attempt of this stage did not pass its check.\n";
  }
  out += "\n" + task_section(task);
  const auto& check = text->full_suite && !task.verify_all.empty()
                        ? task.verify_all
                        : task.verify;
  out += "\n## How your work is checked\nThe orchestrator runs: "
         + expand_placeholders(check, task) + "\n";
  out += "\n## Rules for this stage\n" + expand_placeholders(text->rules, task);
  if (!failure_output.empty()) {
    out += "\n" + failure_section(stage, failure_output);
  }
  return out;
}

} // namespace tdd::core
