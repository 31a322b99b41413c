#pragma once

// A repository for `orchestrator run`: a tiny shell project with one
// commit on main, `init` done, tasks imported, and the scripted agent
// tests/e2e/scripts/agent.sh with a state directory outside the repo.
//
// Each task KEY tests in tests/KEY.sh and implements in lib/KEY.sh (so
// tasks touch different files unless a test says otherwise); verify is
// `sh check.sh {test_file}`, verify_all `sh check.sh --all`.

#include "e2e/harness.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace tdd::test {

inline constexpr const char* check_sh = R"(#!/bin/sh
# check.sh FILE...: runs each test file (a missing one fails).
# check.sh --all: runs every tests/*.sh, and fails on a REGRESSION marker.
if [ "$1" = --all ]; then
  if [ -e REGRESSION ]; then
    echo "check.sh: REGRESSION marker present"
    exit 1
  fi
  set --
  for t in tests/*.sh; do
    [ -f "$t" ] && set -- "$@" "$t"
  done
fi
rc=0
for t in "$@"; do
  if [ ! -f "$t" ]; then
    echo "check.sh: no test file $t"
    rc=1
  elif ! sh "$t"; then
    rc=1
  fi
done
exit $rc
)";

/// One task of the task file.
struct task_def {
  std::string key;
  std::string title;
  std::vector<std::string> depends_on = {};
  std::string impl_file = ""; ///< default lib/KEY.sh
  std::string goal = "";      ///< default "make KEY work"
  std::vector<std::string> acceptance = {};
};

/// The task file for `tasks`, in YAML flow style with JSON-quoted strings.
inline std::string tasks_yaml(const std::vector<task_def>& tasks) {
  std::string y = "defaults:\n  verify: \"sh check.sh {test_file}\"\n"
                  "  verify_all: \"sh check.sh --all\"\ntasks:\n";
  for (const auto& t : tasks) {
    y += "  - key: " + t.key + "\n";
    y += "    title: " + nlohmann::json(t.title).dump() + "\n";
    y += "    goal: "
         + nlohmann::json(t.goal.empty() ? "make " + t.key + " work" : t.goal)
             .dump()
         + "\n";
    y += "    acceptance: " + nlohmann::json(t.acceptance).dump() + "\n";
    y += "    test_file: tests/" + t.key + ".sh\n";
    y += "    impl_file: "
         + (t.impl_file.empty() ? "lib/" + t.key + ".sh" : t.impl_file) + "\n";
    y += "    depends_on: [";
    for (size_t i = 0; i < t.depends_on.size(); ++i) {
      y += (i == 0 ? "" : ", ") + t.depends_on[i];
    }
    y += "]\n";
  }
  return y;
}

/// The non-empty lines of `text`, sorted when `sorted`.
inline std::vector<std::string> lines_of(const std::string& text,
                                         bool sorted = false) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) {
      out.push_back(line);
    }
  }
  if (sorted) {
    std::sort(out.begin(), out.end());
  }
  return out;
}

/// Whether `pid` is a live process (a zombie is dead: it runs nothing).
inline bool process_alive(int pid) {
  if (pid <= 0) {
    return false;
  }
  if (kill(pid, 0) == -1 && errno == ESRCH) {
    return false;
  }
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) {
    return false;
  }
  std::string line;
  std::getline(stat, line);
  const auto close = line.rfind(')');
  return close == std::string::npos || close + 2 >= line.size()
         || line[close + 2] != 'Z';
}

struct run_repo {
  temp_repo repo;
  temp_dir state;
  std::string db;
  /// Pids an agent recorded; killed on destruction if still alive.
  std::vector<int> pids;

  /// The repo with one commit on main, `init` done and `tasks` imported.
  explicit run_repo(const std::vector<task_def>& tasks)
      : db((repo.dir() / ".orchestrator/orchestrator.db").string()) {
    repo.write("check.sh", check_sh);
    repo.write("README", "a tiny shell project\n");
    git({"add", "check.sh", "README"});
    git({"commit", "-q", "-m", "initial"});
    REQUIRE(repo.orchestrator({"init", "-q"}).code == 0);
    import(tasks);
  }

  ~run_repo() {
    for (const int pid : pids) {
      if (process_alive(pid)) {
        kill(pid, SIGKILL);
      }
    }
  }

  run_repo(const run_repo&) = delete;
  run_repo& operator=(const run_repo&) = delete;

  void import(const std::vector<task_def>& tasks) const {
    repo.write("tasks.yaml", tasks_yaml(tasks));
    const auto r = repo.orchestrator({"tasks", "import", "-q", "tasks.yaml"});
    REQUIRE_MESSAGE(r.code == 0, r.err);
  }

  /// git in the repo root with an identity; fails the test on error.
  std::string git(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{"git", "-c", "user.name=E2E Test", "-c",
                                  "user.email=e2e@localhost"};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = repo.run(argv);
    REQUIRE_MESSAGE(r.code == 0, "git failed: " << r.err);
    return r.out;
  }

  /// The scripted agent's lines (see scripts/agent.sh).
  void scenario(const std::vector<std::string>& lines) const {
    std::string text;
    for (const auto& l : lines) {
      text += l + "\n";
    }
    std::ofstream out(state.path() / "scenario", std::ios::trunc);
    out << text;
    REQUIRE(out.good());
  }

  std::string agent() const {
    return "cmd:/bin/sh '" + std::string(TDD_SOURCE_DIR)
           + "/tests/e2e/scripts/agent.sh' '" + state.path().string() + "'";
  }

  /// `orchestrator run --agent <the scripted agent> args...`.
  run_result run(const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env = {}) const {
    std::vector<std::string> argv{"run", "--agent", agent()};
    argv.insert(argv.end(), args.begin(), args.end());
    return repo.orchestrator(argv, env);
  }

  /// `run --agent <the scripted agent> args...` in the background.
  background_run start(const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& env
                       = {}) const {
    std::vector<std::string> argv{"run", "--agent", agent()};
    argv.insert(argv.end(), args.begin(), args.end());
    return repo.start_orchestrator(argv, env);
  }

  /// Runs SQL with the sqlite3 shell, as a user would.
  std::string sql(const std::string& statement) const {
    const auto r = repo.run({"sqlite3", db, statement});
    REQUIRE_MESSAGE(r.code == 0, r.err);
    return r.out;
  }

  /// key -> status, and key -> blocked_reason, from `tasks list --json`.
  std::map<std::string, std::string> statuses() const {
    return task_field("status");
  }
  std::map<std::string, std::string> blocked_reasons() const {
    return task_field("blocked_reason");
  }

  /// `tasks show KEY --json`.
  nlohmann::json show(const std::string& key) const {
    const auto r = repo.orchestrator({"tasks", "show", key, "--json"});
    REQUIRE_MESSAGE(r.code == 0, r.err);
    return r.json();
  }

  /// The agent's invocations, one "KEY STAGE ATTEMPT ACTIONS" per call.
  std::vector<std::string> calls() const {
    std::vector<std::string> lines;
    std::ifstream in(state.path() / "calls");
    for (std::string line; std::getline(in, line);) {
      lines.push_back(line);
    }
    return lines;
  }

  bool state_file(const std::string& name) const {
    return std::filesystem::exists(state.path() / name);
  }

  /// Every run's stdout and stderr, for failure messages.
  static std::string dump(const run_result& r) {
    return "exit " + std::to_string(r.code) + "\n--- stdout\n" + r.out
           + "\n--- stderr\n" + r.err;
  }

  /// "stage|outcome|reason" of each attempt of `key`, in order.
  std::string attempts(const std::string& key) const {
    return sql("SELECT stage || '|' || outcome || '|' || reason FROM attempts "
               "WHERE task_key = '"
               + key + "' ORDER BY id");
  }

private:
  std::map<std::string, std::string> task_field(const char* field) const {
    const auto r = repo.orchestrator({"tasks", "list", "--json"});
    REQUIRE_MESSAGE(r.code == 0, r.err);
    std::map<std::string, std::string> out;
    const auto doc = r.json();
    for (const auto& t : doc["tasks"]) {
      const auto& v = t[field];
      out[t["key"].get<std::string>()]
        = v.is_string() ? v.get<std::string>() : std::string{};
    }
    return out;
  }
};

} // namespace tdd::test
