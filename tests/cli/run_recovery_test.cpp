// reconcile_repository at the start of a run: what a killed run left in
// git is cleaned in the orchestrator's worktrees, and only there.

#include "cli/run_recovery.hpp"

#include "exec/git_test_repo.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

using tdd::test::git_test_repo;

namespace fs = std::filesystem;

namespace {

/// Captures what is written to std::cerr while alive.
class cerr_capture {
public:
  cerr_capture() : old_(std::cerr.rdbuf(text_.rdbuf())) {}
  ~cerr_capture() { std::cerr.rdbuf(old_); }
  cerr_capture(const cerr_capture&) = delete;
  cerr_capture& operator=(const cerr_capture&) = delete;
  std::string text() const { return text_.str(); }

private:
  std::ostringstream text_;
  std::streambuf* old_;
};

void touch(const std::string& path) {
  fs::create_directories(fs::path{path}.parent_path());
  std::ofstream{path} << "";
}

} // namespace

TEST_CASE("reconcile_repository: stale locks, lost worktrees and half-made "
          "rebases of a killed run are cleaned, the user's locks stay") {
  git_test_repo g;
  const auto worktrees = g.repo + "/.orchestrator/worktrees";
  const auto add = [&](const std::string& name) {
    const auto path = worktrees + "/" + name;
    g.git(g.repo, {"worktree", "add", "--quiet", "--detach", path, "main"});
    return g.git_line(path, {"rev-parse", "--absolute-git-dir"});
  };
  const auto w1 = add("worker_1");
  const auto w2 = add("worker_2");
  add("worker_3");
  touch(w1 + "/index.lock");
  touch(w2 + "/rebase-merge/interactive");
  touch(g.repo + "/.git/index.lock"); // the user's
  fs::remove_all(worktrees + "/worker_3");

  cerr_capture err;
  tdd::cli::reconcile_repository(g.repo, worktrees);
  CHECK(err.text().find("removed a git lock left by a killed run: " + w1
                        + "/index.lock")
        != std::string::npos);
  CHECK_FALSE(fs::exists(w1 + "/index.lock"));
  CHECK_FALSE(fs::exists(w2 + "/rebase-merge"));
  CHECK(fs::exists(g.repo + "/.git/index.lock"));
  fs::remove(g.repo + "/.git/index.lock");
  const auto list = g.git(g.repo, {"worktree", "list", "--porcelain"});
  CHECK(list.find("worker_3") == std::string::npos);
  CHECK(list.find("worker_1") != std::string::npos);
}
