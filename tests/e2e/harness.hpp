#pragma once

// End-to-end harness: a real temporary git repository and the real
// `orchestrator` binary run as a child process.

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tdd::test {

/// What one run of a command printed and returned.
struct run_result {
  int code = -1;
  std::string out;
  std::string err;

  /// stdout parsed as JSON (fails the test when it does not parse).
  nlohmann::json json() const;
};

/// A command started in a process group of its own (its pid is the group
/// id) that runs while the test goes on. Destruction SIGKILLs the group if
/// it still runs and reaps it.
class background_run {
public:
  background_run(const std::vector<std::string>& argv,
                 const std::map<std::string, std::string>& env,
                 const std::filesystem::path& cwd);
  background_run(background_run&& other) noexcept;
  background_run& operator=(background_run&&) = delete;
  background_run(const background_run&) = delete;
  background_run& operator=(const background_run&) = delete;
  ~background_run();

  /// Its pid and process group id; -1 once reaped.
  int pid() const { return pid_; }

  /// Sends `sig` to the process, or to its whole group.
  void signal(int sig, bool group = false) const;

  /// Waits up to `limit` for it to exit: what it printed and its exit code
  /// (128 + signal when killed), or nullopt if it still runs.
  std::optional<run_result> wait(std::chrono::milliseconds limit);

  /// What it printed so far (stdout, then stderr), for failure messages.
  std::string output() const;

private:
  std::filesystem::path scratch_;
  int pid_ = -1;
};

/// Polls `condition` every 10 ms until it holds (true) or `limit` passed
/// (false). For waiting on something a test cannot be told about.
bool wait_until(const std::function<bool()>& condition,
                std::chrono::milliseconds limit);

/// A temporary directory with `git init` done, removed with everything in
/// it on destruction.
class temp_repo {
public:
  temp_repo();
  ~temp_repo();
  temp_repo(const temp_repo&) = delete;
  temp_repo& operator=(const temp_repo&) = delete;

  const std::filesystem::path& dir() const { return dir_; }

  /// Writes `text` to `rel` (creating parent directories).
  void write(const std::string& rel, const std::string& text) const;

  /// Reads the whole file at `rel`.
  std::string read(const std::string& rel) const;

  /// Runs the orchestrator in `cwd` (default: the repo root) with `args`
  /// and extra environment variables.
  run_result orchestrator(const std::vector<std::string>& args,
                          const std::map<std::string, std::string>& env = {},
                          const std::filesystem::path& cwd = {}) const;

  /// Starts the orchestrator in the repo root in the background.
  background_run
  start_orchestrator(const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env = {}) const;

  /// Runs any program (looked up in PATH) in the repo root.
  run_result run(const std::vector<std::string>& argv,
                 const std::map<std::string, std::string>& env = {},
                 const std::filesystem::path& cwd = {}) const;

private:
  std::filesystem::path dir_;
};

/// A scratch directory that is not a git repository.
class temp_dir {
public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const { return dir_; }

private:
  std::filesystem::path dir_;
};

/// Path of the orchestrator binary under test.
std::string orchestrator_binary();

} // namespace tdd::test
