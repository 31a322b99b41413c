#pragma once

// One input of the config fuzz target: `config::load_config` with the bytes
// as orchestrator.yaml, followed optionally by environment and flag layers:
//
//   workers: 3            <- orchestrator.yaml, up to the first "#%env"
//   #%env
//   TDD_MAX_WORKERS=4     <- one NAME=value per line, up to "#%flags"
//   #%flags
//   workers=5             <- one key=value per line, given as --key
//
// load_config only reads a file, so the YAML goes to a memfd that it opens
// as /proc/self/fd/N: no disk, nothing left behind.

#include "config/config_loader.hpp"
#include "core/config.hpp"
#include "fuzz/findings.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tdd::fuzz {

namespace config_detail {

inline constexpr const char* display_path = "orchestrator.yaml";

/// An in-memory file, rewritten for each input.
class memory_file {
public:
  memory_file() : fd_(::memfd_create("tdd-fuzz-config", 0)) {}
  memory_file(const memory_file&) = delete;
  memory_file& operator=(const memory_file&) = delete;
  ~memory_file() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }

  /// Replaces the contents; false if that failed.
  [[nodiscard]] bool write(std::string_view text) const {
    if (fd_ < 0 || ::ftruncate(fd_, 0) != 0) {
      return false;
    }
    size_t done = 0;
    while (done < text.size()) {
      const auto n = ::pwrite(fd_, text.data() + done, text.size() - done,
                              static_cast<off_t>(done));
      if (n <= 0) {
        return false;
      }
      done += static_cast<size_t>(n);
    }
    return true;
  }

  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

private:
  int fd_;
};

/// `text` up to (not including) the line `marker`, and what follows it.
inline std::pair<std::string_view, std::string_view>
cut_at(std::string_view text, std::string_view marker) {
  for (size_t at = text.find(marker); at != std::string_view::npos;
       at = text.find(marker, at + 1)) {
    const auto end = at + marker.size();
    const bool line_start = at == 0 || text[at - 1] == '\n';
    if (line_start && (end == text.size() || text[end] == '\n')) {
      return {text.substr(0, at), text.substr(std::min(end + 1, text.size()))};
    }
  }
  return {text, {}};
}

/// Each "name=value" line of `text` (lines without '=' are skipped).
inline std::vector<std::pair<std::string, std::string>>
assignments(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!text.empty()) {
    const auto end = std::min(text.find('\n'), text.size());
    const auto line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    if (const auto eq = line.find('='); eq != std::string_view::npos) {
      out.emplace_back(line.substr(0, eq), line.substr(eq + 1));
    }
  }
  return out;
}

inline config::config_request request_for(std::string_view data,
                                          const std::string& file_path) {
  const auto [yaml, layers] = cut_at(data, "#%env");
  const auto [env, flags] = cut_at(layers, "#%flags");
  config::config_request req;
  req.file_path = file_path;
  req.display_path = display_path;
  for (auto& [name, value] : assignments(env)) {
    req.env[name] = value;
  }
  for (auto& [key, value] : assignments(flags)) {
    req.flags.push_back({key, "--" + key, value});
  }
  return req;
}

inline std::string render(const config::loaded_config& cfg) {
  std::string out;
  for (const auto& row : config::describe(cfg)) {
    out += row.key + '=' + row.value + " (" + row.source + ")\n";
  }
  for (const auto& e : cfg.errors) {
    out += e.to_string() + '\n';
  }
  return out;
}

inline bool names_a_layer(const core::diagnostic& e,
                          const config::config_request& req) {
  if (e.source == display_path) {
    return true;
  }
  if (e.line != 0) {
    return false; // only the file has lines
  }
  if (req.env.count(e.source) > 0) {
    return true;
  }
  for (const auto& f : req.flags) {
    if (f.flag == e.source) {
      return true;
    }
  }
  return false;
}

/// The error for `value` given as the secret `s` at `where` (an environment
/// variable or a flag) on its own; "" if there is none.
inline std::string secret_error(const core::setting& s,
                                const std::string& where,
                                const std::string& value) {
  config::config_request req;
  if (where == s.env) {
    req.env[where] = value;
  } else {
    req.flags.push_back({s.key, where, value});
  }
  const auto cfg = config::load_config(req);
  return cfg.errors.empty() ? "" : cfg.errors.front().message;
}

/// A secret given through the environment or a flag never shows up in its
/// error: the message is the same as for any other invalid value ("x").
/// (Searching the message for the value fails when the value is a piece of
/// the fixed text, which the fuzzer soon finds.)
inline void check_secrets(const config::loaded_config& cfg,
                          const config::config_request& req, findings& out) {
  for (const auto& s : core::settings()) {
    if (!s.is_secret) {
      continue;
    }
    std::vector<std::pair<std::string, std::string>> given; // where, value
    if (const auto it = req.env.find(s.env); it != req.env.end()) {
      given.emplace_back(s.env, it->second);
    }
    for (const auto& f : req.flags) {
      if (f.key == s.key) {
        given.emplace_back(f.flag, f.text);
      }
    }
    for (const auto& e : cfg.errors) {
      for (const auto& [where, value] : given) {
        if (e.source == where && e.message == secret_error(s, where, value)) {
          out.expect(e.message == secret_error(s, where, "x"),
                     "an error shows a secret");
        }
      }
    }
  }
}

inline void check_loaded(const config::loaded_config& cfg,
                         const config::config_request& req, findings& out) {
  for (const auto& e : cfg.errors) {
    out.expect(names_a_layer(e, req), "an error names no layer: " + e.source);
    out.expect(e.line >= 0, "an error has a negative line");
    out.expect(!e.message.empty(), "an error has no message");
  }
  const auto problems = core::validate(cfg.values);
  out.expect(problems.empty(), "an invalid value was kept: "
                                 + (problems.empty() ? "" : problems[0]));
  for (const auto& s : core::settings()) {
    out.expect(cfg.sources.count(s.key) > 0, "a setting has no source");
    // "store(cfg, text(cfg)) round-trips" (core/config.hpp).
    auto copy = cfg.values;
    const auto text = s.text(cfg.values);
    out.expect(!s.store(copy, text) && s.text(copy) == text,
               "the value of " + s.key + " does not round-trip");
  }
  for (const auto& row : config::describe(cfg)) {
    const auto* s = core::find_setting(row.key);
    const bool masked
      = row.value == "none"
        || (row.value.size() >= 3
            && row.value.compare(row.value.size() - 3, 3, "***") == 0);
    out.expect(s != nullptr && (!s->is_secret || masked),
               "config show prints a secret");
  }
  check_secrets(cfg, req, out);
}

} // namespace config_detail

/// The first broken invariant for `data` as orchestrator.yaml (plus the
/// environment and flag layers described above), "" if none.
inline std::string check_config(std::string_view data) {
  using namespace config_detail;
  static const memory_file file;
  const auto [yaml, rest] = cut_at(data, "#%env");
  (void)rest;
  if (!file.write(yaml)) {
    return "cannot write the memory file";
  }
  const auto req = request_for(data, file.path());
  const auto cfg = config::load_config(req);
  findings out;
  out.expect(render(cfg) == render(config::load_config(req)),
             "two loads differ");
  check_loaded(cfg, req, out);
  return out.first();
}

} // namespace tdd::fuzz
