#pragma once

// A throwaway git repository for exec/ git tests: made with mkdtemp,
// removed afterwards. HOME and XDG_CONFIG_HOME point at an empty
// directory and GIT_CONFIG_NOSYSTEM=1, so no git config of the machine or
// the user leaks in: in particular there is no user.name / user.email.

#include "exec/git.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tdd::test {

/// Sets environment variables for its lifetime (tests run on one thread).
class env_override {
public:
  void set(const std::string& name, const std::optional<std::string>& value) {
    if (saved_.count(name) == 0) {
      const char* old = std::getenv(name.c_str());
      saved_[name] = old ? std::optional<std::string>{old} : std::nullopt;
    }
    apply(name, value);
  }
  env_override() = default;
  env_override(const env_override&) = delete;
  env_override& operator=(const env_override&) = delete;
  ~env_override() {
    for (const auto& [name, value] : saved_) {
      apply(name, value);
    }
  }

private:
  static void apply(const std::string& name,
                    const std::optional<std::string>& value) {
    if (value) {
      ::setenv(name.c_str(), value->c_str(),
               1); // NOLINT(concurrency-mt-unsafe)
    } else {
      ::unsetenv(name.c_str()); // NOLINT(concurrency-mt-unsafe)
    }
  }
  std::map<std::string, std::optional<std::string>> saved_;
};

struct git_test_repo {
  git_test_repo() {
    std::string pattern
      = (std::filesystem::temp_directory_path() / "tdd-git-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    base = pattern;
    home = base + "/home";
    repo = base + "/repo";
    std::filesystem::create_directories(home);
    env.set("HOME", home);
    env.set("XDG_CONFIG_HOME", home);
    env.set("GIT_CONFIG_NOSYSTEM", "1");
    for (const auto* name :
         {"GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME",
          "GIT_COMMITTER_EMAIL", "EMAIL", "GIT_DIR", "GIT_WORK_TREE"}) {
      env.set(name, std::nullopt);
    }
    git(base, {"init", "--quiet", "--initial-branch=main", "repo"});
    write(".git/info/exclude", ".orchestrator/\n");
    write("README", "hello\n");
    commit(repo, "initial");
  }
  git_test_repo(const git_test_repo&) = delete;
  git_test_repo& operator=(const git_test_repo&) = delete;
  ~git_test_repo() {
    std::error_code ec;
    std::filesystem::remove_all(base, ec);
  }

  /// Runs git and requires success; returns its output.
  static std::string git(const std::string& dir,
                         const std::vector<std::string>& args) {
    const auto r = exec::git::run(dir, args);
    INFO(r.error);
    REQUIRE(r.ok());
    return r.value;
  }

  /// Output of git without the trailing newline.
  static std::string git_line(const std::string& dir,
                              const std::vector<std::string>& args) {
    auto out = git(dir, args);
    while (!out.empty() && out.back() == '\n') {
      out.pop_back();
    }
    return out;
  }

  /// Commits everything in `dir` as a plain (non-task) commit.
  static std::string commit(const std::string& dir,
                            const std::string& subject) {
    git(dir, {"add", "--all"});
    git(dir, {"-c", "user.name=Test", "-c", "user.email=test@example.com",
              "commit", "--quiet", "--allow-empty", "-m", subject});
    return git_line(dir, {"rev-parse", "HEAD"});
  }

  /// Writes `text` to `path`, relative to `dir` (default: the repo).
  void write(const std::string& path, const std::string& text,
             const std::string& dir = {}) const {
    const auto file = std::filesystem::path{dir.empty() ? repo : dir} / path;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream out{file, std::ios::binary | std::ios::trunc};
    out << text;
  }

  std::string read(const std::string& path, const std::string& dir = {}) const {
    std::ifstream in{std::filesystem::path{dir.empty() ? repo : dir} / path,
                     std::ios::binary};
    return {std::istreambuf_iterator<char>{in}, {}};
  }

  std::string worktree(const std::string& name) const {
    return repo + "/.orchestrator/worktrees/" + name;
  }

  env_override env;
  std::string base;
  std::string home;
  std::string repo;
};

} // namespace tdd::test
