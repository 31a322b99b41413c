#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tdd::core {

/// Money in integer micro-dollars (1 USD = 1'000'000): never a double, so
/// budgets add up exactly.
using micro_usd = std::int64_t;

/// Per (task, stage) circuit: SPEC section 5.
struct stage_circuit_settings {
  int max_failures = 3;
  std::chrono::seconds recovery_timeout_s{300};
};

/// Per worker circuit: SPEC section 5.
struct worker_circuit_settings {
  int max_consecutive_failures = 3;
  std::chrono::seconds pause_s{300};
  int max_extensions = 3;
};

/// The one system circuit: SPEC section 5.
struct system_circuit_settings {
  int failure_threshold_percent = 50;
  int min_workers = 2;
  bool auto_recovery = false;
  std::chrono::seconds recovery_delay_s{600};
  std::chrono::seconds graceful_shutdown_s{60};
};

struct circuit_settings {
  stage_circuit_settings stage;
  worker_circuit_settings worker;
  system_circuit_settings system;
};

struct notification_settings {
  std::optional<std::string> slack_webhook; ///< secret: never print in full
  std::chrono::seconds throttle_s{300};
};

/// The effective configuration (SPEC section 2). Member names follow the
/// yaml keys; the initializers are the documented defaults.
struct config {
  int workers = 3; ///< 0 only makes sense for a coordinator with --listen
  int max_invocations = 100;
  std::optional<micro_usd> max_cost_usd;
  std::string agent = "claude"; ///< preset or "cmd:<argv template>"
  std::chrono::seconds stage_timeout_s{900};
  std::chrono::seconds usage_limit_backoff_s{60};
  circuit_settings circuits;
  notification_settings notifications;
  bool refactor = true;
};

/// One configuration key, described once: loading, validation, `config show`
/// and the sample orchestrator.yaml all come from the table of these.
struct setting {
  std::string key;          ///< dotted yaml key: "circuits.stage.max_failures"
  std::string env;          ///< environment variable, "" when there is none
  std::string meaning;      ///< one line, for the sample config
  std::string expected;     ///< "a positive integer", for error messages
  bool is_secret = false;   ///< never print the value, not even in errors
  std::string default_text; ///< `text(config{})`, "" when unset
  /// Stores `text` into `cfg`. Returns nullopt on success, otherwise what a
  /// valid value looks like (never the rejected text itself); `cfg` is then
  /// unchanged. Optional keys take "" as "unset".
  std::function<std::optional<std::string>(config&, std::string_view)> store;
  /// Canonical text of the value: `store(cfg, text(cfg))` round-trips. Raw,
  /// so a secret comes back in full: show users `display_value` instead.
  std::function<std::string(const config&)> text;
};

/// Every setting, in the order of SPEC section 2's table.
const std::vector<setting>& settings();

/// The setting named by a dotted yaml key, or nullptr.
const setting* find_setting(std::string_view key);

/// True when `prefix` is a section holding settings ("circuits.stage").
bool is_section(std::string_view prefix);

/// The value as `config show` prints it: masked for secrets, "none" unset.
std::string display_value(const setting& s, const config& cfg);

/// Masks a secret for display: an http(s) URL keeps its scheme and host
/// (`https://hooks.slack.com/***`), anything else becomes `***`.
std::string mask_secret(std::string_view secret);

/// True for `http://host...` or `https://host...` with no blanks.
bool is_http_url(std::string_view text);

/// Parses a non-negative decimal dollar amount ("5", "2.50", "0.000001")
/// exactly, without floating point; nullopt for a sign, more than 6
/// decimals, anything but digits and one dot, or a trillion dollars or more.
[[nodiscard]] std::optional<micro_usd> parse_usd(std::string_view text);

/// Formats micro-dollars with at least 2 and at most 6 decimals: "2.50",
/// "0.000001". `parse_usd(format_usd(x)) == x`.
std::string format_usd(micro_usd amount);

/// Parses true/false/yes/no/on/off, case-insensitive.
[[nodiscard]] std::optional<bool> parse_bool(std::string_view text);

/// Checks a config built in code (not parsed) against the same rules as
/// loading: one "key must be ..." message per invalid value.
std::vector<std::string> validate(const config& cfg);

} // namespace tdd::core
