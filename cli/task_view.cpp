#include "cli/task_view.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <sstream>

namespace tdd::cli {

namespace {

std::string join(const std::vector<std::string>& xs, const char* sep) {
  std::string out;
  for (size_t i = 0; i < xs.size(); ++i) {
    out += (i > 0 ? sep : "") + xs[i];
  }
  return out;
}

} // namespace

std::string format_usd(int64_t micros) {
  const bool negative = micros < 0;
  const int64_t cents = ((negative ? -micros : micros) + 5000) / 10000;
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%s$%lld.%02lld", negative ? "-" : "",
                static_cast<long long>(cents / 100),
                static_cast<long long>(cents % 100));
  return buf;
}

std::string format_duration_ms(int64_t ms) {
  char buf[48];
  if (ms < 1000) {
    std::snprintf(buf, sizeof(buf), "%lldms", static_cast<long long>(ms));
  } else if (ms < 60'000) {
    std::snprintf(buf, sizeof(buf), "%.1fs", static_cast<double>(ms) / 1000.0);
  } else {
    const long long s = ms / 1000;
    std::snprintf(buf, sizeof(buf), "%lldm%02llds", s / 60, s % 60);
  }
  return buf;
}

nlohmann::json task_json(const task_row& row) {
  const auto& s = row.spec;
  return {{"key", s.key},
          {"title", s.title},
          {"goal", s.goal},
          {"acceptance", s.acceptance},
          {"test_file", s.test_file},
          {"impl_file", s.impl_file},
          {"verify", s.verify},
          {"verify_all", s.verify_all.empty() ? s.verify : s.verify_all},
          {"depends_on", s.depends_on},
          {"phase", s.phase},
          {"complexity", core::to_string(s.complexity)},
          {"status", core::to_string(row.status)},
          {"blocked_reason", row.blocked_reason.empty()
                               ? nlohmann::json(nullptr)
                               : nlohmann::json(row.blocked_reason)},
          {"current_stage", row.current_stage.empty()
                              ? nlohmann::json(nullptr)
                              : nlohmann::json(row.current_stage)},
          {"claimed_by", row.claimed_by.empty()
                           ? nlohmann::json(nullptr)
                           : nlohmann::json(row.claimed_by)},
          {"created_at", row.created_at},
          {"updated_at", row.updated_at}};
}

nlohmann::json attempts_json(const std::vector<attempt_row>& attempts) {
  auto out = nlohmann::json::array();
  for (const auto& a : attempts) {
    out.push_back({{"stage", a.stage},
                   {"attempt", a.attempt},
                   {"worker", a.worker_id},
                   {"started_at", a.started_at},
                   {"duration_ms", a.duration_ms},
                   {"outcome", a.outcome},
                   {"reason", a.reason},
                   {"cost_usd_micros", a.cost_micros},
                   {"tokens", a.tokens},
                   {"log", a.log_path}});
  }
  return out;
}

table task_table(const std::vector<task_row>& rows) {
  table t{{"KEY", "STATUS", "PHASE", "DEPENDS ON", "TITLE"}, {}};
  for (const auto& row : rows) {
    std::string status = core::to_string(row.status);
    if (!row.blocked_reason.empty()) {
      status += " (" + row.blocked_reason + ")";
    } else if (!row.current_stage.empty()) {
      status += " (" + row.current_stage + ")";
    }
    const auto& deps = row.spec.depends_on;
    t.rows.push_back({row.spec.key, status, std::to_string(row.spec.phase),
                      deps.empty() ? "-" : join(deps, ","), row.spec.title});
  }
  return t;
}

std::string task_details(const task_row& row,
                         const std::vector<attempt_row>& attempts) {
  const auto& s = row.spec;
  table fields{{"FIELD", "VALUE"}, {}};
  auto add = [&fields](const char* name, const std::string& value) {
    if (!value.empty()) {
      fields.rows.push_back({name, value});
    }
  };
  add("key", s.key);
  add("title", s.title);
  add("status", core::to_string(row.status));
  add("blocked reason", row.blocked_reason);
  add("current stage", row.current_stage);
  add("claimed by", row.claimed_by);
  add("goal", s.goal);
  for (const auto& a : s.acceptance) {
    add("acceptance", a);
  }
  add("test file", s.test_file);
  add("impl file", s.impl_file);
  add("verify", s.verify);
  add("verify all", s.verify_all);
  add("depends on", join(s.depends_on, ", "));
  add("phase", std::to_string(s.phase));
  add("complexity", core::to_string(s.complexity));
  add("created", row.created_at);
  add("updated", row.updated_at);
  std::ostringstream out;
  out << fields.render();
  if (attempts.empty()) {
    out << "\nNo attempts yet.\n";
    return out.str();
  }
  table tries{{"STAGE", "#", "OUTCOME", "REASON", "DURATION", "COST", "LOG"},
              {}};
  for (const auto& a : attempts) {
    tries.rows.push_back({a.stage, std::to_string(a.attempt), a.outcome,
                          a.reason.empty() ? "-" : a.reason,
                          format_duration_ms(a.duration_ms),
                          format_usd(a.cost_micros), a.log_path});
  }
  out << "\nAttempts:\n" << tries.render();
  return out.str();
}

} // namespace tdd::cli
