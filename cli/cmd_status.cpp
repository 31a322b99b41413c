#include "cli/commands.hpp"
#include "cli/open_db.hpp"
#include "cli/output.hpp"
#include "messages/errc.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream>

namespace tdd::cli {

namespace {

int run_status(const global_options& opts) {
  workspace ws;
  auto db = open_database(opts, store::open_mode::read_only, &ws);
  if (!db) {
    return exit_code::bad_input;
  }
  auto counts = db->count_tasks();
  if (!counts) {
    print_error(describe(counts.error()));
    return exit_code::bad_input;
  }
  const auto& c = *counts;
  const int64_t total = c.pending + c.running + c.complete + c.blocked;
  if (opts.json) {
    print_json({{"db", ws.db_path.string()},
                {"tasks",
                 {{"total", total},
                  {"pending", c.pending},
                  {"running", c.running},
                  {"complete", c.complete},
                  {"blocked", c.blocked}}}});
    return exit_code::ok;
  }
  std::cout << "Database: " << printable(ws.db_path.string()) << "\n\n";
  table t{{"TASKS", "COUNT"},
          {{"pending", std::to_string(c.pending)},
           {"running", std::to_string(c.running)},
           {"complete", std::to_string(c.complete)},
           {"blocked", std::to_string(c.blocked)},
           {"total", std::to_string(total)}}};
  std::cout << t.render();
  if (total == 0) {
    std::cout << "\nNo tasks yet: orchestrator tasks import tasks.yaml\n";
    return exit_code::ok;
  }
  std::cout << "\nProgress: " << c.complete << " of " << total << " complete ("
            << (c.complete * 100 / total) << "%)\n";
  return exit_code::ok;
}

} // namespace

void add_status_command(CLI::App& parent, const global_options& opts,
                        command_list& out) {
  auto* app = parent.add_subcommand(
    "status", "Show tasks by status (read-only; safe while a run is active)");
  app->footer("Example:\n  orchestrator status --json");
  out.push_back({app, [&opts] { return run_status(opts); }});
}

} // namespace tdd::cli
