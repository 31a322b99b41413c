// `orchestrator worker --connect HOST:PORT` (SPEC.md 7): this host joins a
// run as a node. Checks the flags, clones (or fetches) the shared
// repository into the node's work directory, connects to the coordinator's
// gateway and runs the node actor (actors/node.hpp) until the run is over.

#include "actors/gateway.hpp"
#include "actors/http_server.hpp"
#include "actors/node.hpp"
#include "cli/actor_config.hpp"
#include "cli/commands.hpp"
#include "cli/listen.hpp"
#include "cli/live_run.hpp"
#include "cli/memory_trim.hpp"
#include "cli/output.hpp"
#include "cli/settings.hpp"
#include "cli/signals.hpp"
#include "exec/agent.hpp"
#include "exec/git.hpp"
#include "exec/watchdog.hpp"
#include "messages/all.hpp"
#include "messages/errc.hpp"

#include <CLI/CLI.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/exit_reason.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

namespace fs = std::filesystem;

namespace tdd::cli {

namespace {

namespace git = exec::git;

struct worker_flags {
  std::string connect;
  std::string secret_file;
  std::optional<int> workers;
  std::string repo;
  std::string agent;
  std::string workdir;
  std::string name;
  std::optional<int> stage_timeout;
};

std::vector<config::flag_value> setting_flags(const worker_flags& f) {
  std::vector<config::flag_value> out;
  if (f.workers) {
    out.push_back({"workers", "--workers", std::to_string(*f.workers)});
  }
  if (!f.agent.empty()) {
    out.push_back({"agent", "--agent", f.agent});
  }
  if (f.stage_timeout) {
    out.push_back(
      {"stage_timeout_s", "--stage-timeout", std::to_string(*f.stage_timeout)});
  }
  return out;
}

/// ~/.cache/tdd-orchestrator/<name of the repository>.
std::string default_workdir(const std::string& repo) {
  auto name = fs::path{repo}.filename().string();
  if (name.empty()) {
    name = fs::path{repo}.parent_path().filename().string();
  }
  if (auto dot = name.rfind(".git");
      dot != std::string::npos && dot + 4 == name.size() && dot > 0) {
    name.resize(dot);
  }
  const auto colon = name.rfind(':'); // host:path without a slash
  if (colon != std::string::npos) {
    name = name.substr(colon + 1);
  }
  const char* cache = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  fs::path base = cache != nullptr && *cache != '\0'
                    ? fs::path{cache}
                    : fs::path{home != nullptr ? home : "/tmp"} / ".cache";
  return (base / "tdd-orchestrator" / node_name(name)).string();
}

/// The node's clone of the shared repository: created bare (its worktrees
/// are the workers'), or pointed at `repo` and fetched. "" or the error.
std::string prepare_clone(const std::string& repo, const std::string& dir) {
  std::error_code ec;
  const auto clone = (fs::path{dir} / "repo.git").string();
  fs::create_directories(dir, ec);
  if (ec) {
    return "cannot create " + dir + ": " + ec.message();
  }
  if (!fs::exists(fs::path{clone} / "HEAD", ec)) {
    fs::remove_all(clone, ec); // a clone that died half-way
    auto cloned = git::run(dir, {"clone", "--quiet", "--bare", repo, clone});
    return cloned ? std::string{}
                  : "cannot clone " + repo + ": " + cloned.error;
  }
  if (auto set = git::run(clone, {"remote", "set-url", "origin", repo}); !set) {
    return "cannot use " + clone + ": " + set.error;
  }
  // Workers fetch the target before each task; here only reachability.
  auto reached = git::run(clone, {"ls-remote", "--quiet", "--heads", "origin"});
  return reached ? std::string{}
                 : "cannot reach " + repo + ": " + reached.error;
}

/// The exit code for how the node ended, after saying why.
int node_exit(const caf::error& reason, bool interrupted) {
  if (interrupted) {
    return exit_code::interrupted;
  }
  if (!reason || reason == caf::exit_reason::normal) {
    return exit_code::ok;
  }
  print_error(describe(reason));
  return reason == errc::unauthorized ? exit_code::bad_input
                                      : exit_code::blocked;
}

int run_worker(const global_options& opts, const worker_flags& flags) {
  auto loaded = load_settings(opts, setting_flags(flags));
  if (!loaded) {
    return exit_code::bad_input;
  }
  const auto& settings = loaded->values;
  if (settings.workers < 1) {
    print_error("--workers must be at least 1");
    return exit_code::bad_input;
  }
  if (!flags.name.empty() && node_name(flags.name) != flags.name) {
    print_error("--name \"" + flags.name
                + "\": a node name is letters, digits, '_' and '-' only");
    return exit_code::bad_input;
  }
  auto address = parse_http_address(flags.connect);
  if (!address || address->port == 0) {
    print_error("--connect: "
                + (address ? std::string{"the port must not be 0"}
                           : describe(address.error())));
    return exit_code::bad_input;
  }
  std::string secret;
  if (!flags.secret_file.empty()) {
    std::string error;
    auto read = load_secret(flags.secret_file, error);
    if (!read) {
      print_error(error);
      return exit_code::bad_input;
    }
    secret = std::move(*read);
  }
  std::string error;
  auto agent = exec::parse_agent(settings.agent, error);
  if (!agent) {
    print_error("agent: " + error);
    return exit_code::bad_input;
  }
  // A program relative to the repository ("./scripts/agent.sh") exists
  // only in the worktrees; anything else is checked now.
  const bool in_repo = agent->kind == exec::agent_kind::cmd
                       && !agent->words.empty()
                       && agent->words.front().find('/') != std::string::npos
                       && agent->words.front().front() != '/';
  const char* path = std::getenv("PATH");
  if (auto why = exec::preflight(*agent, path != nullptr ? path : "");
      !in_repo && !why.empty()) {
    print_error(why);
    return exit_code::bad_input;
  }
  const auto workdir
    = fs::absolute(flags.workdir.empty() ? default_workdir(flags.repo)
                                         : flags.workdir)
        .lexically_normal()
        .string();
  if (auto err = prepare_clone(flags.repo, workdir); !err.empty()) {
    print_error(err);
    return exit_code::blocked;
  }
  // While this process has one thread (exec/watchdog.hpp): it kills the
  // agents this node starts if the node dies, even by kill -9.
  std::string why;
  const auto watchdog = exec::watchdog::start(why);
  if (!watchdog) {
    print_error("cannot start the watchdog: " + why);
    return exit_code::bad_input;
  }
  blocked_signals signals; // before any other thread exists
  caf::error reason;
  std::atomic<bool> interrupted{false};
  {
    caf::actor_system_config sys_cfg;
    configure_actor_system(sys_cfg);
    enable_network(sys_cfg);
    caf::actor_system sys{sys_cfg};
    auto gateway = sys.middleman().remote_actor<gateway_actor>(
      address->host, static_cast<uint16_t>(address->port));
    if (!gateway) {
      print_error("cannot reach the coordinator at " + flags.connect + ": "
                  + describe(gateway.error()));
      return exit_code::blocked;
    }
    node_config nc;
    nc.gateway = *gateway;
    nc.hello.host = flags.name.empty() ? host_name() : flags.name;
    nc.hello.workers = settings.workers;
    nc.hello.version = TDD_VERSION;
    nc.secret = std::move(secret);
    nc.workdir = workdir;
    nc.worker.agent = *agent;
    nc.worker.stage_timeout = settings.stage_timeout_s;
    nc.worker.refactor = settings.refactor;
    auto node = sys.spawn(tdd::node, std::move(nc));
    if (opts.verbosity >= 0) {
      std::cerr << "joining the run at " << flags.connect << " with "
                << settings.workers << " workers (clone: " << workdir
                << "/repo.git)" << std::endl;
    }
    caf::scoped_actor self{sys};
    self->monitor(node);
    signal_forwarder waiter{signals.set(), [&interrupted, node] {
                              interrupted = true;
                              caf::anon_send(node, atom::stop_v);
                            }};
    memory_trimmer trimmer;
    self->receive([&](caf::down_msg& down) { reason = down.reason; });
  }
  return node_exit(reason, interrupted);
}

} // namespace

void add_worker_command(CLI::App& parent, const global_options& opts,
                        command_list& out) {
  auto flags = std::make_shared<worker_flags>();
  auto* app = parent.add_subcommand(
    "worker", "Join a run on another host as a node: its workers take tasks "
              "from the coordinator (run --listen)");
  app
    ->add_option("--connect", flags->connect,
                 "the coordinator's --listen address, HOST:PORT")
    ->required();
  app
    ->add_option("--repo", flags->repo,
                 "the shared repository as this host reaches it (a bare "
                 "repository path or an ssh URL)")
    ->required();
  app->add_option("--secret-file", flags->secret_file,
                  "file holding the coordinator's shared secret");
  app->add_option("--workers", flags->workers,
                  "workers on this node (default 3; TDD_MAX_WORKERS)");
  app->add_option("--agent", flags->agent,
                  "claude, codex, aider or cmd:TEMPLATE (default claude; "
                  "TDD_AGENT)");
  app->add_option("--stage-timeout", flags->stage_timeout,
                  "seconds per agent call and per verify (default 900)");
  app->add_option("--workdir", flags->workdir,
                  "where the node keeps its clone, worktrees and logs "
                  "(default ~/.cache/tdd-orchestrator/<repo>)");
  app->add_option("--name", flags->name,
                  "the node's name, [A-Za-z0-9_-]+ (default the host name)");
  app->footer(
    "Example:\n"
    "  orchestrator worker --connect build1:7420 --secret-file ~/.tdd-secret "
    "\\\n      --repo ssh://git@build1/srv/project.git --workers 4\n\n"
    "Exit codes: 0 the run is over, 1 cannot reach the coordinator or the "
    "repository,\nor lost the coordinator, 2 bad input (including a refused "
    "secret), 130 interrupted.");
  out.push_back({app, [&opts, flags] { return run_worker(opts, *flags); }});
}

} // namespace tdd::cli
