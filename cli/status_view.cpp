#include "cli/status_view.hpp"

#include "cli/live_run.hpp"
#include "cli/output.hpp"
#include "core/budget.hpp"
#include "store/database.hpp"
#include "store/time_text.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <sstream>
#include <utility>

namespace tdd::cli {

namespace {

nlohmann::json text_or_null(const std::string& text) {
  return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
}

bool is_active(const run_row& run) {
  return run.status == "active";
}

nlohmann::json run_json(const run_row& r, bool alive) {
  return {{"id", r.id},
          {"status", r.status},
          {"alive", is_active(r) && alive},
          {"pid", r.pid},
          {"host", r.host},
          {"target_branch", r.target_branch},
          {"started_at", r.started_at},
          {"finished_at", text_or_null(r.finished_at)},
          {"exit_code", r.exit_code ? nlohmann::json(*r.exit_code)
                                    : nlohmann::json(nullptr)},
          {"halt_reason", text_or_null(r.halt_reason)}};
}

nlohmann::json budget_json(const budget_row& b) {
  const core::budget budget{b.limits, b.usage};
  return {{"max_invocations", b.limits.max_invocations},
          {"invocations_used", b.usage.invocations},
          {"max_cost_usd_micros", b.limits.max_cost_micros
                                    ? nlohmann::json(*b.limits.max_cost_micros)
                                    : nlohmann::json(nullptr)},
          {"cost_usd_micros", b.usage.cost_micros},
          {"tokens", b.usage.tokens},
          {"invocations_remaining", budget.invocations_remaining()}};
}

int64_t open_circuits(const core::health_input& c) {
  return c.stage.open + c.worker.open + c.system.open;
}

nlohmann::json levels_json(const core::health_input& c) {
  auto level = [](const core::state_counts& n) {
    return nlohmann::json{
      {"closed", n.closed}, {"open", n.open}, {"half_open", n.half_open}};
  };
  return {{"stage", level(c.stage)},
          {"worker", level(c.worker)},
          {"system", level(c.system)}};
}

/// The id `circuits reset` takes: stage:TASK:STAGE, worker:ID, system.
std::string circuit_id(const store::breaker_state& b) {
  return core::display_id(
    core::parse_circuit_level(b.level).value_or(core::circuit_level::stage),
    b.id);
}

nlohmann::json unclosed_json(const std::vector<store::breaker_state>& xs) {
  auto out = nlohmann::json::array();
  for (const auto& b : xs) {
    out.push_back({{"id", circuit_id(b)},
                   {"state", b.state},
                   {"since", b.since.empty() ? nlohmann::json(nullptr)
                                             : nlohmann::json(b.since)}});
  }
  return out;
}

int64_t half_open_circuits(const core::health_input& c) {
  return c.stage.half_open + c.worker.half_open + c.system.half_open;
}

/// "3s ago", "5m ago", "2h ago", "4d ago"; the stored text if unparsable.
std::string age_text(const std::string& at, core::wall_time now) {
  const auto t = store::parse_time(at);
  if (!t) {
    return at;
  }
  using namespace std::chrono;
  const auto s = std::max<int64_t>(0, duration_cast<seconds>(now - *t).count());
  if (s < 120) {
    return std::to_string(s) + "s ago";
  }
  if (s < 7200) {
    return std::to_string(s / 60) + "m ago";
  }
  if (s < 172800) {
    return std::to_string(s / 3600) + "h ago";
  }
  return std::to_string(s / 86400) + "d ago";
}

std::string run_text(const run_row& r, bool alive) {
  std::ostringstream out;
  const auto where = std::to_string(r.pid) + "@" + printable(r.host);
  out << "Run " << r.id << ": " << printable(r.status);
  if (r.exit_code) {
    out << " (exit " << *r.exit_code << ")";
  }
  out << ", pid " << where << ", target " << printable(r.target_branch)
      << "\n  started " << printable(r.started_at);
  if (!r.finished_at.empty()) {
    out << ", finished " << printable(r.finished_at);
  }
  out << '\n';
  if (!r.halt_reason.empty()) {
    out << "  Reason: " << printable(r.halt_reason) << '\n';
  }
  if (is_active(r) && !alive) {
    out << "  Its process (pid " << where << ") is gone: the run was "
        << "interrupted; 'orchestrator run --resume' continues it.\n";
  }
  return out.str();
}

std::string tasks_text(const task_counts& c) {
  const int64_t total = c.pending + c.running + c.complete + c.blocked;
  table t{{"TASKS", "COUNT"},
          {{"pending", std::to_string(c.pending)},
           {"running", std::to_string(c.running)},
           {"complete", std::to_string(c.complete)},
           {"blocked", std::to_string(c.blocked)},
           {"total", std::to_string(total)}}};
  std::string out = t.render();
  if (total == 0) {
    return out + "\nNo tasks yet: orchestrator tasks import tasks.yaml\n";
  }
  return out + "\nProgress: " + std::to_string(c.complete) + " of "
         + std::to_string(total) + " complete ("
         + std::to_string(c.complete * 100 / total) + "%)\n";
}

std::string workers_text(const std::vector<worker_row>& workers,
                         core::wall_time now) {
  table t{{"WORKER", "STATE", "TASK", "STAGE", "RESTARTS", "HEARTBEAT"}, {}};
  for (const auto& w : workers) {
    t.rows.push_back(
      {w.id, w.state, w.current_task.empty() ? "-" : w.current_task,
       w.current_stage.empty() ? "-" : w.current_stage,
       std::to_string(w.restarts), age_text(w.heartbeat_at, now)});
  }
  return t.render();
}

std::string nodes_text(const std::vector<node_row>& nodes,
                       core::wall_time now) {
  table t{{"NODE", "HOST", "STATE", "WORKERS", "HEARTBEAT"}, {}};
  for (const auto& n : nodes) {
    t.rows.push_back({n.id, n.host.empty() ? "-" : n.host, n.state,
                      std::to_string(n.workers),
                      age_text(n.heartbeat_at, now)});
  }
  return t.render();
}

nlohmann::json nodes_json(const std::vector<node_row>& nodes) {
  auto out = nlohmann::json::array();
  for (const auto& n : nodes) {
    out.push_back({{"id", n.id},
                   {"host", n.host},
                   {"address", n.address},
                   {"state", n.state},
                   {"workers", n.workers},
                   {"connected_at", n.connected_at},
                   {"heartbeat_at", n.heartbeat_at}});
  }
  return out;
}

/// The nodes `status` shows: connected ones, and those connected or heard
/// of since `run` started (stored times are ISO-8601 text: text order is
/// time order).
std::vector<node_row> nodes_of(std::vector<node_row> all,
                               const std::optional<run_row>& run) {
  std::vector<node_row> result;
  for (auto& n : all) {
    const bool is_recent = run
                           && (n.connected_at >= run->started_at
                               || n.heartbeat_at >= run->started_at);
    if (n.state == "connected" || is_recent) {
      result.push_back(std::move(n));
    }
  }
  return result;
}

std::string budget_text(const budget_row& b) {
  const core::budget budget{b.limits, b.usage};
  std::string out = "Budget: " + std::to_string(b.usage.invocations) + " of "
                    + std::to_string(b.limits.max_invocations)
                    + " agent calls used, cost "
                    + core::format_dollars(b.usage.cost_micros);
  out += b.limits.max_cost_micros
           ? " of " + core::format_dollars(*b.limits.max_cost_micros)
           : std::string{" (no cost cap)"};
  out += ", " + std::to_string(b.usage.tokens) + " tokens\n";
  if (budget.is_exhausted()) {
    out += "  Spent: " + budget.exhausted_reason() + "\n";
  }
  return out;
}

std::string circuits_text(const core::health_input& c) {
  const auto report = core::evaluate_health(c);
  std::string out = "Circuits: " + core::to_string(report.status) + " ("
                    + std::to_string(open_circuits(c)) + " open, "
                    + std::to_string(half_open_circuits(c)) + " half_open, "
                    + std::to_string(c.flapping) + " flapping)";
  if (report.status != core::health_status::healthy) {
    out += ": orchestrator circuits health";
  }
  return out + '\n';
}

/// Whether `x.run` is alive, its workers and its budget.
caf::error read_run_details(store::database& db, status_data& x) {
  const int64_t run_id = x.run->id;
  if (is_active(*x.run)) {
    x.run_alive = live_run(db).has_value();
  }
  auto workers = db.list_workers();
  if (!workers) {
    return std::move(workers.error());
  }
  for (auto& w : *workers) {
    if (w.run_id == run_id) {
      x.workers.push_back(std::move(w));
    }
  }
  auto budget = db.budget_of(run_id);
  if (!budget) {
    return std::move(budget.error());
  }
  x.budget = *budget;
  return caf::none;
}

} // namespace

caf::expected<status_data> read_status(store::database& db) {
  status_data x;
  x.db_path = db.path();
  auto counts = db.count_tasks();
  if (!counts) {
    return std::move(counts.error());
  }
  x.tasks = *counts;
  auto circuits = db.circuit_health_input();
  if (!circuits) {
    return std::move(circuits.error());
  }
  x.circuits = *circuits;
  auto unclosed = db.unclosed_circuits();
  if (!unclosed) {
    return std::move(unclosed.error());
  }
  x.unclosed = std::move(*unclosed);
  auto run = db.latest_run();
  if (!run) {
    return std::move(run.error());
  }
  auto nodes = db.list_nodes(); // one row per join: a small table
  if (!nodes) {
    return std::move(nodes.error());
  }
  x.nodes = nodes_of(std::move(*nodes), *run);
  if (!*run) {
    return x;
  }
  x.run = **run;
  if (auto err = read_run_details(db, x)) {
    return err;
  }
  return x;
}

nlohmann::json status_json(const status_data& x) {
  const auto& c = x.tasks;
  auto workers = nlohmann::json::array();
  for (const auto& w : x.workers) {
    workers.push_back({{"id", w.id},
                       {"node", text_or_null(w.node)},
                       {"state", w.state},
                       {"task", text_or_null(w.current_task)},
                       {"stage", text_or_null(w.current_stage)},
                       {"restarts", w.restarts},
                       {"heartbeat_at", w.heartbeat_at}});
  }
  return {
    {"db", x.db_path},
    {"tasks",
     {{"total", c.pending + c.running + c.complete + c.blocked},
      {"pending", c.pending},
      {"running", c.running},
      {"complete", c.complete},
      {"blocked", c.blocked}}},
    {"run", x.run ? run_json(*x.run, x.run_alive) : nlohmann::json(nullptr)},
    {"workers", std::move(workers)},
    {"nodes", nodes_json(x.nodes)},
    {"budget", x.budget ? budget_json(*x.budget) : nlohmann::json(nullptr)},
    {"circuits",
     {{"open", open_circuits(x.circuits)},
      {"half_open", half_open_circuits(x.circuits)},
      {"flapping", x.circuits.flapping},
      {"by_level", levels_json(x.circuits)},
      {"not_closed", unclosed_json(x.unclosed)},
      {"health", core::to_string(core::evaluate_health(x.circuits).status)}}}};
}

std::string status_text(const status_data& x, core::wall_time now) {
  std::ostringstream out;
  out << "Database: " << printable(x.db_path) << "\n\n";
  if (x.run) {
    out << run_text(*x.run, x.run_alive);
  } else {
    out << "No run yet: orchestrator run\n";
  }
  out << '\n' << tasks_text(x.tasks);
  if (!x.workers.empty()) {
    out << '\n' << workers_text(x.workers, now);
  }
  if (!x.nodes.empty()) {
    out << '\n' << nodes_text(x.nodes, now);
  }
  out << '\n';
  if (x.budget) {
    out << budget_text(*x.budget);
  }
  out << circuits_text(x.circuits);
  // The longest-open few, by name: what `circuits reset` needs.
  constexpr size_t shown = 5;
  for (size_t i = 0; i < x.unclosed.size() && i < shown; ++i) {
    const auto& b = x.unclosed[i];
    out << "  " << printable(circuit_id(b)) << ' ' << b.state
        << (b.since.empty() ? "" : " since " + b.since) << '\n';
  }
  if (x.unclosed.size() > shown) {
    out << "  and " << x.unclosed.size() - shown
        << " more: orchestrator circuits status --state open\n";
  }
  return out.str();
}

} // namespace tdd::cli
