#include "core/stage_rules.hpp"

#include <utility>

namespace tdd::core {

namespace {

constexpr std::array<std::pair<stage, std::string_view>, 6> stage_names{
  {{stage::red, "red"},
   {stage::green, "green"},
   {stage::verify, "verify"},
   {stage::fix, "fix"},
   {stage::refactor, "refactor"},
   {stage::commit, "commit"}}};

stage_verdict pass() {
  return stage_verdict{true, {}, std::nullopt, false, false};
}

stage_verdict task_failure(std::string_view why) {
  return stage_verdict{false, why, failure_kind::task, false, false};
}

} // namespace

std::string to_string(stage x) {
  for (const auto& [value, name] : stage_names) {
    if (value == x) {
      return std::string{name};
    }
  }
  return "unknown";
}

std::optional<stage> parse_stage(std::string_view x) {
  for (const auto& [value, name] : stage_names) {
    if (name == x) {
      return value;
    }
  }
  return std::nullopt;
}

stage_verdict judge_red(const red_facts& facts) {
  if (!facts.test_file_changed) {
    return task_failure(reason::red_test_unchanged);
  }
  if (facts.verify_passed) {
    return task_failure(reason::red_test_passes);
  }
  return pass();
}

stage_verdict judge_green(const green_facts& facts) {
  if (!facts.test_file_identical) {
    return task_failure(reason::green_modified_test);
  }
  if (!facts.verify_passed) {
    return task_failure(reason::green_verify_failed);
  }
  return pass();
}

stage_verdict judge_verify(bool verify_all_passed) {
  if (!verify_all_passed) {
    return task_failure(reason::verify_failed);
  }
  return pass();
}

stage_verdict judge_refactor(bool verify_all_passed) {
  if (!verify_all_passed) {
    return stage_verdict{true, reason::refactor_reverted, std::nullopt, false,
                         true};
  }
  return pass();
}

stage_verdict judge_commit(bool merge_conflict) {
  if (merge_conflict) {
    return stage_verdict{false, reason::merge_conflict, failure_kind::task,
                         true, false};
  }
  return pass();
}

std::optional<stage> stage_after(stage current, bool refactor_enabled) {
  switch (current) {
  case stage::red:
    return stage::green;
  case stage::green:
    return stage::verify;
  case stage::verify:
  case stage::fix:
    return refactor_enabled ? stage::refactor : stage::commit;
  case stage::refactor:
    return stage::commit;
  case stage::commit:
    return std::nullopt;
  }
  return std::nullopt;
}

stage retry_stage(stage current) {
  if (current == stage::verify) {
    return stage::fix;
  }
  return current;
}

std::optional<stage> next_stage(stage current, const stage_verdict& verdict,
                                bool refactor_enabled) {
  if (verdict.passed) {
    return stage_after(current, refactor_enabled);
  }
  if (verdict.blocks_task) {
    return std::nullopt;
  }
  return retry_stage(current);
}

stage circuit_stage(stage x) {
  return x == stage::fix ? stage::verify : x;
}

bool uses_agent(stage x) {
  return x == stage::red || x == stage::green || x == stage::fix
         || x == stage::refactor;
}

} // namespace tdd::core
