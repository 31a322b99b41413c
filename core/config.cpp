#include "core/config.hpp"

#include <algorithm>
#include <cctype>
#include <limits>
#include <utility>

namespace tdd::core {

namespace {

constexpr int int_max = std::numeric_limits<int>::max();
constexpr micro_usd micro_per_usd = 1'000'000;

using store_result = std::optional<std::string>;

/// The parts of a setting every kind has.
struct key_info {
  std::string key;
  std::string env;
  std::string meaning;
};

setting make_setting(key_info info, std::string expected) {
  setting s;
  s.key = std::move(info.key);
  s.env = std::move(info.env);
  s.meaning = std::move(info.meaning);
  s.expected = std::move(expected);
  return s;
}

std::string int_phrase(int min, int max) {
  if (max == int_max && min == 0) {
    return "a non-negative integer";
  }
  if (max == int_max && min == 1) {
    return "a positive integer";
  }
  return "an integer from " + std::to_string(min) + " to "
         + std::to_string(max);
}

/// Digits only; saturates just above int_max so overflow stays visible.
std::optional<std::int64_t> parse_digits(std::string_view text) {
  if (text.empty()) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  for (const char ch : text) {
    if (ch < '0' || ch > '9') {
      return std::nullopt;
    }
    value = std::min<std::int64_t>(value * 10 + (ch - '0'),
                                   std::int64_t{int_max} + 1);
  }
  return value;
}

/// Shared by counts and durations: the expected phrase on failure.
store_result check_int(std::string_view text, int min, int max,
                       const std::string& phrase, int& out) {
  const auto value = parse_digits(text);
  if (!value || *value < min) {
    return phrase;
  }
  if (*value > max) {
    return max == int_max ? phrase + " no larger than " + std::to_string(max)
                          : phrase;
  }
  out = static_cast<int>(*value);
  return std::nullopt;
}

template <class Field>
setting count(key_info info, int min, int max, Field field) {
  auto s = make_setting(std::move(info), int_phrase(min, max));
  s.store = [field, min, max, phrase = s.expected](config& cfg,
                                                   std::string_view text) {
    return check_int(text, min, max, phrase, field(cfg));
  };
  s.text = [field](const config& cfg) { return std::to_string(field(cfg)); };
  return s;
}

template <class Field> setting duration(key_info info, Field field) {
  auto s = make_setting(std::move(info), "a positive integer (seconds)");
  s.store = [field](config& cfg, std::string_view text) -> store_result {
    int value = 0;
    if (auto problem
        = check_int(text, 1, int_max, "a positive integer", value)) {
      return *problem + " (seconds)";
    }
    field(cfg) = std::chrono::seconds{value};
    return std::nullopt;
  };
  s.text
    = [field](const config& cfg) { return std::to_string(field(cfg).count()); };
  return s;
}

/// A setting whose text `parse`s into the field's type and back by `format`.
template <class Field, class Parse, class Format>
setting typed(key_info info, std::string expected, Field field, Parse parse,
              Format format) {
  auto s = make_setting(std::move(info), std::move(expected));
  s.store = [field, parse, phrase = s.expected](
              config& cfg, std::string_view text) -> store_result {
    auto value = parse(text);
    if (!value) {
      return phrase;
    }
    field(cfg) = std::move(*value);
    return std::nullopt;
  };
  s.text = [field, format](const config& cfg) { return format(field(cfg)); };
  return s;
}

/// Lifts a parser to an optional field: "" unsets it.
template <class Parse> auto or_unset(Parse parse) {
  return [parse](std::string_view text) {
    using value_type = typename decltype(parse(text))::value_type;
    using result = std::optional<std::optional<value_type>>;
    if (text.empty()) {
      return result{std::optional<value_type>{}};
    }
    auto value = parse(text);
    return value ? result{std::move(value)} : result{};
  };
}

/// Formats an optional field: "" when unset.
template <class Format> auto or_empty(Format format) {
  return [format](const auto& value) {
    return value ? std::string{format(*value)} : std::string{};
  };
}

std::string format_bool(bool value) {
  return value ? "true" : "false";
}

std::string copy_text(const std::string& text) {
  return text;
}

std::optional<std::string> parse_agent(std::string_view text) {
  if (text == "claude" || text == "codex" || text == "aider") {
    return std::string{text};
  }
  constexpr std::string_view prefix = "cmd:";
  const bool has_template
    = text.substr(0, prefix.size()) == prefix
      && text.find_first_not_of(" \t", prefix.size()) != std::string_view::npos;
  return has_template ? std::optional<std::string>{text} : std::nullopt;
}

std::optional<std::string> parse_url(std::string_view text) {
  return is_http_url(text) ? std::optional<std::string>{text} : std::nullopt;
}

setting secret(setting s) {
  s.is_secret = true;
  return s;
}

// Accesses one member of a config, const or not: the table names each once.
// clang-format off
#define TDD_FIELD(path) ([](auto& c) -> auto& { return c.path; })
// clang-format on

// A data table, one entry per key: splitting it would scatter the keys.
// NOLINTNEXTLINE(readability-function-size)
std::vector<setting> build_settings() {
  std::vector<setting> table{
    count({"workers", "TDD_MAX_WORKERS",
           "local workers for run / worker (0 only with --listen)"},
          0, int_max, TDD_FIELD(workers)),
    count({"max_invocations", "TDD_MAX_INVOCATIONS",
           "agent invocations per run, hard cap"},
          1, int_max, TDD_FIELD(max_invocations)),
    typed({"max_cost_usd", "TDD_MAX_COST_USD",
           "hard cap on reported agent cost per run, in USD (default: none)"},
          "a non-negative dollar amount with at most 6 decimals, like 2.50",
          TDD_FIELD(max_cost_usd), or_unset(parse_usd), or_empty(format_usd)),
    typed({"agent", "TDD_AGENT",
           "agent preset (claude, codex, aider) or cmd:<argv template>"},
          "claude, codex, aider or cmd:<template>", TDD_FIELD(agent),
          parse_agent, copy_text),
    duration({"stage_timeout_s", "TDD_STAGE_TIMEOUT",
              "seconds per agent call; verify gets the same"},
             TDD_FIELD(stage_timeout_s)),
    duration({"usage_limit_backoff_s", "TDD_USAGE_LIMIT_BACKOFF_S",
              "first wait after a usage limit (no reset time); doubles to 900"},
             TDD_FIELD(usage_limit_backoff_s)),
    count({"circuits.stage.max_failures", "TDD_CIRCUIT_STAGE_MAX_FAILURES",
           "failures of one stage of one task before its circuit opens"},
          1, int_max, TDD_FIELD(circuits.stage.max_failures)),
    duration({"circuits.stage.recovery_timeout_s",
              "TDD_CIRCUIT_STAGE_RECOVERY_S",
              "seconds before an open stage circuit half-opens"},
             TDD_FIELD(circuits.stage.recovery_timeout_s)),
    count({"circuits.worker.max_consecutive_failures",
           "TDD_CIRCUIT_WORKER_MAX_CONSECUTIVE",
           "consecutive worker/agent failures before the worker pauses"},
          1, int_max, TDD_FIELD(circuits.worker.max_consecutive_failures)),
    duration({"circuits.worker.pause_s", "TDD_CIRCUIT_WORKER_PAUSE_S",
              "seconds an open worker circuit pauses; doubles on reopen"},
             TDD_FIELD(circuits.worker.pause_s)),
    count({"circuits.worker.max_extensions", "",
           "times the pause may double before the worker stays open"},
          0, int_max, TDD_FIELD(circuits.worker.max_extensions)),
    count({"circuits.system.failure_threshold_percent",
           "TDD_CIRCUIT_SYSTEM_THRESHOLD_PERCENT",
           "percent of workers with open circuits that opens the system"},
          1, 100, TDD_FIELD(circuits.system.failure_threshold_percent)),
    count({"circuits.system.min_workers", "",
           "open worker circuits needed at least to open the system"},
          1, int_max, TDD_FIELD(circuits.system.min_workers)),
    typed({"circuits.system.auto_recovery", "",
           "half-open the system circuit after recovery_delay_s"},
          "true or false", TDD_FIELD(circuits.system.auto_recovery), parse_bool,
          format_bool),
    duration({"circuits.system.recovery_delay_s", "",
              "seconds before an open system circuit half-opens"},
             TDD_FIELD(circuits.system.recovery_delay_s)),
    duration({"circuits.system.graceful_shutdown_s", "",
              "seconds in-flight stages get when the system circuit opens"},
             TDD_FIELD(circuits.system.graceful_shutdown_s)),
    secret(typed({"notifications.slack_webhook", "SLACK_WEBHOOK_URL",
                  "Slack incoming webhook URL (secret; default: none)"},
                 "an http(s) URL", TDD_FIELD(notifications.slack_webhook),
                 or_unset(parse_url), or_empty(copy_text))),
    duration({"notifications.throttle_s", "TDD_NOTIFY_THROTTLE_S",
              "seconds between notifications per circuit and event"},
             TDD_FIELD(notifications.throttle_s)),
    typed({"refactor", "", "run the refactor stage"}, "true or false",
          TDD_FIELD(refactor), parse_bool, format_bool),
  };
#undef TDD_FIELD
  const config defaults;
  for (auto& s : table) {
    s.default_text = s.text(defaults);
  }
  return table;
}

/// "https://" or "http://" as written (any case), or "" when neither.
std::string_view url_scheme(std::string_view text) {
  for (const std::string_view scheme : {"https://", "http://"}) {
    const auto head = text.substr(0, scheme.size());
    if (head.size() == scheme.size()
        && std::equal(
          head.begin(), head.end(), scheme.begin(), [](char ch, char lower) {
            return std::tolower(static_cast<unsigned char>(ch)) == lower;
          })) {
      return head;
    }
  }
  return {};
}

std::string_view url_authority(std::string_view text) {
  const auto rest = text.substr(url_scheme(text).size());
  return rest.substr(0, rest.find_first_of("/?#"));
}

} // namespace

const std::vector<setting>& settings() {
  static const std::vector<setting> table = build_settings();
  return table;
}

const setting* find_setting(std::string_view key) {
  const auto& table = settings();
  const auto it
    = std::find_if(table.begin(), table.end(),
                   [key](const setting& s) { return s.key == key; });
  return it == table.end() ? nullptr : &*it;
}

bool is_section(std::string_view prefix) {
  return std::any_of(settings().begin(), settings().end(),
                     [prefix](const setting& s) {
                       return s.key.size() > prefix.size()
                              && s.key.compare(0, prefix.size(), prefix) == 0
                              && s.key[prefix.size()] == '.';
                     });
}

std::string display_value(const setting& s, const config& cfg) {
  const auto text = s.text(cfg);
  if (text.empty()) {
    return "none";
  }
  return s.is_secret ? mask_secret(text) : text;
}

std::string mask_secret(std::string_view secret) {
  const auto authority = url_authority(secret);
  // Userinfo (user:password@host) is as secret as the path.
  if (!is_http_url(secret) || authority.find('@') != std::string_view::npos) {
    return "***";
  }
  return std::string{url_scheme(secret)} + std::string{authority} + "/***";
}

bool is_http_url(std::string_view text) {
  const bool has_blank = std::any_of(text.begin(), text.end(), [](char ch) {
    const auto byte = static_cast<unsigned char>(ch);
    return byte <= 0x20 || byte == 0x7f;
  });
  if (has_blank || url_scheme(text).empty()) {
    return false;
  }
  const auto authority = url_authority(text);
  // Without userinfo rfind gives npos, and npos + 1 == 0: the whole.
  const auto host = authority.substr(authority.rfind('@') + 1);
  return !host.empty() && host.front() != ':';
}

std::optional<micro_usd> parse_usd(std::string_view text) {
  const auto dot = text.find('.');
  const auto whole = text.substr(0, dot);
  const auto frac
    = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  // 12 whole digits (under a trillion dollars) cannot overflow int64.
  if (whole.empty() || whole.size() > 12 || frac.size() > 6
      || (dot != std::string_view::npos && frac.empty())) {
    return std::nullopt;
  }
  const auto digits = std::string{whole} + std::string{frac}
                      + std::string(6 - frac.size(), '0');
  micro_usd amount = 0;
  for (const char ch : digits) {
    if (ch < '0' || ch > '9') {
      return std::nullopt;
    }
    amount = amount * 10 + (ch - '0');
  }
  return amount;
}

std::string format_usd(micro_usd amount) {
  if (amount < 0) {
    return "-" + format_usd(-amount);
  }
  auto frac = std::to_string(amount % micro_per_usd + micro_per_usd);
  frac.erase(0, 1); // the leading 1 only kept the zero padding
  while (frac.size() > 2 && frac.back() == '0') {
    frac.pop_back();
  }
  return std::to_string(amount / micro_per_usd) + "." + frac;
}

std::optional<bool> parse_bool(std::string_view text) {
  std::string lower{text};
  std::transform(lower.begin(), lower.end(), lower.begin(), [](char ch) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  });
  if (lower == "true" || lower == "yes" || lower == "on") {
    return true;
  }
  if (lower == "false" || lower == "no" || lower == "off") {
    return false;
  }
  return std::nullopt;
}

std::vector<std::string> validate(const config& cfg) {
  std::vector<std::string> problems;
  for (const auto& s : settings()) {
    config scratch = cfg;
    if (const auto expected = s.store(scratch, s.text(cfg))) {
      problems.push_back(s.key + " must be " + *expected);
    }
  }
  return problems;
}

} // namespace tdd::core
