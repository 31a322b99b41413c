#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace tdd::cli {

/// Global flags, accepted before or after the subcommand.
struct global_options {
  std::string db;     ///< --db PATH ("" = TDD_DB or the default)
  std::string config; ///< --config PATH ("" = <root>/orchestrator.yaml)
  bool json = false;  ///< --json
  int verbosity = 0;  ///< -q = -1, -v = 1 (repeatable)
};

/// Where a command works: the repo root (when inside one), the database and
/// the config file it uses.
struct workspace {
  std::optional<std::filesystem::path> root;
  std::filesystem::path db_path;
  std::filesystem::path config_path; ///< empty when there is no repo root
  bool config_explicit = false;      ///< --config given: it must exist
};

/// The nearest directory at or above `start` holding `.git` (a directory,
/// or a file as in linked worktrees), like git does.
std::optional<std::filesystem::path>
find_repo_root(const std::filesystem::path& start);

/// The git directory that holds `info/exclude` for the repo at `root`
/// (follows `gitdir:` files and `commondir` of linked worktrees).
std::filesystem::path common_git_dir(const std::filesystem::path& root);

/// Resolves the workspace from the flags, `TDD_DB` and the current
/// directory. Returns an error message when no database location can be
/// found (outside a repo without --db).
std::optional<workspace> resolve_workspace(const global_options& opts,
                                           std::string& error);

/// `.orchestrator` under the repo root.
std::filesystem::path state_dir(const std::filesystem::path& root);

} // namespace tdd::cli
