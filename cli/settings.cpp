#include "cli/settings.hpp"

#include "cli/output.hpp"

#include <filesystem>
#include <iostream>
#include <system_error>

namespace fs = std::filesystem;

namespace tdd::cli {

config::config_request
make_config_request(const global_options& opts,
                    std::vector<config::flag_value> flags) {
  config::config_request req;
  std::error_code ec;
  if (!opts.config.empty()) {
    req.file_path = opts.config;
    req.display_path = opts.config;
    req.file_required = true;
  } else if (auto root = find_repo_root(fs::current_path(ec))) {
    const fs::path file = *root / "orchestrator.yaml";
    req.file_path = file.string();
    const auto rel = file.lexically_relative(fs::current_path(ec)).string();
    req.display_path = rel.empty() ? file.string() : rel;
  }
  req.env = config::environment_snapshot();
  req.flags = std::move(flags);
  return req;
}

std::optional<config::loaded_config>
load_settings(const global_options& opts,
              std::vector<config::flag_value> flags) {
  auto loaded
    = config::load_config(make_config_request(opts, std::move(flags)));
  if (!loaded.errors.empty()) {
    for (const auto& d : loaded.errors) {
      std::cerr << printable(d.to_string()) << '\n';
    }
    return std::nullopt;
  }
  return loaded;
}

} // namespace tdd::cli
