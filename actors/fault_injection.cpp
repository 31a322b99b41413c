#include "actors/fault_injection.hpp"

#include <array>
#include <charconv>
#include <stdexcept>
#include <utility>

namespace tdd {

namespace {

constexpr std::array<std::pair<std::string_view, fault_point>, 5> points{{
  {"task_start", fault_point::task_start},
  {"stage_start", fault_point::stage_start},
  {"stage_job", fault_point::stage_job},
  {"stage_done", fault_point::stage_done},
  {"merge", fault_point::merge},
}};

std::string_view name_of(fault_point x) {
  for (const auto& [name, point] : points) {
    if (point == x) {
      return name;
    }
  }
  return "unknown";
}

} // namespace

std::shared_ptr<fault_plan> fault_plan::parse(std::string_view text,
                                              std::string& error) {
  constexpr std::string_view kind = "worker_crash:";
  const std::string usage
    = "TDD_TEST_FAULT (test-only): expected worker_crash:POINT[:COUNT] with "
      "POINT task_start, stage_start, stage_job, stage_done or merge, got \""
      + std::string{text} + "\"";
  if (text.substr(0, kind.size()) != kind) {
    error = usage;
    return nullptr;
  }
  auto rest = text.substr(kind.size());
  const auto colon = rest.find(':');
  const auto point_name = rest.substr(0, colon);
  int32_t count = 1;
  if (colon != std::string_view::npos) {
    const auto digits = rest.substr(colon + 1);
    const auto* end = digits.data() + digits.size();
    auto [ptr, ec] = std::from_chars(digits.data(), end, count);
    if (ec != std::errc{} || ptr != end || count < 1) {
      error = usage;
      return nullptr;
    }
  }
  for (const auto& [name, point] : points) {
    if (name == point_name) {
      return std::make_shared<fault_plan>(point, count);
    }
  }
  error = usage;
  return nullptr;
}

bool fault_plan::due(fault_point at) {
  if (at != point_) {
    return false;
  }
  auto left = left_.load();
  while (left > 0) {
    if (left_.compare_exchange_weak(left, left - 1)) {
      return true;
    }
  }
  return false;
}

void inject_fault(const std::shared_ptr<fault_plan>& plan, fault_point at,
                  const std::string& worker) {
  if (plan && plan->due(at)) {
    throw std::runtime_error("injected fault (TDD_TEST_FAULT) in " + worker
                             + " at " + std::string{name_of(at)});
  }
}

} // namespace tdd
