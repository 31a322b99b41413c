#include "cli/commands.hpp"
#include "cli/live_run.hpp"
#include "cli/open_db.hpp"
#include "cli/output.hpp"
#include "core/suggest.hpp"
#include "messages/errc.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <iostream>
#include <map>
#include <memory>

namespace tdd::cli {

namespace {

struct retry_options {
  std::vector<std::string> keys;
};

/// What retrying one task changed.
struct retried {
  std::string key;
  std::vector<std::string> unblocked; ///< dependents blocked because of it
  std::vector<std::string> circuits;  ///< stage circuits closed
};

int bad(const std::string& message) {
  print_error(message);
  return exit_code::bad_input;
}

/// Checks every key names a blocked task; collects the dependents that are
/// blocked only because of it (reason dependency_blocked:<KEY>).
int check_keys(store::database& db, const std::vector<std::string>& keys,
               std::vector<retried>& out) {
  auto rows = db.list_tasks({});
  if (!rows) {
    return bad(describe(rows.error()));
  }
  std::map<std::string, const task_row*> by_key;
  std::vector<std::string> all;
  for (const auto& row : *rows) {
    by_key[row.spec.key] = &row;
    all.push_back(row.spec.key);
  }
  for (const auto& key : keys) {
    const auto it = by_key.find(key);
    if (it == by_key.end()) {
      const auto close = core::close_matches(key, all);
      return bad("unknown task \"" + printable(key) + "\""
                 + (close.empty() ? "" : "; did you mean " + close[0] + "?"));
    }
    if (it->second->status != core::task_status::blocked) {
      return bad("task " + key + " is " + core::to_string(it->second->status)
                 + ", not blocked; only blocked tasks can be retried");
    }
    retried r{key, {}, {}};
    for (const auto& row : *rows) {
      if (row.status == core::task_status::blocked
          && row.blocked_reason == "dependency_blocked:" + key) {
        r.unblocked.push_back(row.spec.key);
      }
    }
    out.push_back(std::move(r));
  }
  return exit_code::ok;
}

/// Pending again, stage circuits closed: one transaction for everything.
int retry_in_database(store::database& db, std::vector<retried>& tasks) {
  const auto now = std::chrono::system_clock::now();
  auto circuits = db.load_circuits(now);
  if (!circuits) {
    return bad(describe(circuits.error()));
  }
  auto txn = db.begin();
  if (!txn) {
    return bad(describe(txn.error()));
  }
  for (auto& t : tasks) {
    std::vector<std::string> keys = t.unblocked;
    keys.push_back(t.key);
    for (const auto& key : keys) {
      if (auto err
          = db.set_task_status({key, core::task_status::pending, ""})) {
        return bad(describe(err) + "; nothing retried");
      }
      // A retried task starts over at red, even with `run --resume`.
      if (auto err = db.set_current_stage(key, "")) {
        return bad(describe(err) + "; nothing retried");
      }
    }
    for (const auto& c : *circuits) {
      if (c.level == core::circuit_level::stage
          && c.identifier.rfind(t.key + ":", 0) == 0) {
        if (auto r = db.reset_circuit(c.level, c.identifier, now); !r) {
          return bad(describe(r.error()) + "; nothing retried");
        }
        t.circuits.push_back(core::display_id(c.level, c.identifier));
      }
    }
  }
  if (auto err = txn->commit()) {
    return bad(describe(err) + "; nothing retried");
  }
  return exit_code::ok;
}

void report(const global_options& opts, const std::vector<retried>& tasks) {
  if (opts.json) {
    auto list = nlohmann::json::array();
    for (const auto& t : tasks) {
      list.push_back({{"key", t.key},
                      {"unblocked", t.unblocked},
                      {"circuits_reset", t.circuits}});
    }
    print_json({{"retried", list}, {"via", "database"}});
    return;
  }
  if (opts.verbosity < 0) {
    return;
  }
  for (const auto& t : tasks) {
    std::cout << printable(t.key) << ": pending";
    if (!t.unblocked.empty()) {
      std::cout << " (also unblocked: " << t.unblocked.size() << ")";
    }
    if (!t.circuits.empty()) {
      std::cout << ", " << t.circuits.size() << " stage circuit"
                << (t.circuits.size() == 1 ? "" : "s") << " closed";
    }
    std::cout << '\n';
  }
}

int run_retry(const global_options& opts, const retry_options& args) {
  auto db = open_database(opts, store::open_mode::read_write);
  if (!db) {
    return exit_code::bad_input;
  }
  std::vector<retried> tasks;
  if (int code = check_keys(*db, args.keys, tasks); code != exit_code::ok) {
    return code;
  }
  if (auto run = live_run(*db)) {
    return hand_to_live_run(opts, *db, *run, "task_retry", args.keys);
  }
  if (int code = retry_in_database(*db, tasks); code != exit_code::ok) {
    return code;
  }
  report(opts, tasks);
  return exit_code::ok;
}

} // namespace

void add_retry_command(CLI::App& tasks, const global_options& opts,
                       command_list& out) {
  auto args = std::make_shared<retry_options>();
  auto* retry = tasks.add_subcommand(
    "retry", "Put blocked tasks back to pending and close their stage "
             "circuits (a live run picks it up within 2 s)");
  retry->add_option("KEY", args->keys, "blocked task keys")->required();
  retry->footer("Example:\n  orchestrator tasks retry CALC-3 CALC-5\n\n"
                "Tasks blocked only because a retried task was blocked "
                "(dependency_blocked:KEY) return to pending too. All or "
                "nothing: an unknown or unblocked key changes nothing.");
  out.push_back({retry, [&opts, args] { return run_retry(opts, *args); }});
}

} // namespace tdd::cli
