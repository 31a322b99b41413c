#include "cli/circuit_view.hpp"
#include "cli/commands.hpp"
#include "cli/open_db.hpp"
#include "cli/output.hpp"
#include "core/health.hpp"
#include "messages/errc.hpp"
#include "store/time_text.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <iostream>
#include <memory>

namespace fs = std::filesystem;

namespace tdd::cli {

namespace {

core::wall_time now() {
  return std::chrono::system_clock::now();
}

struct status_options {
  std::string level;
  std::string state;
};

int run_circuits_status(const global_options& opts,
                        const status_options& args) {
  circuit_filter filter;
  if (!parse_filter(args.level, args.state, filter)) {
    return exit_code::bad_input;
  }
  auto db = open_database(opts, store::open_mode::read_only);
  if (!db) {
    return exit_code::bad_input;
  }
  const auto at = now();
  auto circuits = db->load_circuits(at);
  if (!circuits) {
    print_error(describe(circuits.error()));
    return exit_code::bad_input;
  }
  const auto shown = filter.apply(*circuits);
  if (opts.json) {
    print_json({{"circuits", circuits_json(shown, at)}});
    return exit_code::ok;
  }
  if (shown.empty()) {
    std::cout << (circuits->empty() ? "No circuits yet: they appear once a "
                                      "run records a stage or worker outcome.\n"
                                    : "No circuits match.\n");
    return exit_code::ok;
  }
  std::cout << circuits_table(shown, at).render();
  return exit_code::ok;
}

int run_circuits_health(const global_options& opts) {
  const auto at = now();
  std::string why_unknown;
  auto db = open_database_quietly(opts, why_unknown);
  auto [report, input] = check_health(db ? &*db : nullptr, why_unknown);
  if (opts.json) {
    print_json(health_json(report, input, store::format_time(at)));
  } else {
    std::cout << health_text(report, input);
  }
  return core::exit_code(report.status);
}

int run_circuits_reset(const global_options& opts, const reset_options& args) {
  auto db = open_database(opts, store::open_mode::read_write);
  if (!db) {
    return exit_code::bad_input;
  }
  const auto at = now();
  std::vector<core::circuit_ref> targets;
  if (int code = resolve_reset_targets(*db, args, at, targets);
      code != exit_code::ok) {
    return code;
  }
  return apply_reset(opts, *db, targets, args.id == "all", at);
}

} // namespace

void add_circuits_commands(CLI::App& parent, const global_options& opts,
                           command_list& out) {
  auto* circuits = parent.add_subcommand(
    "circuits", "Inspect and reset the stage, worker and system circuit "
                "breakers");
  circuits->require_subcommand(1);

  auto status_args = std::make_shared<status_options>();
  auto* status = circuits->add_subcommand(
    "status", "Table of circuits: level, state, failures, when they opened");
  status->add_option("--level", status_args->level,
                     "only this level: stage, worker, system");
  status->add_option("--state", status_args->state,
                     "only this state: closed, open, half_open");
  status->footer("Example:\n  orchestrator circuits status --state open");
  out.push_back({status, [&opts, status_args] {
                   return run_circuits_status(opts, *status_args);
                 }});

  auto* health = circuits->add_subcommand(
    "health", "HEALTHY / DEGRADED / UNHEALTHY / UNKNOWN and why; exits "
              "0 / 1 / 2 / 3 like a monitoring plugin");
  health->footer("Example:\n  orchestrator circuits health --json\n\n"
                 "UNHEALTHY: the system circuit is open, or 3+ circuits are "
                 "open. DEGRADED: any circuit open, half_open or flapping. "
                 "UNKNOWN: the database is missing or unreadable.");
  out.push_back({health, [&opts] { return run_circuits_health(opts); }});

  auto reset_args = std::make_shared<reset_options>();
  auto* reset = circuits->add_subcommand(
    "reset", "Close a circuit and zero its counters (recorded as "
             "manual_reset); a live run applies it within 2 s");
  reset
    ->add_option("ID", reset_args->id,
                 "stage:TASK:STAGE, worker:ID, system, or all")
    ->required();
  reset->add_flag("--force", reset_args->force,
                  "reset all without asking (needed for 'all' when not on a "
                  "terminal)");
  reset->footer("Examples:\n  orchestrator circuits reset stage:CALC-1:green\n"
                "  orchestrator circuits reset worker:worker_2\n"
                "  orchestrator circuits reset all --force");
  out.push_back({reset, [&opts, reset_args] {
                   return run_circuits_reset(opts, *reset_args);
                 }});
}

} // namespace tdd::cli
