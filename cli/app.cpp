#include "cli/commands.hpp"
#include "cli/output.hpp"

#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>

namespace tdd::cli {

namespace {

void add_global_options(CLI::App& app, global_options& opts) {
  app.add_option("--db", opts.db,
                 "SQLite database (default: .orchestrator/orchestrator.db "
                 "in the repo, or $TDD_DB)");
  app.add_option("--config", opts.config,
                 "config file (default: orchestrator.yaml at the repo root)");
  app.add_flag("--json", opts.json, "print one JSON document (data commands)");
  app.add_flag_function(
    "-v,--verbose",
    [&opts](int64_t n) { opts.verbosity += static_cast<int>(n); }, "say more");
  app.add_flag_function(
    "-q,--quiet", [&opts](int64_t) { opts.verbosity = -1; },
    "print only data and errors");
  app.set_version_flag("--version", TDD_VERSION);
}

constexpr const char* description
  = "tdd-orchestrator: drives TDD tasks (red, green, verify, refactor, "
    "commit) through AI coding agents, in parallel, safely.";

constexpr const char* footer = R"(Examples:
  orchestrator init
  orchestrator tasks import tasks.yaml
  orchestrator tasks list --status pending
  orchestrator run --workers 3
  orchestrator status --json

Exit codes: 0 ok, 1 finished with blocked tasks, 2 bad input, 3 halted,
130 interrupted. Run 'orchestrator COMMAND --help' for a command's flags.)";

} // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{description, "orchestrator"};
  app.footer(footer);
  // Global flags may follow the subcommand: unknown options fall through
  // to the parent that defines them.
  app.fallthrough();
  app.require_subcommand(1);
  global_options opts;
  add_global_options(app, opts);
  command_list commands;
  add_init_command(app, opts, commands);
  add_tasks_commands(app, opts, commands);
  add_run_command(app, opts, commands);
  add_worker_command(app, opts, commands);
  add_status_command(app, opts, commands);
  add_circuits_commands(app, opts, commands);
  add_monitor_commands(app, opts, commands);
  add_config_commands(app, opts, commands);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? exit_code::ok : exit_code::bad_input;
  }
  for (const auto& cmd : commands) {
    if (cmd.app->parsed()) {
      try {
        return cmd.run();
      } catch (const std::exception& e) {
        print_error(e.what());
        return exit_code::bad_input;
      }
    }
  }
  std::cerr << app.help();
  return exit_code::bad_input;
}

} // namespace tdd::cli
