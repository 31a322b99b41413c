#pragma once

#include "core/config.hpp"
#include "core/diagnostic.hpp"

#include <map>
#include <string>
#include <vector>

namespace tdd::config {

/// Where an effective value came from; later kinds override earlier ones.
enum class source_kind { default_value, file, env, flag };

struct setting_source {
  source_kind kind = source_kind::default_value;
  /// "" / "orchestrator.yaml:12" / "TDD_MAX_WORKERS" / "--workers"
  std::string where;
};

/// One setting given on the command line.
struct flag_value {
  std::string key;  ///< yaml key, e.g. "workers"
  std::string flag; ///< as typed, e.g. "--workers"
  std::string text; ///< raw value
};

/// Everything `load_config` reads, gathered by the caller.
struct config_request {
  std::string file_path;    ///< "" = no file
  std::string display_path; ///< how errors name the file: "orchestrator.yaml"
  /// True when --config was given: then a missing file is an error.
  bool file_required = false;
  std::map<std::string, std::string> env; ///< environment snapshot
  std::vector<flag_value> flags;
};

struct loaded_config {
  core::config values;
  std::map<std::string, setting_source> sources; ///< per yaml key, all keys
  core::diagnostics errors; ///< all problems, in order: file, env, flags
};

/// Layers defaults < file < env < flags. Never stops at the first problem;
/// an invalid value leaves the lower layer's value (and source) in place.
/// Messages never contain a secret's value.
loaded_config load_config(const config_request& req);

/// Reads `environ`, keeping TDD_* and SLACK_WEBHOOK_URL.
std::map<std::string, std::string> environment_snapshot();

/// One line of `config show`.
struct config_row {
  std::string key;
  std::string value;  ///< masked when secret, "none" when unset
  std::string source; ///< "default", "orchestrator.yaml:12",
                      ///< "env TDD_MAX_WORKERS", "flag --workers"
};

/// Every setting in table order, ready to print.
std::vector<config_row> describe(const loaded_config& cfg);

/// The commented orchestrator.yaml that `init` writes: every key commented
/// out with its default and meaning. Loading it yields the defaults.
std::string sample_config_yaml();

} // namespace tdd::config
