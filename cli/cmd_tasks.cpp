#include "cli/commands.hpp"
#include "cli/open_db.hpp"
#include "cli/output.hpp"
#include "cli/task_view.hpp"
#include "config/task_file.hpp"
#include "core/suggest.hpp"
#include "messages/errc.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream>
#include <map>

namespace tdd::cli {

namespace {

struct import_options {
  std::string file;
  bool force = false;
};

int report_errors(const global_options& opts, const core::diagnostics& errors,
                  const std::string& what) {
  for (const auto& d : errors) {
    std::cerr << printable(d.to_string()) << '\n';
  }
  const auto n = errors.size();
  std::cerr << n << (n == 1 ? " error" : " errors") << "; " << what << '\n';
  if (opts.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& d : errors) {
      list.push_back(
        {{"source", d.source}, {"line", d.line}, {"message", d.message}});
    }
    print_json({{"ok", false}, {"errors", list}});
  }
  return exit_code::bad_input;
}

/// Errors for tasks that exist and are not pending, located in the file.
core::diagnostics refusals(const std::vector<std::string>& refused,
                           const std::vector<config::located_task>& tasks,
                           const std::vector<core::graph_node>& existing,
                           const std::string& file) {
  std::map<std::string, core::task_status> status;
  for (const auto& n : existing) {
    status[n.key] = n.status;
  }
  core::diagnostics out;
  for (const auto& t : tasks) {
    for (const auto& key : refused) {
      if (t.spec.key == key) {
        out.push_back(
          {file, t.line,
           "task " + key + " is " + core::to_string(status[key])
             + "; importing would change it (use --force to update it and "
               "put it back to pending)"});
      }
    }
  }
  return out;
}

int run_import(const global_options& opts, const import_options& args) {
  auto db = open_database(opts, store::open_mode::read_write);
  if (!db) {
    return exit_code::bad_input;
  }
  auto existing = db->task_nodes();
  if (!existing) {
    print_error(describe(existing.error()));
    return exit_code::bad_input;
  }
  auto parsed = config::load_task_file(args.file, args.file, *existing);
  if (!parsed.errors.empty()) {
    return report_errors(opts, parsed.errors, "nothing imported");
  }
  std::vector<core::task_spec> specs;
  specs.reserve(parsed.tasks.size());
  for (const auto& t : parsed.tasks) {
    specs.push_back(t.spec);
  }
  auto summary = db->import_tasks(specs, args.force);
  if (!summary) {
    print_error(describe(summary.error()) + "; nothing imported");
    return exit_code::bad_input;
  }
  if (!summary->refused.empty()) {
    return report_errors(
      opts, refusals(summary->refused, parsed.tasks, *existing, args.file),
      "nothing imported");
  }
  if (opts.json) {
    print_json({{"ok", true},
                {"file", args.file},
                {"tasks", specs.size()},
                {"added", summary->added},
                {"updated", summary->updated},
                {"unchanged", summary->unchanged}});
  } else if (opts.verbosity >= 0) {
    std::cout << "Imported " << printable(args.file) << ": " << summary->added
              << " added, " << summary->updated << " updated, "
              << summary->unchanged << " unchanged (" << specs.size()
              << " tasks in the file)\n";
  }
  return exit_code::ok;
}

struct list_options {
  std::string status;
  std::optional<int> phase;
};

int run_list(const global_options& opts, const list_options& args) {
  store::task_filter filter;
  if (!args.status.empty()) {
    filter.status = core::parse_task_status(args.status);
    if (!filter.status) {
      print_error("--status: unknown status \"" + printable(args.status)
                  + "\"; expected pending, running, complete or blocked");
      return exit_code::bad_input;
    }
  }
  filter.phase = args.phase;
  auto db = open_database(opts, store::open_mode::read_only);
  if (!db) {
    return exit_code::bad_input;
  }
  auto rows = db->list_tasks(filter);
  if (!rows) {
    print_error(describe(rows.error()));
    return exit_code::bad_input;
  }
  if (opts.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& row : *rows) {
      list.push_back(task_json(row));
    }
    print_json({{"tasks", list}});
    return exit_code::ok;
  }
  std::cout << task_table(*rows).render();
  if (rows->empty() && opts.verbosity >= 0) {
    std::cout << "(no tasks"
              << (args.status.empty() && !args.phase ? "" : " match")
              << "; import some with 'orchestrator tasks import FILE')\n";
  }
  return exit_code::ok;
}

