#pragma once

// Helpers for the crash and no-zombies tests (crash_lock_test.cpp,
// no_zombies_test.cpp): the pids the scripted agent's `procs` and `hang`
// actions record, and the commits a task landed.

#include "e2e/run_lock_holder.hpp"
#include "e2e/run_repo.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

namespace tdd::test {

/// The pids agent.sh's `procs` action appended to `pids` (agent, its
/// background child, its setsid daemon) and the `hang` action wrote to
/// hang.*.pid; all are registered in `r.pids`, so the fixture kills
/// whatever a failing test leaves.
inline std::vector<int> recorded_pids(run_repo& r) {
  std::vector<int> out;
  std::ifstream in(r.state.path() / "pids");
  for (int pid = 0; in >> pid;) {
    out.push_back(pid);
  }
  for (const auto& entry :
       std::filesystem::directory_iterator(r.state.path())) {
    const auto name = entry.path().filename().string();
    if (name.rfind("hang.", 0) == 0 && name.size() > 4
        && name.compare(name.size() - 4, 4, ".pid") == 0) {
      int pid = 0;
      std::ifstream(entry.path()) >> pid;
      out.push_back(pid);
    }
  }
  r.pids.insert(r.pids.end(), out.begin(), out.end());
  return out;
}

/// The pids of `pids` still alive, waiting up to `limit` for them to die
/// (the watchdog needs a moment after a kill -9).
inline std::vector<int> survivors(const std::vector<int>& pids,
                                  std::chrono::milliseconds limit
                                  = std::chrono::seconds{10}) {
  const auto alive = [&pids] {
    std::vector<int> out;
    for (const int pid : pids) {
      if (process_alive(pid)) {
        out.push_back(pid);
      }
    }
    return out;
  };
  wait_until([&] { return alive().empty(); }, limit);
  return alive();
}

/// Waits up to 20 s until the agent of every key in `keys` hangs in
/// `stage` (its hang.KEY.STAGE.pid exists).
inline bool wait_for_hang(const run_repo& r,
                          const std::vector<std::string>& keys,
                          const std::string& stage = "red") {
  return wait_until(
    [&] {
      for (const auto& key : keys) {
        if (!r.state_file("hang." + key + "." + stage + ".pid")) {
          return false;
        }
      }
      return true;
    },
    std::chrono::seconds{20});
}

/// How many commits on main carry the trailer `TDD-Task: KEY`.
inline int task_commits(const run_repo& r, const std::string& key) {
  int n = 0;
  for (const auto& line : lines_of(r.git({"log", "main", "--format=%B"}))) {
    n += line == "TDD-Task: " + key ? 1 : 0;
  }
  return n;
}

} // namespace tdd::test
