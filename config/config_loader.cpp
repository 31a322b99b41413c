#include "config/config_loader.hpp"

#include "core/suggest.hpp"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>
#include <utility>

namespace tdd::config {

namespace {

std::string in_quotes(std::string_view text) {
  return "\"" + std::string{text} + "\"";
}

/// Every setting key and every section above one ("circuits.stage"), so
/// "circuits.sytem" can be matched to "circuits.system".
std::vector<std::string> key_and_section_names() {
  std::vector<std::string> names;
  const auto add = [&names](std::string name) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      names.push_back(std::move(name));
    }
  };
  for (const auto& s : core::settings()) {
    for (auto dot = s.key.find('.'); dot != std::string::npos;
         dot = s.key.find('.', dot + 1)) {
      add(s.key.substr(0, dot));
    }
    add(s.key);
  }
  return names;
}

/// " (did you mean "circuits.system"?)" or "". A key in the wrong section
/// ("max_failures" at the top level) matches as a substring.
std::string hint_for(std::string_view unknown_key) {
  static const auto names = key_and_section_names();
  const auto matches = core::close_matches(
    unknown_key, names, std::max<std::size_t>(2, unknown_key.size() / 4), 1);
  if (matches.empty()) {
    return "";
  }
  return " (did you mean " + in_quotes(matches.front()) + "?)";
}

/// `expected a positive integer, got "three"`; a secret value is never shown.
std::string expected_message(const core::setting& s,
                             const std::string& expected,
                             std::string_view text) {
  if (s.is_secret) {
    return "expected " + expected + " (value not shown: it is a secret)";
  }
  return "expected " + expected + ", got " + in_quotes(text);
}

/// Applies one environment variable or flag on top of the lower layers.
void apply_override(loaded_config& out, const core::setting& s,
                    std::string_view text, setting_source source) {
  if (const auto expected = s.store(out.values, text)) {
    out.errors.push_back(
      {source.where, 0, expected_message(s, *expected, text)});
    return;
  }
  out.sources[s.key] = std::move(source);
}

void load_env(const config_request& req, loaded_config& out) {
  for (const auto& s : core::settings()) {
    if (s.env.empty()) {
      continue;
    }
    if (const auto it = req.env.find(s.env); it != req.env.end()) {
      apply_override(out, s, it->second, {source_kind::env, s.env});
    }
  }
}

void load_flags(const config_request& req, loaded_config& out) {
  for (const auto& f : req.flags) {
    const auto* s = core::find_setting(f.key);
    if (s == nullptr) {
      out.errors.push_back({f.flag, 0, "unknown setting " + in_quotes(f.key)});
      continue;
    }
    apply_override(out, *s, f.text, {source_kind::flag, f.flag});
  }
}

/// Walks the nested YAML mapping, storing each setting it names.
struct file_walker {
  std::string name; ///< the file as errors name it
  loaded_config& out;
  std::map<std::string, int> first_line = {}; ///< key -> line first set

  void fail(int line, std::string message) {
    out.errors.push_back({name, line, std::move(message)});
  }

  void walk(const YAML::Node& map, const std::string& prefix) {
    for (const auto& pair : map) {
      visit(pair.first, pair.second, prefix);
    }
  }

  void visit(const YAML::Node& key, const YAML::Node& value,
             const std::string& prefix) {
    const int line = key.Mark().line + 1;
    if (!key.IsScalar()) {
      fail(line, "a key must be a plain name");
      return;
    }
    const auto full = prefix + key.Scalar();
    if (const auto [it, is_new] = first_line.emplace(full, line); !is_new) {
      fail(line, "duplicate key " + in_quotes(full) + " (first set on line "
                   + std::to_string(it->second) + ")");
      return;
    }
    if (const auto* s = core::find_setting(full)) {
      store(*s, value, line);
      return;
    }
    if (core::is_section(full)) {
      section(full, value, line);
      return;
    }
    fail(line, "unknown key " + in_quotes(full) + hint_for(full));
  }

  void store(const core::setting& s, const YAML::Node& value, int line) {
    if (!value.IsNull() && !value.IsScalar()) {
      fail(line, s.key + " must be " + s.expected);
      return;
    }
    // An empty value (`max_cost_usd:`) unsets an optional setting.
    const auto text = value.IsNull() ? std::string{} : value.Scalar();
    if (const auto expected = s.store(out.values, text)) {
      fail(line, s.key + " must be " + *expected);
      return;
    }
    out.sources[s.key] = {source_kind::file, name + ":" + std::to_string(line)};
  }

  void section(const std::string& full, const YAML::Node& value, int line) {
    if (value.IsNull()) {
      return; // `circuits:` with everything below commented out
    }
    if (!value.IsMap()) {
      fail(line, full + " must be a mapping of settings");
      return;
    }
    walk(value, full + ".");
  }
};

