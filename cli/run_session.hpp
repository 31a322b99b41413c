#pragma once

// The live part of `run`: the actor system (store, circuit hub,
// coordinator and its workers, the progress view), signal handling, and
// an orderly shutdown. cli/cmd_run.cpp prepares everything it needs.

#include "actors/fault_injection.hpp"
#include "cli/listen.hpp"
#include "core/budget.hpp"
#include "core/config.hpp"
#include "exec/agent.hpp"
#include "messages/run_actors.hpp"

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace tdd::cli {

struct run_session_config {
  std::string db_path;
  std::string repo_root;
  int64_t run_id = 0;
  std::string target;
  bool single_branch = false;
  std::vector<std::string> keys;
  std::set<std::string> resumable;
  core::config settings;
  exec::agent_spec agent;
  core::budget_limits limits;
  std::string description; ///< for the first progress line
  bool json = false;       ///< progress goes to stderr
  int verbosity = 0;       ///< -1: no progress
  /// Test-only crashes from TDD_TEST_FAULT (actors/fault_injection.hpp).
  std::shared_ptr<fault_plan> fault;
  /// --http HOST:PORT: the monitoring endpoints while the run lasts.
  std::string http;
  /// --listen: accept nodes (SPEC.md 7).
  std::optional<listen_plan> listen;
};

/// Runs the run to its end (or Ctrl-C) and returns how it ended. SIGINT
/// and SIGTERM are blocked in every thread meanwhile and turned into an
/// interrupt of the coordinator.
run_summary run_session(const run_session_config& cfg);

} // namespace tdd::cli
