#include "cli/circuit_view.hpp"
#include "cli/commands.hpp"
#include "cli/live_run.hpp"
#include "core/suggest.hpp"
#include "messages/errc.hpp"
#include "store/database.hpp"

#include <nlohmann/json.hpp>
#include <unistd.h>

#include <iostream>

namespace tdd::cli {

namespace {

constexpr const char* valid_forms
  = "valid forms: stage:TASK:STAGE (STAGE is red, green, verify, fix, "
    "refactor or commit), worker:ID, system, all";

std::string hint(const std::string& word,
                 const std::vector<std::string>& candidates) {
  const auto close = core::close_matches(word, candidates);
  if (close.empty()) {
    return "";
  }
  std::string out = "; did you mean ";
  for (size_t i = 0; i < close.size(); ++i) {
    out += (i > 0 ? ", " : "") + printable(close[i]);
  }
  return out + "?";
}

std::vector<std::string> known_ids(store::database& db, core::wall_time now,
                                   std::optional<core::circuit_level> level) {
  std::vector<std::string> out;
  if (auto all = db.load_circuits(now)) {
    for (const auto& c : *all) {
      if (!level || c.level == *level) {
        out.push_back(level ? c.identifier
                            : core::display_id(c.level, c.identifier));
      }
    }
  }
  return out;
}

/// The task key of a stage circuit identifier `TASK:STAGE`.
std::string task_of(const std::string& identifier) {
  return identifier.substr(0, identifier.rfind(':'));
}

int unknown(const std::string& what) {
  print_error(what);
  return exit_code::bad_input;
}

int check_exists(store::database& db, const core::circuit_ref& ref,
                 core::wall_time now) {
  if (ref.level == core::circuit_level::stage) {
    const auto key = task_of(ref.identifier);
    auto task = db.find_task(key);
    if (task && *task) {
      return exit_code::ok;
    }
    std::vector<std::string> keys;
    if (auto nodes = db.task_nodes()) {
      for (const auto& n : *nodes) {
        keys.push_back(n.key);
      }
    }
    return unknown("unknown task \"" + printable(key) + "\" in "
                   + printable(core::display_id(ref.level, ref.identifier))
                   + hint(key, keys));
  }
  if (ref.level == core::circuit_level::worker) {
    const auto workers = known_ids(db, now, core::circuit_level::worker);
    for (const auto& w : workers) {
      if (w == ref.identifier) {
        return exit_code::ok;
      }
    }
    return unknown("unknown worker \"" + printable(ref.identifier)
                   + "\" (no circuit recorded for it)"
                   + hint(ref.identifier, workers));
  }
  return exit_code::ok;
}

bool confirm_all(size_t n) {
  std::cerr << "Reset " << n << (n == 1 ? " circuit" : " circuits")
            << " to closed? [y/N] " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "y" || answer == "Y" || answer == "yes";
}

int resolve_all(store::database& db, const reset_options& args,
                core::wall_time now, std::vector<core::circuit_ref>& out) {
  auto all = db.load_circuits(now);
  if (!all) {
    return unknown(describe(all.error()));
  }
  for (const auto& c : *all) {
    if (c.state != core::circuit_state::closed || c.failure_count > 0
        || c.consecutive_failures > 0 || c.extensions > 0) {
      out.push_back({c.level, c.identifier});
    }
  }
  if (args.force || out.empty()) {
    return exit_code::ok;
  }
  if (isatty(STDIN_FILENO) == 0 || isatty(STDERR_FILENO) == 0) {
    return unknown("refusing to reset all circuits without --force (not "
                   "on a terminal, so cannot ask)");
  }
  if (!confirm_all(out.size())) {
    return unknown("nothing reset");
  }
  return exit_code::ok;
}

} // namespace

int resolve_reset_targets(store::database& db, const reset_options& args,
                          core::wall_time now,
                          std::vector<core::circuit_ref>& out) {
  if (args.id == "all") {
    return resolve_all(db, args, now, out);
  }
  const auto ref = core::parse_circuit_ref(args.id);
  if (!ref) {
    auto ids = known_ids(db, now, std::nullopt);
    return unknown("unknown circuit \"" + printable(args.id) + "\"; "
                   + valid_forms + hint(args.id, ids));
  }
  if (int code = check_exists(db, *ref, now); code != exit_code::ok) {
    return code;
  }
  out.push_back(*ref);
  return exit_code::ok;
}

int apply_reset(const global_options& opts, store::database& db,
                const std::vector<core::circuit_ref>& targets, bool all,
                core::wall_time now) {
  std::vector<std::string> ids;
  for (const auto& t : targets) {
    ids.push_back(core::display_id(t.level, t.identifier));
  }
  if (auto run = live_run(db)) {
    return hand_to_live_run(opts, db, *run, "circuit_reset",
                            all ? std::vector<std::string>{"all"} : ids);
  }
  auto report = nlohmann::json::array();
  for (size_t i = 0; i < targets.size(); ++i) {
    auto before = db.find_circuit(targets[i].level, targets[i].identifier, now);
    auto after = db.reset_circuit(targets[i].level, targets[i].identifier, now);
    if (!after) {
      return unknown(describe(after.error()) + "; reset stopped at " + ids[i]);
    }
    const auto from = before && *before ? core::to_string((*before)->state)
                                        : std::string{"closed"};
    report.push_back({{"id", ids[i]}, {"from", from}, {"to", "closed"}});
    if (!opts.json && opts.verbosity >= 0) {
      std::cout << printable(ids[i]) << ": " << from << " -> closed\n";
    }
  }
  if (opts.json) {
    print_json({{"reset", report}, {"via", "database"}});
  } else if (targets.empty() && opts.verbosity >= 0) {
    std::cout << "Nothing to reset: every circuit is closed with no "
                 "failures.\n";
  }
  return exit_code::ok;
}

} // namespace tdd::cli
