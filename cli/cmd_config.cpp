#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/settings.hpp"
#include "config/config_loader.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream>

namespace tdd::cli {

namespace {

int run_config_show(const global_options& opts) {
  const auto loaded = load_settings(opts);
  if (!loaded) {
    return exit_code::bad_input;
  }
  const auto rows = config::describe(*loaded);
  if (opts.json) {
    nlohmann::json doc = nlohmann::json::object();
    for (const auto& row : rows) {
      doc[row.key] = {{"value", row.value}, {"source", row.source}};
    }
    print_json({{"config", doc}});
    return exit_code::ok;
  }
  table t{{"KEY", "VALUE", "SOURCE"}, {}};
  for (const auto& row : rows) {
    t.rows.push_back({row.key, row.value, row.source});
  }
  std::cout << t.render();
  return exit_code::ok;
}

} // namespace

void add_config_commands(CLI::App& parent, const global_options& opts,
                         command_list& out) {
  auto* config = parent.add_subcommand("config", "Inspect the configuration");
  config->require_subcommand(1);
  auto* show = config->add_subcommand(
    "show", "Print the effective configuration and where each value came "
            "from (secrets masked)");
  show->footer("Precedence: defaults < orchestrator.yaml < environment "
               "(TDD_*, SLACK_WEBHOOK_URL) < flags.\n\nExample:\n"
               "  TDD_MAX_WORKERS=5 orchestrator config show --json");
  out.push_back({show, [&opts] { return run_config_show(opts); }});
}

} // namespace tdd::cli
