#include "cli/circuit_view.hpp"

#include "core/circuit_breaker.hpp"
#include "messages/errc.hpp"
#include "store/database.hpp"
#include "store/time_text.hpp"

#include <nlohmann/json.hpp>

#include <sstream>

namespace tdd::cli {

namespace {

nlohmann::json time_json(const std::optional<core::wall_time>& t) {
  return t ? nlohmann::json(store::format_time(*t)) : nlohmann::json(nullptr);
}

std::string time_cell(const std::optional<core::wall_time>& t) {
  return t ? store::format_time(*t) : "-";
}

nlohmann::json counts_json(const core::state_counts& c) {
  return {{"closed", c.closed}, {"open", c.open}, {"half_open", c.half_open}};
}

} // namespace

std::vector<core::circuit_snapshot>
circuit_filter::apply(const std::vector<core::circuit_snapshot>& all) const {
  std::vector<core::circuit_snapshot> out;
  for (const auto& c : all) {
    if ((!level || c.level == *level) && (!state || c.state == *state)) {
      out.push_back(c);
    }
  }
  return out;
}

bool parse_filter(const std::string& level, const std::string& state,
                  circuit_filter& out) {
  if (!level.empty()) {
    out.level = core::parse_circuit_level(level);
    if (!out.level) {
      print_error("--level: unknown level \"" + printable(level)
                  + "\"; expected stage, worker or system");
      return false;
    }
  }
  if (!state.empty()) {
    out.state = core::parse_circuit_state(state);
    if (!out.state) {
      print_error("--state: unknown state \"" + printable(state)
                  + "\"; expected closed, open or half_open");
      return false;
    }
  }
  return true;
}

nlohmann::json circuits_json(const std::vector<core::circuit_snapshot>& xs,
                             core::wall_time now) {
  auto out = nlohmann::json::array();
  for (const auto& c : xs) {
    out.push_back({{"id", core::display_id(c.level, c.identifier)},
                   {"level", core::to_string(c.level)},
                   {"identifier", c.identifier},
                   {"state", core::to_string(c.state)},
                   {"failure_count", c.failure_count},
                   {"consecutive_failures", c.consecutive_failures},
                   {"success_count", c.success_count},
                   {"extensions", c.extensions},
                   {"opened_at", time_json(c.opened_at)},
                   {"half_open_at", time_json(c.half_open_at)},
                   {"last_failure_at", time_json(c.last_failure_at)},
                   {"last_change_at", time_json(c.last_change_at)},
                   {"flapping", core::is_flapping(c, now)},
                   {"version", c.version}});
  }
  return out;
}

table circuits_table(const std::vector<core::circuit_snapshot>& xs,
                     core::wall_time now) {
  table t{{"CIRCUIT", "STATE", "FAILURES", "CONSECUTIVE", "OPENED",
           "LAST CHANGE", "FLAPPING"},
          {}};
  for (const auto& c : xs) {
    t.rows.push_back({core::display_id(c.level, c.identifier),
                      core::to_string(c.state), std::to_string(c.failure_count),
                      std::to_string(c.consecutive_failures),
                      time_cell(c.opened_at), time_cell(c.last_change_at),
                      core::is_flapping(c, now) ? "yes" : "no"});
  }
  return t;
}

health_check check_health(store::database* db, std::string why) {
  health_check x;
  if (db != nullptr) {
    auto read = db->circuit_health_input();
    if (read) {
      x.input = *read;
      x.report = core::evaluate_health(x.input);
      return x;
    }
    why = describe(read.error());
  }
  x.report.status = core::health_status::unknown;
  x.report.reasons = {std::move(why)};
  return x;
}

nlohmann::json health_json(const core::health_report& report,
                           const core::health_input& input,
                           const std::string& checked_at) {
  return {{"status", core::to_string(report.status)},
          {"reasons", report.reasons},
          {"circuits",
           {{"stage", counts_json(input.stage)},
            {"worker", counts_json(input.worker)},
            {"system", counts_json(input.system)}}},
          {"flapping", input.flapping},
          {"checked_at", checked_at}};
}

std::string health_text(const core::health_report& report,
                        const core::health_input& input) {
  std::ostringstream out;
  out << core::to_string(report.status) << '\n';
  for (const auto& reason : report.reasons) {
    out << "  - " << printable(reason) << '\n';
  }
  if (report.status == core::health_status::unknown) {
    return out.str();
  }
  table t{{"LEVEL", "CLOSED", "OPEN", "HALF_OPEN"}, {}};
  auto row = [&t](const char* name, const core::state_counts& c) {
    t.rows.push_back({name, std::to_string(c.closed), std::to_string(c.open),
                      std::to_string(c.half_open)});
  };
  row("stage", input.stage);
  row("worker", input.worker);
  row("system", input.system);
  out << '\n' << t.render() << "flapping: " << input.flapping << '\n';
  return out.str();
}

} // namespace tdd::cli
