// The run lock and the run recorded as active: one run per database, and a
// dead one finished before --resume carries on.

#include "cli/active_run.hpp"

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "messages/errc.hpp"

#include <chrono>

namespace tdd::cli {

namespace {

/// "run 3 (pid 1234 on host, started ...)".
std::string describe_run(const store::run_info& run) {
  return "run " + std::to_string(run.id) + " (pid " + std::to_string(run.pid)
         + " on " + run.host + ", started " + run.started_at + ")";
}

/// Refuses a run while another holds the run lock (cli/run_lock.hpp):
/// names the active run, or says one is starting (it locked, but has not
/// recorded itself yet).
int refuse_live_run(store::database& db,
                    const std::optional<store::run_info>& active) {
  if (!active) {
    print_error("another run is starting on this database (it holds "
                + run_lock_path(db.path()) + "); wait for it");
    return exit_code::bad_input;
  }
  print_error(describe_run(*active)
              + " is active on this database; wait for it, or stop "
                "it with Ctrl-C (kill -INT "
              + std::to_string(active->pid) + ")");
  return exit_code::bad_input;
}

} // namespace

std::optional<int> check_active_run(store::database& db, bool resume,
                                    std::optional<run_lock>& lock) {
  std::string error;
  lock = run_lock::acquire(db.path(), std::chrono::seconds{1}, error);
  if (!error.empty()) {
    print_error(error);
    return exit_code::bad_input;
  }
  auto active = db.active_run();
  if (!active) {
    print_error(describe(active.error()));
    return exit_code::bad_input;
  }
  if (!lock) {
    return refuse_live_run(db, *active);
  }
  if (!*active) {
    return std::nullopt;
  }
  const auto& run = **active; // its process is gone: it held the lock
  if (!resume) {
    print_error(describe_run(run)
                + " stopped without finishing; continue it with: "
                  "orchestrator run --resume");
    return exit_code::bad_input;
  }
  // Attempts first: dying between the two steps leaves the run active, so
  // the next --resume does both again.
  if (auto n = db.interrupt_open_attempts(run.id, "run_died"); !n) {
    print_error(describe(n.error()));
    return exit_code::bad_input;
  }
  const auto now = caf::timestamp{std::chrono::system_clock::now()};
  if (auto err = db.finish_run(run.id, core::run_outcome::interrupted,
                               "the process died", now)) {
    print_error(describe(err));
    return exit_code::bad_input;
  }
  return std::nullopt;
}

} // namespace tdd::cli
