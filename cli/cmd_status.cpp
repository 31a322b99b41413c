#include "cli/commands.hpp"
#include "cli/open_db.hpp"
#include "cli/output.hpp"
#include "cli/status_view.hpp"
#include "messages/errc.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <iostream>

namespace tdd::cli {

namespace {

int run_status(const global_options& opts) {
  workspace ws;
  auto db = open_database(opts, store::open_mode::read_only, &ws);
  if (!db) {
    return exit_code::bad_input;
  }
  auto data = read_status(*db);
  if (!data) {
    print_error(describe(data.error()));
    return exit_code::bad_input;
  }
  data->db_path = ws.db_path.string();
  if (opts.json) {
    print_json(status_json(*data));
  } else {
    std::cout << status_text(*data, std::chrono::system_clock::now());
  }
  return exit_code::ok;
}

} // namespace

void add_status_command(CLI::App& parent, const global_options& opts,
                        command_list& out) {
  auto* app = parent.add_subcommand(
    "status", "Show the latest run, tasks by status, workers, budget and a "
              "circuits summary (read-only; safe while a run is active)");
  app->footer("Example:\n  orchestrator status --json");
  out.push_back({app, [&opts] { return run_status(opts); }});
}

} // namespace tdd::cli
