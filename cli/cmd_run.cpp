// `orchestrator run` (SPEC.md 3 and 4): checks everything that can be
// checked before a single agent starts (flags, config, task selection,
// target branch and its work tree, the agent's program, another run), then
// hands over to the actors (cli/run_session.cpp).

#include "actors/fault_injection.hpp"
#include "actors/http_server.hpp"
#include "cli/active_run.hpp"
#include "cli/commands.hpp"
#include "cli/listen.hpp"
#include "cli/live_run.hpp"
#include "cli/open_db.hpp"
#include "cli/output.hpp"
#include "cli/plan_view.hpp"
#include "cli/run_lock.hpp"
#include "cli/run_recovery.hpp"
#include "cli/run_session.hpp"
#include "cli/settings.hpp"
#include "core/budget.hpp"
#include "core/run_plan.hpp"
#include "exec/agent.hpp"
#include "exec/git.hpp"
#include "exec/watchdog.hpp"
#include "messages/errc.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <set>

namespace tdd::cli {

namespace {

namespace git = exec::git;

struct run_flags {
  bool sequential = false;
  std::optional<int> workers;
  bool single_branch = false;
  std::string target;
  std::string agent;
  std::optional<int> max_invocations;
  std::string max_cost;
  std::optional<int> stage_timeout;
  bool resume = false;
  bool dry_run = false;
  std::vector<std::string> tasks;
  std::optional<int> phase;
  std::string http; ///< --http HOST:PORT; "" = no endpoints
  /// --slack-webhook URL: a secret, which the loader never shows.
  std::string slack_webhook;
  listen_flags listen; ///< --listen, --secret-file, --remote
};

std::vector<config::flag_value> setting_flags(const run_flags& f) {
  std::vector<config::flag_value> out;
  if (f.sequential) {
    out.push_back({"workers", "--sequential", "1"});
  } else if (f.workers) {
    out.push_back({"workers", "--workers", std::to_string(*f.workers)});
  }
  if (f.max_invocations) {
    out.push_back({"max_invocations", "--max-invocations",
                   std::to_string(*f.max_invocations)});
  }
  if (!f.max_cost.empty()) {
    out.push_back({"max_cost_usd", "--max-cost", f.max_cost});
  }
  if (!f.agent.empty()) {
    out.push_back({"agent", "--agent", f.agent});
  }
  if (f.stage_timeout) {
    out.push_back(
      {"stage_timeout_s", "--stage-timeout", std::to_string(*f.stage_timeout)});
  }
  if (!f.slack_webhook.empty()) {
    out.push_back(
      {"notifications.slack_webhook", "--slack-webhook", f.slack_webhook});
  }
  return out;
}

/// The target branch, or an error message.
std::optional<std::string> resolve_target(const std::string& root,
                                          const std::string& asked,
                                          std::string& error) {
  std::string target = asked;
  if (target.empty()) {
    auto branch = git::current_branch(root);
    if (!branch) {
      error = branch.error;
      return std::nullopt;
    }
    if (branch.value.empty()) {
      error = "HEAD is detached: check out a branch or pass --target BRANCH";
      return std::nullopt;
    }
    target = branch.value;
  }
  if (auto tip = git::resolve_commit(root, "refs/heads/" + target); !tip) {
    error = "target branch \"" + target + "\" does not exist (or has no "
            + "commit yet): create it or pass --target BRANCH";
    return std::nullopt;
  }
  auto holder = git::worktree_of_branch(root, target);
  if (!holder) {
    error = holder.error;
    return std::nullopt;
  }
  if (holder.value) {
    auto clean = git::is_clean(*holder.value);
    if (!clean) {
      error = clean.error;
      return std::nullopt;
    }
    if (!clean.value) {
      error = "the target branch \"" + target + "\" is checked out in "
              + *holder.value
              + " with uncommitted changes; the run would merge into it. "
                "Commit or stash them, or run on another branch with "
                "--target BRANCH";
      return std::nullopt;
    }
  }
  return target;
}

nlohmann::json options_json(const run_flags& f, const core::config& c,
                            const std::string& target) {
  nlohmann::json j{{"workers", c.workers},
                   {"target", target},
                   {"single_branch", f.single_branch},
                   {"max_invocations", c.max_invocations},
                   {"stage_timeout_s", c.stage_timeout_s.count()},
                   {"resume", f.resume},
                   {"tasks", f.tasks}};
  if (c.max_cost_usd) {
    j["max_cost_usd_micros"] = *c.max_cost_usd;
  }
  if (f.phase) {
    j["phase"] = *f.phase;
  }
  return j;
}

/// With --resume: the selected tasks that recorded a stage (left running by
/// a crash, given back at Ctrl-C or a halt) continue there.
caf::expected<std::set<std::string>>
resumable_tasks(store::database& db, const std::vector<std::string>& keys) {
  auto rows = db.list_tasks({});
  if (!rows) {
    return rows.error();
  }
  const std::set<std::string> selected{keys.begin(), keys.end()};
  std::set<std::string> out;
  for (const auto& row : *rows) {
    if (selected.count(row.spec.key) != 0 && !row.current_stage.empty()) {
      out.insert(row.spec.key);
    }
  }
  return out;
}

int print_result(const global_options& opts, const run_summary& s) {
  const int code = core::exit_code(s.outcome);
  if (opts.json) {
    nlohmann::json j{{"run_id", s.run_id},
                     {"outcome", core::to_string(s.outcome)},
                     {"exit_code", code},
                     {"reason", s.reason},
                     {"tasks",
                      {{"complete", s.complete},
                       {"blocked", s.blocked},
                       {"pending", s.pending}}},
                     {"agent_invocations", s.usage.invocations},
                     {"cost_usd_micros", s.usage.cost_micros},
                     {"tokens", s.usage.tokens}};
    print_json(j);
  } else if (s.outcome == core::run_outcome::halted
             || s.outcome == core::run_outcome::interrupted) {
    std::cerr << "orchestrator: run " << s.run_id << " "
              << core::to_string(s.outcome) << ": " << printable(s.reason)
              << "\n  continue with: orchestrator run --resume\n";
  }
  return code;
}

int run_run(const global_options& opts, const run_flags& flags) {
  auto loaded = load_settings(opts, setting_flags(flags));
  if (!loaded) {
    return exit_code::bad_input;
  }
  const auto& settings = loaded->values;
  if (settings.workers < 0
      || (settings.workers == 0 && flags.listen.address.empty())) {
    print_error("--workers must be at least 1 (0 only with --listen: a "
                "coordinator whose nodes do all the work)");
    return exit_code::bad_input;
  }
  if (flags.listen.address.empty() && !flags.listen.secret_file.empty()) {
    print_error("--secret-file needs --listen HOST:PORT");
    return exit_code::bad_input;
  }
  if (!flags.http.empty()) {
    // Checked before anything is recorded: a port in use is bad input.
    auto address = parse_http_address(flags.http);
    auto err = address ? check_bindable(*address) : address.error();
    if (err) {
      print_error("--http: " + describe(err));
      return exit_code::bad_input;
    }
  }
  std::string error;
  auto agent = exec::parse_agent(settings.agent, error);
  if (!agent) {
    print_error("agent: " + error);
    return exit_code::bad_input;
  }
  std::shared_ptr<fault_plan> fault;
  if (const char* text = std::getenv("TDD_TEST_FAULT"); text != nullptr) {
    fault = fault_plan::parse(text, error);
    if (!fault) {
      print_error(error);
      return exit_code::bad_input;
    }
  }
  workspace ws;
  auto db = open_database(opts,
                          flags.dry_run ? store::open_mode::read_only
                                        : store::open_mode::read_write,
                          &ws);
  if (!db) {
    return exit_code::bad_input;
  }
  if (!ws.root) {
    print_error("run works inside a git repository; none found here");
    return exit_code::bad_input;
  }
  const auto root = ws.root->string();
  auto nodes = db->task_nodes();
  if (!nodes) {
    print_error(describe(nodes.error()));
    return exit_code::bad_input;
  }
  core::run_selection selection{flags.tasks, flags.phase};
  auto planned = core::plan_run(*nodes, selection);
  if (!planned.plan) {
    for (const auto& e : planned.errors) {
      print_error(e);
    }
    return exit_code::bad_input;
  }
  if (flags.dry_run) {
    print_plan(*planned.plan, opts.json, std::cout);
    return exit_code::ok;
  }
  auto target = resolve_target(root, flags.target, error);
  if (!target) {
    print_error(error);
    return exit_code::bad_input;
  }
  const char* path = std::getenv("PATH");
  if (auto why = exec::preflight(*agent, path != nullptr ? path : "", root);
      !why.empty()) {
    print_error(why);
    return exit_code::bad_input;
  }
  std::optional<run_lock> lock; // held until the run is over
  if (auto code = check_active_run(*db, flags.resume, lock)) {
    return *code;
  }
  error.clear();
  auto listen = prepare_listen(flags.listen, root, *target, error);
  if (!error.empty()) {
    print_error(error);
    return exit_code::bad_input;
  }
  // Nodes a dead coordinator left "connected" are not any more.
  if (auto n = db->lose_connected_nodes(
        caf::timestamp{std::chrono::system_clock::now()});
      !n) {
    print_error(describe(n.error()));
    return exit_code::bad_input;
  }
  auto reclaimed = db->reclaim_all_leases();
  if (!reclaimed) {
    print_error(describe(reclaimed.error()));
    return exit_code::bad_input;
  }
  reconcile_repository(root, root + "/.orchestrator/worktrees");
  const auto& keys = planned.selection.keys;
  if (keys.empty()) {
    if (!opts.json && opts.verbosity >= 0) {
      std::cout << "Nothing to run: no pending task"
                << (flags.tasks.empty() && !flags.phase ? "" : " selected")
                << ".\n";
    }
    if (opts.json) {
      print_json({{"run_id", nullptr},
                  {"outcome", "complete"},
                  {"exit_code", 0},
                  {"reason", "nothing to run"}});
    }
    return exit_code::ok;
  }
  run_start start;
  start.pid = getpid();
  start.host = host_name();
  start.target_branch = *target;
  start.options_json = options_json(flags, settings, *target).dump();
  start.started_at = caf::timestamp{std::chrono::system_clock::now()};
  // Before the run is recorded and while this process has one thread
  // (exec/watchdog.hpp): it kills what the run starts if the run dies,
  // even by kill -9. It lives until run_run returns.
  std::string why;
  const auto watchdog = exec::watchdog::start(why);
  if (!watchdog) {
    print_error("cannot start the watchdog: " + why);
    return exit_code::bad_input;
  }
  auto run_id = db->start_run(start);
  if (!run_id) {
    print_error(describe(run_id.error()));
    return exit_code::bad_input;
  }
  core::budget_limits limits{settings.max_invocations, settings.max_cost_usd};
  if (auto err = db->init_budget(*run_id, limits)) {
    print_error(describe(err));
    return exit_code::bad_input;
  }
  run_session_config rs;
  rs.db_path = ws.db_path.string();
  rs.repo_root = root;
  rs.run_id = *run_id;
  rs.target = *target;
  rs.single_branch = flags.single_branch;
  rs.keys = keys;
  if (flags.resume) {
    auto resumable = resumable_tasks(*db, keys);
    if (!resumable) {
      print_error(describe(resumable.error()));
      return exit_code::bad_input;
    }
    rs.resumable = std::move(*resumable);
  }
  rs.settings = settings;
  rs.agent = *agent;
  rs.limits = limits;
  rs.description
    = std::to_string(keys.size()) + " tasks, "
      + std::to_string(settings.workers) + " workers, target " + *target
      + ", agent "
      + (agent->kind == exec::agent_kind::cmd ? std::string{"cmd"}
                                              : exec::to_string(agent->kind))
      + (!listen                ? ""
         : settings.workers > 0 ? ", accepting nodes"
                                : ", waiting for nodes to do the work");
  rs.json = opts.json;
  rs.verbosity = opts.verbosity;
  rs.fault = std::move(fault);
  rs.http = flags.http;
  rs.listen = std::move(listen);
  db.reset(); // the store actor owns the database from here
  return print_result(opts, run_session(rs));
}

} // namespace

void add_run_command(CLI::App& parent, const global_options& opts,
                     command_list& out) {
  auto flags = std::make_shared<run_flags>();
  auto* app = parent.add_subcommand(
    "run", "Run the pending tasks through red, green, verify, refactor and "
           "commit, several at once; returns when nothing runnable is left");
  app->add_flag("--parallel", "run tasks in parallel (the default)");
  app->add_flag("--sequential", flags->sequential, "one worker");
  app->add_option("--workers", flags->workers,
                  "local workers (default 3; TDD_MAX_WORKERS)");
  app->add_flag("--single-branch", flags->single_branch,
                "land every task as one linear commit on the target; no "
                "task branches are kept");
  app->add_option("--target", flags->target,
                  "branch to merge into (default: the branch checked out)");
  app->add_option("--agent", flags->agent,
                  "claude, codex, aider or cmd:TEMPLATE (default claude; "
                  "TDD_AGENT)");
  app->add_option("--max-invocations", flags->max_invocations,
                  "hard cap on agent calls for this run (default 100)");
  app->add_option("--max-cost", flags->max_cost,
                  "hard cap on reported agent cost in USD, e.g. 5.00");
  app->add_option("--stage-timeout", flags->stage_timeout,
                  "seconds per agent call and per verify (default 900)");
  app->add_flag("--resume", flags->resume,
                "continue after a crash or Ctrl-C: tasks left running "
                "resume at their recorded stage");
  app->add_option("--task", flags->tasks,
                  "only these tasks (and their unfinished dependencies)");
  app->add_option("--phase", flags->phase, "only the tasks of this phase");
  app->add_option("--http", flags->http,
                  "serve /metrics, /healthz and /api/status on HOST:PORT "
                  "while running, e.g. 127.0.0.1:8420");
  auto* slack = app->add_option(
    "--slack-webhook", flags->slack_webhook,
    "post run and circuit notifications to this Slack webhook (a secret; "
    "default SLACK_WEBHOOK_URL)");
  slack->option_text("URL");
  app->add_option("--listen", flags->listen.address,
                  "accept nodes (orchestrator worker --connect) on "
                  "HOST:PORT, e.g. 0.0.0.0:7420; needs --secret-file unless "
                  "on loopback");
  app->add_option("--secret-file", flags->listen.secret_file,
                  "file holding the secret nodes must prove (HMAC-SHA256)");
  app->add_option("--remote", flags->listen.remote,
                  "with --listen: the git remote nodes share work through "
                  "(default origin)");
  app->add_flag("--dry-run", flags->dry_run,
                "print the plan (waves, dependencies) and change nothing");
  app->footer(
    "Examples:\n"
    "  orchestrator run --workers 3\n"
    "  orchestrator run --dry-run --task CALC-4\n"
    "  orchestrator run --agent \"cmd:./scripts/fake-agent.sh {stage}\" "
    "--max-invocations 20\n"
    "  orchestrator run --resume\n"
    "  orchestrator run --listen 0.0.0.0:7420 --secret-file ~/.tdd-secret\n\n"
    "Exit codes: 0 all selected tasks complete, 1 finished with blocked "
    "tasks,\n2 bad input, 3 halted (budget, system circuit, agent cannot "
    "run), 130 interrupted.");
  out.push_back({app, [&opts, flags] { return run_run(opts, *flags); }});
}

} // namespace tdd::cli
