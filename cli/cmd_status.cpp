#include "cli/commands.hpp"
#include "cli/open_db.hpp"
#include "cli/output.hpp"
#include "cli/signals.hpp"
#include "cli/status_view.hpp"
#include "messages/errc.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <iostream>
#include <memory>
#include <sstream>

namespace tdd::cli {

namespace {

struct status_options {
  bool watch = false;
  double interval = 2;
};

/// One status page (text or JSON) from `db`; false after printing why it
/// cannot be read.
bool show_status(const global_options& opts, store::database& db,
                 const workspace& ws, std::ostream& out,
                 bool watching = false) {
  auto data = read_status(db);
  if (!data) {
    print_error(describe(data.error()));
    return false;
  }
  data->db_path = ws.db_path.string();
  if (opts.json && watching) {
    // One document per line: a stream a script can read line by line.
    out << json_line(status_json(*data));
  } else if (opts.json) {
    print_json(status_json(*data), out);
  } else {
    out << status_text(*data, std::chrono::system_clock::now());
  }
  return true;
}

int run_status(const global_options& opts, const status_options& args) {
  workspace ws;
  auto db = open_database(opts, store::open_mode::read_only, &ws);
  if (!db) {
    return exit_code::bad_input;
  }
  if (!args.watch) {
    return show_status(opts, *db, ws, std::cout) ? exit_code::ok
                                                 : exit_code::bad_input;
  }
  if (args.interval <= 0) {
    print_error("--interval must be a positive number of seconds");
    return exit_code::bad_input;
  }
  // A refreshing page on a terminal; elsewhere (a pipe, a file) one page
  // after the other, so nothing is lost. Ctrl-C or SIGTERM ends it.
  const bool tty = !opts.json && isatty(STDOUT_FILENO) == 1;
  blocked_signals signals;
  const auto wait = std::chrono::duration<double>(args.interval);
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(wait);
  const timespec pause{
    static_cast<time_t>(secs.count()),
    static_cast<long>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(wait - secs)
        .count())};
  for (bool first = true;; first = false) {
    std::ostringstream page;
    if (!show_status(opts, *db, ws, page, true)) {
      return exit_code::bad_input;
    }
    if (tty) {
      std::cout << "\x1b[H\x1b[2J" << page.str() << "\n(every " << args.interval
                << " s; Ctrl-C stops)" << std::flush;
    } else {
      std::cout << (first || opts.json ? "" : "\n") << page.str() << std::flush;
    }
    if (sigtimedwait(&signals.set(), nullptr, &pause) > 0) {
      if (tty) {
        std::cout << '\n';
      }
      return exit_code::ok;
    }
  }
}

} // namespace

void add_status_command(CLI::App& parent, const global_options& opts,
                        command_list& out) {
  auto args = std::make_shared<status_options>();
  auto* app = parent.add_subcommand(
    "status", "Show the latest run, tasks by status, workers, budget and a "
              "circuits summary (read-only; safe while a run is active)");
  app->add_flag("--watch", args->watch,
                "refresh until Ctrl-C (with --json: one document per line)");
  app
    ->add_option("--interval", args->interval,
                 "seconds between refreshes with --watch")
    ->capture_default_str();
  app->footer("Examples:\n  orchestrator status --json\n"
              "  orchestrator status --watch --interval 5");
  out.push_back({app, [&opts, args] { return run_status(opts, *args); }});
}

} // namespace tdd::cli