int unknown_task(const std::string& key, store::database& db) {
  std::vector<std::string> keys;
  if (auto nodes = db.task_nodes()) {
    for (const auto& n : *nodes) {
      keys.push_back(n.key);
    }
  }
  std::string msg = "unknown task \"" + printable(key) + "\"";
  const auto close = core::close_matches(key, keys);
  if (!close.empty()) {
    msg += "; did you mean ";
    for (size_t i = 0; i < close.size(); ++i) {
      msg += (i > 0 ? ", " : "") + printable(close[i]);
    }
    msg += "?";
  }
  print_error(msg + " ('orchestrator tasks list' shows every task)");
  return exit_code::bad_input;
}

int run_show(const global_options& opts, const std::string& key) {
  auto db = open_database(opts, store::open_mode::read_only);
  if (!db) {
    return exit_code::bad_input;
  }
  auto row = db->find_task(key);
  if (!row) {
    print_error(describe(row.error()));
    return exit_code::bad_input;
  }
  if (!*row) {
    return unknown_task(key, *db);
  }
  auto attempts = db->attempts_of(key);
  if (!attempts) {
    print_error(describe(attempts.error()));
    return exit_code::bad_input;
  }
  if (opts.json) {
    auto doc = task_json(**row);
    doc["attempts"] = attempts_json(*attempts);
    print_json(doc);
    return exit_code::ok;
  }
  std::cout << task_details(**row, *attempts);
  return exit_code::ok;
}

} // namespace

void add_tasks_commands(CLI::App& parent, const global_options& opts,
                        command_list& out) {
  auto* tasks
    = parent.add_subcommand("tasks", "Import, list, show and retry tasks");
  tasks->require_subcommand(1);

  auto import_args = std::make_shared<import_options>();
  auto* import = tasks->add_subcommand(
    "import", "Validate a task file (YAML or JSON) and load its tasks, "
              "all or nothing");
  import->alias("ingest");
  import->add_option("FILE", import_args->file, "task file")->required();
  import->add_flag("--force", import_args->force,
                   "also update tasks that are running, complete or blocked "
                   "(they return to pending)");
  import->footer("Example:\n  orchestrator tasks import tasks.yaml\n\n"
                 "On any error nothing is imported; each error is printed as "
                 "FILE:LINE: message and the exit code is 2.");
  out.push_back(
    {import, [&opts, import_args] { return run_import(opts, *import_args); }});

  auto list_args = std::make_shared<list_options>();
  auto* list = tasks->add_subcommand("list", "List tasks, by phase and key");
  list->add_option("--status", list_args->status,
                   "only tasks with this status: pending, running, complete, "
                   "blocked");
  list->add_option("--phase", list_args->phase, "only tasks of this phase");
  list->footer("Example:\n  orchestrator tasks list --status blocked --json");
  out.push_back(
    {list, [&opts, list_args] { return run_list(opts, *list_args); }});

  auto show_key = std::make_shared<std::string>();
  auto* show = tasks->add_subcommand(
    "show", "Show one task with its dependencies, attempts and logs");
  show->add_option("KEY", *show_key, "task key")->required();
  show->footer("Example:\n  orchestrator tasks show CALC-1");
  out.push_back(
    {show, [&opts, show_key] { return run_show(opts, *show_key); }});

  add_retry_command(*tasks, opts, out);
}

} // namespace tdd::cli
