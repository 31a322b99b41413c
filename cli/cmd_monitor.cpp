// `orchestrator metrics` and `orchestrator serve` (SPEC.md 3 and 6).

#include "actors/http_server.hpp"
#include "actors/metrics.hpp"
#include "actors/metrics_registry.hpp"
#include "cli/actor_config.hpp"
#include "cli/commands.hpp"
#include "cli/monitor_views.hpp"
#include "cli/open_db.hpp"
#include "cli/output.hpp"
#include "cli/signals.hpp"
#include "messages/all.hpp"
#include "messages/errc.hpp"

#include <CLI/CLI.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>

#include <filesystem>
#include <iostream>

namespace tdd::cli {

namespace {

int run_metrics(const global_options& opts) {
  auto db = open_database(opts, store::open_mode::read_only);
  if (!db) {
    return exit_code::bad_input;
  }
  metrics_registry registry;
  auto text = registry.scrape(*db);
  if (!text) {
    print_error(describe(text.error()));
    return exit_code::bad_input;
  }
  std::cout << *text;
  return exit_code::ok;
}

int run_serve(const global_options& opts, const std::string& bind) {
  auto address = parse_http_address(bind);
  if (!address) {
    print_error("--bind: " + describe(address.error()));
    return exit_code::bad_input;
  }
  std::string error;
  auto ws = resolve_workspace(opts, error);
  if (!ws) {
    print_error(error);
    return exit_code::bad_input;
  }
  std::error_code ec;
  if (!std::filesystem::exists(ws->db_path, ec)) {
    // Served anyway: /healthz then says UNKNOWN (503), as a monitor should
    // see it, and picks the database up once `init` creates it.
    print_error("warning: no database at " + ws->db_path.string()
                + " yet; /healthz answers UNKNOWN until there is one");
  }
  blocked_signals signals; // before the actor system starts its threads
  caf::actor_system_config cfg;
  configure_actor_system(cfg);
  caf::actor_system sys{cfg};
  auto endpoints = start_monitoring(sys, ws->db_path.string(), *address);
  if (!endpoints) {
    print_error("--bind: " + describe(endpoints.error()));
    return exit_code::bad_input;
  }
  std::cerr << "serving " << endpoints->server->url()
            << "/metrics, /healthz and /api/status from "
            << ws->db_path.string() << " (Ctrl-C stops)" << std::endl;
  if (!is_loopback(address->host)) {
    std::cerr << "note: listening beyond this host on " << address->host
              << "; the endpoints are read-only and unauthenticated"
              << std::endl;
  }
  int sig = 0;
  sigwait(&signals.set(), &sig);
  endpoints->server.reset(); // no request reaches the handler any more
  caf::scoped_actor self{sys};
  self->send_exit(endpoints->handler, caf::exit_reason::user_shutdown);
  return exit_code::ok;
}

} // namespace

void add_monitor_commands(CLI::App& parent, const global_options& opts,
                          command_list& out) {
  auto* metrics = parent.add_subcommand(
    "metrics", "Print the Prometheus exposition (text format 0.0.4) once, "
               "from the database (read-only; safe while a run is active)");
  metrics->footer("Example:\n  orchestrator metrics | promtool check metrics");
  out.push_back({metrics, [&opts] { return run_metrics(opts); }});

  auto bind = std::make_shared<std::string>("127.0.0.1:8420");
  auto* serve = parent.add_subcommand(
    "serve", "Serve GET /metrics, /healthz and /api/status from the database "
             "until Ctrl-C or SIGTERM, with or without a run");
  serve
    ->add_option("--bind", *bind,
                 "HOST:PORT to listen on (port 0 picks a free one)")
    ->capture_default_str();
  serve->footer("Example:\n  orchestrator serve --bind 127.0.0.1:8420\n"
                "  curl -s http://127.0.0.1:8420/healthz\n\n"
                "/healthz answers 200 when HEALTHY or DEGRADED, 503 when "
                "UNHEALTHY or UNKNOWN.");
  out.push_back({serve, [&opts, bind] { return run_serve(opts, *bind); }});
}

} // namespace tdd::cli