/// The file's text; nullopt when there is none to read or it failed.
std::optional<std::string> read_config_file(const config_request& req,
                                            const std::string& name,
                                            loaded_config& out) {
  std::error_code ec;
  if (!req.file_required && !std::filesystem::exists(req.file_path, ec)
      && !ec) {
    return std::nullopt; // the file is optional
  }
  const auto fail = [&](const std::string& reason) {
    const auto path = name == req.file_path ? "" : " " + req.file_path;
    out.errors.push_back(
      {name, 0, "cannot read config file" + path + ": " + reason});
  };
  if (std::filesystem::is_directory(req.file_path, ec)) {
    fail("is a directory");
    return std::nullopt;
  }
  std::ifstream in{req.file_path, std::ios::binary};
  if (!in) {
    fail(std::generic_category().message(errno));
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    fail("read error");
    return std::nullopt;
  }
  return text.str();
}

void load_file(const config_request& req, loaded_config& out) {
  if (req.file_path.empty()) {
    return;
  }
  const auto name = req.display_path.empty() ? req.file_path : req.display_path;
  const auto text = read_config_file(req, name, out);
  if (!text) {
    return;
  }
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    // yaml-cpp marks are 0-based; a missing mark (-1) becomes "no line".
    out.errors.push_back({name, e.mark.line + 1, "invalid YAML: " + e.msg});
    return;
  }
  if (root.IsNull()) {
    return; // empty, or only comments
  }
  if (!root.IsMap()) {
    out.errors.push_back(
      {name, root.Mark().line + 1,
       "expected a mapping of settings, like \"workers: 3\""});
    return;
  }
  file_walker{name, out}.walk(root, "");
}

std::string source_text(const setting_source& source) {
  switch (source.kind) {
  case source_kind::default_value:
    return "default";
  case source_kind::file:
    return source.where;
  case source_kind::env:
    return "env " + source.where;
  case source_kind::flag:
    return "flag " + source.where;
  }
  return "default";
}

/// Splits "circuits.stage.max_failures" into its dotted parts.
std::vector<std::string> split_key(const std::string& key) {
  std::vector<std::string> parts;
  std::istringstream in{key};
  for (std::string part; std::getline(in, part, '.');) {
    parts.push_back(part);
  }
  return parts;
}

std::string capitalized(std::string text) {
  if (!text.empty() && text[0] >= 'a' && text[0] <= 'z') {
    text[0] = static_cast<char>(text[0] - 'a' + 'A');
  }
  return text;
}

/// One commented-out setting, with the section lines it needs first.
void append_sample(std::string& out, const core::setting& s,
                   std::vector<std::string>& open_sections) {
  auto parts = split_key(s.key);
  const auto leaf = parts.back();
  parts.pop_back();
  std::size_t shared = 0;
  while (shared < parts.size() && shared < open_sections.size()
         && parts[shared] == open_sections[shared]) {
    ++shared;
  }
  if (shared == 0) {
    out += "\n";
  }
  for (std::size_t i = shared; i < parts.size(); ++i) {
    out += "# " + std::string(2 * i, ' ') + parts[i] + ":\n";
  }
  open_sections = parts;
  // Nested comments keep a "#" of their own, so uncommenting a whole
  // section (dropping each line's leading "# ") leaves valid YAML.
  const auto indent
    = "# " + std::string(2 * parts.size(), ' ') + (parts.empty() ? "" : "# ");
  out += indent + capitalized(s.meaning) + ".\n";
  if (!s.env.empty()) {
    out += indent + "Environment: " + s.env + "\n";
  }
  out += "# " + std::string(2 * parts.size(), ' ') + leaf + ":"
         + (s.default_text.empty() ? "" : " " + s.default_text) + "\n";
}

} // namespace

loaded_config load_config(const config_request& req) {
  loaded_config out;
  for (const auto& s : core::settings()) {
    out.sources[s.key] = {source_kind::default_value, ""};
  }
  load_file(req, out);
  load_env(req, out);
  load_flags(req, out);
  return out;
}

std::map<std::string, std::string> environment_snapshot() {
  std::map<std::string, std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text{*entry};
    const auto eq = text.find('=');
    const auto name = text.substr(0, eq);
    if (eq == std::string_view::npos
        || (name.substr(0, 4) != "TDD_" && name != "SLACK_WEBHOOK_URL")) {
      continue;
    }
    env.emplace(name, text.substr(eq + 1));
  }
  return env;
}

std::vector<config_row> describe(const loaded_config& cfg) {
  std::vector<config_row> rows;
  for (const auto& s : core::settings()) {
    const auto it = cfg.sources.find(s.key);
    rows.push_back(
      {s.key, core::display_value(s, cfg.values),
       it == cfg.sources.end() ? "default" : source_text(it->second)});
  }
  return rows;
}

std::string sample_config_yaml() {
  std::string out
    = "# Configuration for tdd-orchestrator, written by `orchestrator init`.\n"
      "# Every setting is optional and shown commented out with its default.\n"
      "# To change one, uncomment it (and, for a nested setting, the section\n"
      "# lines above it). Precedence: defaults < this file < environment\n"
      "# variables < command-line flags. `orchestrator config show` prints\n"
      "# the effective values and where each came from.\n";
  std::vector<std::string> open_sections;
  for (const auto& s : core::settings()) {
    append_sample(out, s, open_sections);
  }
  return out;
}

} // namespace tdd::config
