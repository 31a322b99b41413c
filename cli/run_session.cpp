#include "cli/run_session.hpp"

#include "actors/circuit_hub.hpp"
#include "actors/coordinator.hpp"
#include "actors/gateway.hpp"
#include "actors/http_server.hpp"
#include "actors/metrics.hpp"
#include "actors/notifier.hpp"
#include "cli/actor_config.hpp"
#include "cli/memory_trim.hpp"
#include "cli/monitor_views.hpp"
#include "cli/output.hpp"
#include "cli/progress_view.hpp"
#include "cli/signals.hpp"
#include "messages/all.hpp"
#include "messages/errc.hpp"
#include "store/persistence.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <pthread.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <iostream>
#include <memory>

namespace fs = std::filesystem;

namespace tdd::cli {

namespace {

size_t terminal_columns() {
  winsize w{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_col > 0) {
    return w.ws_col;
  }
  return 0;
}

/// The progress actor: feeds the view (if any), redraws a live view every
/// second, and forwards every event to the Slack notifier (if any).
caf::behavior progress_actor(caf::event_based_actor* self,
                             std::shared_ptr<progress_view> view, bool live,
                             notifier_actor notifier) {
  if (live) {
    self->delayed_send(self, std::chrono::seconds{1}, atom::tick_v);
  }
  return {
    [=](atom::progress, const progress_event& e) {
      if (view) {
        view->on_event(e);
      }
      if (notifier) {
        self->send(notifier, atom::progress_v, e);
      }
    },
    // Answered after every event sent before it has been forwarded.
    [=](atom::flush) { return true; },
    [=](atom::tick) {
      view->refresh(caf::timestamp{std::chrono::system_clock::now()});
      self->delayed_send(self, std::chrono::seconds{1}, atom::tick_v);
    },
  };
}

/// `run --http`: the monitoring endpoints for the whole run. cmd_run
/// checked the address; if it cannot be bound now after all, the run goes
/// on without them and says so.
monitor_endpoints start_http(caf::actor_system& sys,
                             const run_session_config& cfg) {
  if (cfg.http.empty()) {
    return {};
  }
  auto address = parse_http_address(cfg.http);
  auto endpoints = address ? start_monitoring(sys, cfg.db_path, *address)
                           : caf::expected<monitor_endpoints>{address.error()};
  if (!endpoints) {
    print_error("--http: " + describe(endpoints.error())
                + "; the run goes on without it");
    return {};
  }
  if (cfg.verbosity >= 0) {
    std::cerr << "serving " << endpoints->server->url()
              << "/metrics, /healthz and /api/status while the run lasts"
              << std::endl;
  }
  return std::move(*endpoints);
}

/// `run --listen`: publishes the gateway and says how nodes join. If it
/// cannot be bound now after all (cmd_run checked it), the run goes on
/// with its local workers and says so.
void announce_gateway(caf::actor_system& sys, const gateway_actor& gateway,
                      const listen_plan& plan, int verbosity) {
  auto port = publish_gateway(sys, gateway, plan);
  if (!port) {
    print_error("--listen: cannot listen on " + plan.host + ":"
                + std::to_string(plan.port) + ": " + describe(port.error())
                + "; the run goes on without nodes");
    return;
  }
  if (verbosity < 0) {
    return;
  }
  const auto where = plan.host + ":" + std::to_string(*port);
  std::cerr << "accepting nodes on " << where
            << "; join with:\n  orchestrator worker --connect " << where
            << (plan.secret.empty() ? "" : " --secret-file FILE") << " --repo "
            << plan.remote_url << " --workers N" << std::endl;
}

/// With a webhook: the Slack notifier, on a thread of its own (its posts
/// block), so a hanging Slack holds up nothing else.
notifier_actor start_notifier(caf::actor_system& sys,
                              const run_session_config& cfg,
                              const store_actor& store, caf::timestamp wall) {
  const auto& settings = cfg.settings.notifications;
  if (!settings.slack_webhook) {
    return {};
  }
  notifier_config nc;
  nc.webhook = *settings.slack_webhook;
  nc.throttle = settings.throttle_s;
  nc.run_id = cfg.run_id;
  nc.store = store;
  nc.wall_start = wall;
  return sys.spawn<caf::detached>(tdd::notifier, std::move(nc));
}

/// Lets the notifier send what is left (the run's finish above all) within
/// its stop deadline. The progress actor answers `flush` after forwarding
/// every event the coordinator sent before the summary, so the finish is
/// in the notifier's mailbox before `stop`.
void stop_notifier(caf::scoped_actor& self, const caf::actor& progress,
                   const notifier_actor& notifier) {
  if (!notifier) {
    return;
  }
  self->request(progress, std::chrono::seconds{5}, atom::flush_v)
    .receive([](bool) {}, [](caf::error&) {});
  // A post under way when `stop` arrives may take its whole timeout before
  // the deadline even starts: wait for both, and a little more.
  const notifier_config defaults;
  const auto wait
    = defaults.stop_deadline + defaults.post_budget + std::chrono::seconds{2};
  self->request(notifier, wait, atom::stop_v)
    .receive([](bool) {}, [](caf::error&) {});
  self->send_exit(notifier, caf::exit_reason::user_shutdown);
}

/// Spawns the run's actors in `sys`, waits for the end of the run and
/// stops them; `sys`'s destructor then waits for the last one.
run_summary run_actors(caf::actor_system& sys, const run_session_config& cfg,
                       const sigset_t& signals,
                       const std::shared_ptr<progress_view>& view, bool live) {
  const auto wall = caf::timestamp{std::chrono::system_clock::now()};
  const auto steady = sys.clock().now();
  auto store = sys.spawn<caf::detached>(store::persistence, cfg.db_path);
  auto notifier = start_notifier(sys, cfg, store, wall);
  caf::actor progress;
  if (view || notifier) {
    progress = sys.spawn(progress_actor, view, live, notifier);
  }

  auto http = start_http(sys, cfg);
  circuit_hub_config hub_cfg;
  hub_cfg.store = store;
  hub_cfg.settings = cfg.settings.circuits;
  hub_cfg.wall_start = wall;
  hub_cfg.listener = notifier;
  auto hub = sys.spawn(circuit_hub, hub_cfg);

  const fs::path state = fs::path{cfg.repo_root} / ".orchestrator";
  coordinator_config cc;
  cc.run_id = cfg.run_id;
  cc.repo_root = cfg.repo_root;
  cc.target = cfg.target;
  cc.single_branch = cfg.single_branch;
  cc.keys = cfg.keys;
  cc.resumable = cfg.resumable;
  cc.run_description = cfg.description;
  cc.limits = cfg.limits;
  cc.workers = cfg.settings.workers;
  cc.worktrees_dir = (state / "worktrees").string();
  cc.usage_limit_backoff = cfg.settings.usage_limit_backoff_s;
  cc.stage_timeout = cfg.settings.stage_timeout_s;
  auto& wc = cc.worker;
  wc.repo_root = cfg.repo_root;
  wc.logs_dir = (state / "logs" / std::to_string(cfg.run_id)).string();
  wc.target = cfg.target;
  wc.agent = cfg.agent;
  wc.stage_timeout = cfg.settings.stage_timeout_s;
  wc.refactor = cfg.settings.refactor;
  wc.run_id = cfg.run_id;
  wc.store = store;
  wc.hub = hub;
  wc.progress = progress;
  wc.clock = wall_anchor{wall, steady};
  wc.fault = cfg.fault;
  gateway_actor gateway;
  if (cfg.listen) {
    gateway_config gc;
    gc.secret = cfg.listen->secret;
    gc.run_id = cfg.run_id;
    gc.target = cfg.target;
    gc.store = store;
    gc.hub = hub;
    gc.progress = progress;
    gc.clock = wc.clock;
    gateway = sys.spawn(tdd::gateway, std::move(gc));
    cc.gateway = gateway;
    cc.remote = cfg.listen->remote;
  }
  auto coordinator = sys.spawn(tdd::coordinator, std::move(cc));
  if (cfg.listen) {
    announce_gateway(sys, gateway, *cfg.listen, cfg.verbosity);
  }

  run_summary summary;
  summary.run_id = cfg.run_id;
  summary.outcome = core::run_outcome::interrupted;
  {
    signal_forwarder waiter{signals, [coordinator] {
                              caf::anon_send(coordinator, atom::interrupt_v);
                            }};
    memory_trimmer trimmer;
    caf::scoped_actor self{sys};
    self->request(coordinator, caf::infinite, atom::wait_v)
      .receive([&](run_summary& s) { summary = std::move(s); },
               [&](caf::error& err) {
                 summary.reason = "the run stopped: " + describe(err);
               });
    http.server.reset(); // no request reaches the actors while they stop
    self->send_exit(coordinator, caf::exit_reason::user_shutdown);
    if (gateway) {
      (void)sys.middleman().unpublish(gateway);
      self->send_exit(gateway, caf::exit_reason::user_shutdown);
    }
    if (http.handler) {
      self->send_exit(http.handler, caf::exit_reason::user_shutdown);
    }
    self->send_exit(hub, caf::exit_reason::user_shutdown);
    stop_notifier(self, progress, notifier); // before the store's flush
    if (progress) {
      self->send_exit(progress, caf::exit_reason::user_shutdown);
    }
    self->request(store, std::chrono::seconds{30}, atom::flush_v)
      .receive([](int64_t) {}, [](caf::error&) {});
    self->send_exit(store, caf::exit_reason::user_shutdown);
  }
  return summary;
}

} // namespace

run_summary run_session(const run_session_config& cfg) {
  blocked_signals signals; // before any thread exists
  const bool quiet = cfg.verbosity < 0;
  std::ostream& out = cfg.json ? std::cerr : std::cout;
  const int fd = cfg.json ? STDERR_FILENO : STDOUT_FILENO;
  const bool live = !quiet && isatty(fd) == 1;
  std::shared_ptr<progress_view> view;
  if (!quiet) {
    view = std::make_shared<progress_view>(out, live, live && use_color(fd),
                                           live ? terminal_columns() : 0);
  }
  run_summary summary;
  {
    caf::actor_system_config sys_cfg;
    configure_actor_system(sys_cfg);
    if (cfg.listen) {
      enable_network(sys_cfg);
    }
    caf::actor_system sys{sys_cfg};
    summary = run_actors(sys, cfg, signals.set(), view, live);
  } // every actor is gone here
  if (view) {
    view->finish();
  }
  return summary;
}

} // namespace tdd::cli
