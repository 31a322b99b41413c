#pragma once

#include "cli/workspace.hpp"

#include <functional>
#include <vector>

namespace CLI {
class App;
} // namespace CLI

namespace tdd::cli {

/// A subcommand: its CLI11 parser and what runs when the user chose it.
/// `run` returns the process exit code (SPEC.md section 3).
struct command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

using command_list = std::vector<command>;

// Each adds its subcommand(s) to `parent`; the callbacks read `opts`
// after parsing, so global flags given after the subcommand count too.
void add_init_command(CLI::App& parent, const global_options& opts,
                      command_list& out);
void add_tasks_commands(CLI::App& parent, const global_options& opts,
                        command_list& out);
/// `tasks retry`, added under the `tasks` command.
void add_retry_command(CLI::App& tasks, const global_options& opts,
                       command_list& out);
void add_config_commands(CLI::App& parent, const global_options& opts,
                         command_list& out);
void add_circuits_commands(CLI::App& parent, const global_options& opts,
                           command_list& out);
/// `run` (cli/cmd_run.cpp).
void add_run_command(CLI::App& parent, const global_options& opts,
                     command_list& out);
void add_status_command(CLI::App& parent, const global_options& opts,
                        command_list& out);
/// `worker --connect` (cli/cmd_worker.cpp): join a run as a node.
void add_worker_command(CLI::App& parent, const global_options& opts,
                        command_list& out);
/// `metrics` and `serve` (cli/cmd_monitor.cpp).
void add_monitor_commands(CLI::App& parent, const global_options& opts,
                          command_list& out);

/// Parses argv and runs the chosen command; returns the exit code.
int run_cli(int argc, char** argv);

/// Exit codes users script against (SPEC.md section 3).
namespace exit_code {
inline constexpr int ok = 0;
inline constexpr int blocked = 1;
inline constexpr int bad_input = 2;
inline constexpr int halted = 3;
inline constexpr int interrupted = 130;
} // namespace exit_code

} // namespace tdd::cli
