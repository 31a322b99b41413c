#include "cli/plan_view.hpp"

#include "cli/output.hpp"
#include "core/run_plan.hpp"

#include <nlohmann/json.hpp>

#include <ostream>
#include <sstream>

namespace tdd::cli {

namespace {

std::string plural(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string joined(const std::vector<std::string>& xs) {
  std::string out;
  for (const auto& x : xs) {
    out += (out.empty() ? "" : ", ") + x;
  }
  return out;
}

std::string note_of(const core::planned_task& t) {
  std::string note;
  if (t.is_dependency) {
    note = "dependency of --task";
  }
  if (t.status == core::task_status::running) {
    note += (note.empty() ? "" : "; ") + std::string{"resumes (was running)"};
  }
  return note;
}

} // namespace

nlohmann::json plan_json(const core::run_plan& plan) {
  auto waves = nlohmann::json::array();
  int number = 0;
  for (const auto& wave : plan.waves) {
    auto tasks = nlohmann::json::array();
    for (const auto& t : wave.tasks) {
      tasks.push_back({{"key", t.key},
                       {"phase", t.phase},
                       {"status", core::to_string(t.status)},
                       {"depends_on", t.depends_on},
                       {"is_dependency", t.is_dependency}});
    }
    waves.push_back(
      {{"wave", ++number}, {"phase", wave.phase}, {"tasks", std::move(tasks)}});
  }
  auto unrunnable = nlohmann::json::array();
  for (const auto& u : plan.unrunnable) {
    unrunnable.push_back({{"key", u.key}, {"reason", u.reason}});
  }
  return {{"waves", std::move(waves)},
          {"unrunnable", std::move(unrunnable)},
          {"already_complete", plan.already_complete},
          {"order", plan.order()},
          {"task_count", plan.task_count()}};
}

std::string plan_text(const core::run_plan& plan) {
  std::ostringstream out;
  const size_t count = plan.task_count();
  if (count == 0) {
    out << "Plan: nothing to run.\n";
  } else {
    out << "Plan: " << plural(count, "task", "tasks") << " in "
        << plural(plan.waves.size(), "wave", "waves") << "\n\n";
    table t{{"WAVE", "PHASE", "TASK", "DEPENDS ON", "NOTE"}, {}};
    int number = 0;
    for (const auto& wave : plan.waves) {
      ++number;
      for (const auto& task : wave.tasks) {
        t.rows.push_back(
          {std::to_string(number), std::to_string(wave.phase), task.key,
           task.depends_on.empty() ? "-" : joined(task.depends_on),
           note_of(task)});
      }
    }
    out << t.render();
  }
  if (!plan.unrunnable.empty()) {
    out << "\nWill not run (" << plan.unrunnable.size() << "):\n";
    table t{{"TASK", "REASON"}, {}};
    for (const auto& u : plan.unrunnable) {
      t.rows.push_back({u.key, u.reason});
    }
    out << t.render();
  }
  if (!plan.already_complete.empty()) {
    out << "\nAlready complete: " << printable(joined(plan.already_complete))
        << '\n';
  }
  return out.str();
}

void print_plan(const core::run_plan& plan, bool json, std::ostream& out) {
  if (json) {
    print_json({{"plan", plan_json(plan)}}, out);
  } else {
    out << plan_text(plan);
  }
}

} // namespace tdd::cli
