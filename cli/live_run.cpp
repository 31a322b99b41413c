#include "cli/live_run.hpp"

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/run_lock.hpp"
#include "messages/errc.hpp"

#include <nlohmann/json.hpp>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <thread>

namespace tdd::cli {

namespace {

/// Polls until every queued command is processed or 3 s have passed.
bool wait_processed(store::database& db, const std::vector<int64_t>& ids) {
  const auto deadline
    = std::chrono::steady_clock::now() + std::chrono::seconds{3};
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
    bool all = true;
    for (const auto id : ids) {
      auto c = db.find_control(id);
      all = all && c && *c && !(*c)->processed_at.empty();
    }
    if (all) {
      return true;
    }
  }
  return false;
}

} // namespace

std::string host_name() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) {
    return "unknown";
  }
  return host;
}

std::optional<store::run_info> live_run(store::database& db) {
  auto run = db.active_run();
  if (run && *run && run_lock_held(db.path())) {
    return **run;
  }
  return std::nullopt;
}

int hand_to_live_run(const global_options& opts, store::database& db,
                     const store::run_info& run, const std::string& command,
                     const std::vector<std::string>& arguments) {
  std::vector<int64_t> queued;
  for (const auto& argument : arguments) {
    auto id = db.enqueue_control(command, argument);
    if (!id) {
      print_error(describe(id.error()));
      return exit_code::bad_input;
    }
    queued.push_back(*id);
  }
  const bool applied = wait_processed(db, queued);
  if (opts.json) {
    print_json({{"command", command},
                {"arguments", arguments},
                {"via", "live_run"},
                {"applied", applied},
                {"run", {{"pid", run.pid}, {"host", run.host}}}});
    return exit_code::ok;
  }
  std::cout << (applied ? "Applied by the live run (pid "
                        : "Queued for the live run (pid ")
            << run.pid << " on " << printable(run.host) << ")"
            << (applied ? ": " : "; it applies it at its next poll: ");
  for (size_t i = 0; i < arguments.size(); ++i) {
    std::cout << (i > 0 ? ", " : "") << printable(arguments[i]);
  }
  std::cout << '\n';
  return exit_code::ok;
}

} // namespace tdd::cli
