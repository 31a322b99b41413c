#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "config/config_loader.hpp"
#include "messages/errc.hpp"
#include "store/database.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

namespace fs = std::filesystem;

namespace tdd::cli {

namespace {

/// What `init` did, for the report.
struct init_report {
  fs::path root;
  std::vector<std::string> created;
  std::vector<std::string> existing;

  void note(bool made, const fs::path& path) {
    auto shown = path.lexically_relative(root).string();
    if (shown.empty() || shown.rfind("..", 0) == 0) {
      shown = path.string();
    }
    (made ? created : existing).push_back(shown);
  }
};

/// Writes `text` to `path` through a temporary file and a rename, so a
/// failure never leaves half a file behind.
bool write_file_atomically(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) {
      return false;
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return false;
  }
  return true;
}

/// Adds `/.orchestrator/` to the repo's `info/exclude` unless it is there.
bool ensure_excluded(const fs::path& root, bool& added) {
  const fs::path info = common_git_dir(root) / "info";
  const fs::path exclude = info / "exclude";
  std::string text;
  {
    std::ifstream in(exclude, std::ios::binary);
    std::ostringstream buf;
    buf << in.rdbuf();
    text = buf.str();
  }
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line == ".orchestrator/" || line == "/.orchestrator/"
        || line == ".orchestrator" || line == "/.orchestrator") {
      added = false;
      return true;
    }
  }
  std::error_code ec;
  fs::create_directories(info, ec);
  if (!text.empty() && text.back() != '\n') {
    text += '\n';
  }
  text += "# tdd-orchestrator state (database, worktrees, logs)\n"
          "/.orchestrator/\n";
  added = true;
  return write_file_atomically(exclude, text);
}

int run_init(const global_options& opts) {
  std::error_code ec;
  const auto root = find_repo_root(fs::current_path(ec));
  if (!root) {
    print_error("not a git repository (or any parent directory); run "
                "'git init' first, then 'orchestrator init'");
    return exit_code::bad_input;
  }
  std::string error;
  const auto ws = resolve_workspace(opts, error);
  if (!ws) {
    print_error(error);
    return exit_code::bad_input;
  }
  init_report report{*root, {}, {}};
  const fs::path dir = state_dir(*root);
  report.note(fs::create_directories(dir, ec), dir);
  if (ec) {
    print_error("cannot create " + dir.string() + ": " + ec.message());
    return exit_code::bad_input;
  }
  const bool db_existed = fs::exists(ws->db_path, ec);
  if (auto db = store::database::open(ws->db_path.string(),
                                      store::open_mode::read_write);
      !db) {
    print_error(describe(db.error()));
    return exit_code::bad_input;
  }
  report.note(!db_existed, ws->db_path);
  const bool config_existed = fs::exists(ws->config_path, ec);
  if (!config_existed
      && !write_file_atomically(ws->config_path,
                                config::sample_config_yaml())) {
    print_error("cannot write " + ws->config_path.string());
    return exit_code::bad_input;
  }
  report.note(!config_existed, ws->config_path);
  bool added = false;
  if (!ensure_excluded(*root, added)) {
    print_error("cannot update the git exclude file under "
                + common_git_dir(*root).string());
    return exit_code::bad_input;
  }
  (added ? report.created : report.existing)
    .push_back("/.orchestrator/ in git's info/exclude");
  if (opts.json) {
    print_json({{"root", root->string()},
                {"db", ws->db_path.string()},
                {"config", ws->config_path.string()},
                {"created", report.created},
                {"existing", report.existing}});
    return exit_code::ok;
  }
  if (opts.verbosity >= 0) {
    std::cout << (report.created.empty() ? "Already initialized: "
                                         : "Initialized: ")
              << root->string() << '\n';
    for (const auto& x : report.created) {
      std::cout << "  created  " << printable(x) << '\n';
    }
    for (const auto& x : report.existing) {
      std::cout << "  exists   " << printable(x) << '\n';
    }
    std::cout << "Next: orchestrator tasks import tasks.yaml\n";
  }
  return exit_code::ok;
}

} // namespace

void add_init_command(CLI::App& parent, const global_options& opts,
                      command_list& out) {
  auto* app = parent.add_subcommand(
    "init", "Create .orchestrator/, the database and a commented "
            "orchestrator.yaml (idempotent)");
  app->footer("Example:\n  cd my-repo && orchestrator init\n\n"
              "Never overwrites an existing orchestrator.yaml or database; "
              "adds /.orchestrator/ to .git/info/exclude.");
  out.push_back({app, [&opts] { return run_init(opts); }});
}

} // namespace tdd::cli
