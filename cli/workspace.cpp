#include "cli/workspace.hpp"

#include <cstdlib>
#include <fstream>
#include <system_error>

namespace fs = std::filesystem;

namespace tdd::cli {

std::optional<fs::path> find_repo_root(const fs::path& start) {
  std::error_code ec;
  fs::path dir = fs::absolute(start, ec);
  if (ec) {
    return std::nullopt;
  }
  for (;;) {
    if (fs::exists(dir / ".git", ec)) {
      return dir;
    }
    if (!dir.has_parent_path() || dir.parent_path() == dir) {
      return std::nullopt;
    }
    dir = dir.parent_path();
  }
}

namespace {

std::string read_first_line(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
    line.pop_back();
  }
  return line;
}

} // namespace

fs::path common_git_dir(const fs::path& root) {
  fs::path git = root / ".git";
  std::error_code ec;
  if (!fs::is_regular_file(git, ec)) {
    return git;
  }
  // A linked worktree: ".git" holds "gitdir: <dir>", whose "commondir"
  // names the main repository's git directory.
  const std::string line = read_first_line(git);
  const std::string prefix = "gitdir: ";
  if (line.rfind(prefix, 0) != 0) {
    return git;
  }
  fs::path dir = line.substr(prefix.size());
  if (dir.is_relative()) {
    dir = root / dir;
  }
  if (fs::exists(dir / "commondir", ec)) {
    fs::path common = read_first_line(dir / "commondir");
    return common.is_relative() ? (dir / common).lexically_normal() : common;
  }
  return dir;
}

fs::path state_dir(const fs::path& root) {
  return root / ".orchestrator";
}

std::optional<workspace> resolve_workspace(const global_options& opts,
                                           std::string& error) {
  workspace ws;
  std::error_code ec;
  ws.root = find_repo_root(fs::current_path(ec));
  std::string db = opts.db;
  if (db.empty()) {
    const char* env = std::getenv("TDD_DB"); // NOLINT(concurrency-mt-unsafe)
    if (env != nullptr) {
      db = env;
    }
  }
  if (!db.empty()) {
    ws.db_path = fs::absolute(db, ec);
  } else if (ws.root) {
    ws.db_path = state_dir(*ws.root) / "orchestrator.db";
  } else {
    error = "not inside a git repository (or any parent directory); run "
            "this in your repository, or name a database with --db PATH";
    return std::nullopt;
  }
  if (!opts.config.empty()) {
    ws.config_path = fs::absolute(opts.config, ec);
    ws.config_explicit = true;
  } else if (ws.root) {
    ws.config_path = *ws.root / "orchestrator.yaml";
  }
  return ws;
}

} // namespace tdd::cli
