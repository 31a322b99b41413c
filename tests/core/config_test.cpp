#include "core/config.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace std::chrono_literals;
using tdd::core::config;
using tdd::core::find_setting;
using tdd::core::settings;

namespace {

/// Good inputs map to the canonical text `text()` gives back.
struct key_case {
  std::string key;
  std::vector<std::pair<std::string, std::string>> good;
  std::vector<std::string> bad;
};

const std::vector<std::string> not_integers
  = {"", "three", "3.5", "1e3", " 3", "3 ", "+3", "-1", "0x10", "3s"};

std::vector<std::string> with_not_integers(std::vector<std::string> extra) {
  extra.insert(extra.end(), not_integers.begin(), not_integers.end());
  extra.emplace_back("2147483648");
  extra.emplace_back("99999999999999999999999");
  return extra;
}

std::vector<key_case> positive_keys() {
  std::vector<key_case> cases;
  for (const auto* key :
       {"max_invocations", "stage_timeout_s", "usage_limit_backoff_s",
        "circuits.stage.max_failures", "circuits.stage.recovery_timeout_s",
        "circuits.worker.max_consecutive_failures", "circuits.worker.pause_s",
        "circuits.system.min_workers", "circuits.system.recovery_delay_s",
        "circuits.system.graceful_shutdown_s", "notifications.throttle_s"}) {
    cases.push_back(
      {key,
       {{"1", "1"}, {"42", "42"}, {"007", "7"}, {"2147483647", "2147483647"}},
       with_not_integers({"0"})});
  }
  return cases;
}

std::vector<key_case> other_keys() {
  const std::vector<std::pair<std::string, std::string>> bools
    = {{"true", "true"}, {"FALSE", "false"}, {"yes", "true"},
       {"No", "false"},  {"on", "true"},     {"OFF", "false"}};
  const std::vector<std::string> not_bools = {"", "1", "0", "maybe", "truee"};
  return {
    {"workers", {{"0", "0"}, {"3", "3"}, {"64", "64"}}, with_not_integers({})},
    {"circuits.worker.max_extensions",
     {{"0", "0"}, {"10", "10"}},
     with_not_integers({})},
    {"circuits.system.failure_threshold_percent",
     {{"1", "1"}, {"50", "50"}, {"100", "100"}},
     with_not_integers({"0", "101"})},
    {"max_cost_usd",
     {{"5", "5.00"},
      {"2.50", "2.50"},
      {"0.000001", "0.000001"},
      {"", ""},
      {"0", "0.00"}},
     {"-1", "1.0000001", "abc", "1e3", ".5", "5.", " 5", "$5", "1,5"}},
    {"agent",
     {{"claude", "claude"},
      {"codex", "codex"},
      {"aider", "aider"},
      {"cmd:./fake.sh {stage}", "cmd:./fake.sh {stage}"}},
     {"", "Claude", "gpt", "cmd:", "cmd:   ", " claude"}},
    {"notifications.slack_webhook",
     {{"https://hooks.slack.com/services/T0/B0/x",
       "https://hooks.slack.com/services/T0/B0/x"},
      {"http://localhost:8080/hook", "http://localhost:8080/hook"},
      {"", ""}},
     {"hooks.slack.com/x", "ftp://host/x", "https://", "https:///x",
      "https://ho st/x"}},
    {"circuits.system.auto_recovery", bools, not_bools},
    {"refactor", bools, not_bools},
  };
}

} // namespace

TEST_CASE("defaults are the documented ones") {
  const config cfg;
  CHECK(cfg.workers == 3);
  CHECK(cfg.max_invocations == 100);
  CHECK_FALSE(cfg.max_cost_usd.has_value());
  CHECK(cfg.agent == "claude");
  CHECK(cfg.stage_timeout_s == 900s);
  CHECK(cfg.usage_limit_backoff_s == 60s);
  CHECK(cfg.circuits.stage.max_failures == 3);
  CHECK(cfg.circuits.stage.recovery_timeout_s == 300s);
  CHECK(cfg.circuits.worker.max_consecutive_failures == 3);
  CHECK(cfg.circuits.worker.pause_s == 300s);
  CHECK(cfg.circuits.worker.max_extensions == 3);
  CHECK(cfg.circuits.system.failure_threshold_percent == 50);
  CHECK(cfg.circuits.system.min_workers == 2);
  CHECK_FALSE(cfg.circuits.system.auto_recovery);
  CHECK(cfg.circuits.system.recovery_delay_s == 600s);
  CHECK(cfg.circuits.system.graceful_shutdown_s == 60s);
  CHECK_FALSE(cfg.notifications.slack_webhook.has_value());
  CHECK(cfg.notifications.throttle_s == 300s);
  CHECK(cfg.refactor);
  CHECK(tdd::core::validate(cfg).empty());
}

TEST_CASE("the table has every key of SPEC section 2, once") {
  std::vector<std::string> keys;
  for (const auto& s : settings()) {
    keys.push_back(s.key);
    CHECK(s.default_text == s.text(config{}));
    CHECK_FALSE(s.meaning.empty());
    CHECK_FALSE(s.expected.empty());
  }
  CHECK(keys.size() == 19);
  CHECK(find_setting("workers")->env == "TDD_MAX_WORKERS");
  CHECK(find_setting("stage_timeout_s")->env == "TDD_STAGE_TIMEOUT");
  CHECK(find_setting("notifications.slack_webhook")->env
        == "SLACK_WEBHOOK_URL");
  CHECK(find_setting("notifications.slack_webhook")->is_secret);
  CHECK(find_setting("refactor")->env.empty());
  CHECK(find_setting("circuits.stage") == nullptr);
  CHECK(tdd::core::is_section("circuits"));
  CHECK(tdd::core::is_section("circuits.stage"));
  CHECK_FALSE(tdd::core::is_section("circuits.stage.max_failures"));
  CHECK_FALSE(tdd::core::is_section("circ"));
}

TEST_CASE("every key stores good values and rejects bad ones unchanged") {
  auto cases = positive_keys();
  const auto others = other_keys();
  cases.insert(cases.end(), others.begin(), others.end());
  CHECK(cases.size() == settings().size());
  for (const auto& c : cases) {
    const auto* s = find_setting(c.key);
    REQUIRE_MESSAGE(s != nullptr, c.key);
    // No structured binding: clang cannot capture one in doctest's lambdas.
    for (const auto& good : c.good) {
      const auto& text = good.first;
      const auto& canonical = good.second;
      config cfg;
      CHECK_MESSAGE(!s->store(cfg, text), c.key << " = " << text);
      CHECK_MESSAGE(s->text(cfg) == canonical, c.key << " = " << text);
      CHECK(tdd::core::validate(cfg).empty());
    }
    for (const auto& text : c.bad) {
      config cfg;
      const auto expected = s->store(cfg, text);
      CHECK_MESSAGE(expected.has_value(), c.key << " = '" << text << "'");
      CHECK_MESSAGE(s->text(cfg) == s->default_text, c.key << " = " << text);
    }
  }
}

TEST_CASE("stored values land in the typed fields") {
  config cfg;
  CHECK_FALSE(find_setting("circuits.worker.pause_s")->store(cfg, "45"));
  CHECK(cfg.circuits.worker.pause_s == 45s);
  CHECK_FALSE(find_setting("max_cost_usd")->store(cfg, "2.50"));
  CHECK(cfg.max_cost_usd == 2'500'000);
  CHECK_FALSE(find_setting("max_cost_usd")->store(cfg, ""));
  CHECK_FALSE(cfg.max_cost_usd.has_value());
  CHECK_FALSE(find_setting("refactor")->store(cfg, "no"));
  CHECK_FALSE(cfg.refactor);
}

TEST_CASE("invalid values say what was expected") {
  config cfg;
  const auto expected = [&](const char* key, const char* text) {
    return find_setting(key)->store(cfg, text).value_or("(accepted)");
  };
  CHECK(expected("workers", "three") == "a non-negative integer");
  CHECK(expected("circuits.stage.max_failures", "0") == "a positive integer");
  CHECK(expected("stage_timeout_s", "-5") == "a positive integer (seconds)");
  CHECK(expected("circuits.system.failure_threshold_percent", "101")
        == "an integer from 1 to 100");
  CHECK(expected("workers", "2147483648")
        == "a non-negative integer no larger than 2147483647");
  CHECK(expected("stage_timeout_s", "4294967296")
        == "a positive integer no larger than 2147483647 (seconds)");
  CHECK(expected("agent", "gpt") == "claude, codex, aider or cmd:<template>");
  CHECK(expected("refactor", "maybe") == "true or false");
  CHECK(expected("notifications.slack_webhook", "nope") == "an http(s) URL");
}

TEST_CASE("dollar amounts parse exactly to micro-dollars") {
  using tdd::core::parse_usd;
  CHECK(parse_usd("0.1") == 100'000);
  CHECK(parse_usd("2.50") == 2'500'000);
  CHECK(parse_usd("5") == 5'000'000);
  CHECK(parse_usd("0.000001") == 1);
  CHECK(parse_usd("0") == 0);
  CHECK(parse_usd("0.29") == 290'000); // 0.29 is inexact as a double
  CHECK(parse_usd("999999999999.999999") == 999'999'999'999'999'999);
  for (const auto* bad :
       {"1.0000001", "-1", "-0.5", "", ".5", "5.", "1.2.3", "1e3", " 1", "1 ",
        "+1", "1,5", "1000000000000", "0x10", "nan"}) {
    CHECK_MESSAGE(!parse_usd(bad), bad);
  }
}

TEST_CASE("dollar amounts format with cents and round-trip") {
  using tdd::core::format_usd;
  CHECK(format_usd(2'500'000) == "2.50");
  CHECK(format_usd(5'000'000) == "5.00");
  CHECK(format_usd(1) == "0.000001");
  CHECK(format_usd(123'456) == "0.123456");
  CHECK(format_usd(0) == "0.00");
  CHECK(format_usd(-1'500'000) == "-1.50");
  for (const tdd::core::micro_usd amount :
       {0LL, 1LL, 10LL, 100'000LL, 2'500'000LL, 999'999'999'999'999'999LL}) {
    CHECK(tdd::core::parse_usd(format_usd(amount)) == amount);
  }
}

TEST_CASE("booleans parse case-insensitively") {
  using tdd::core::parse_bool;
  CHECK(parse_bool("True") == true);
  CHECK(parse_bool("oN") == true);
  CHECK(parse_bool("no") == false);
  CHECK_FALSE(parse_bool("y"));
  CHECK_FALSE(parse_bool(""));
}

TEST_CASE("secrets are masked: URLs keep scheme and host only") {
  using tdd::core::mask_secret;
  CHECK(mask_secret("https://hooks.slack.com/services/T0/B0/abcdef")
        == "https://hooks.slack.com/***");
  CHECK(mask_secret("HTTP://Example.com:8080/x?token=y")
        == "HTTP://Example.com:8080/***");
  CHECK(mask_secret("https://hooks.slack.com?token=abc")
        == "https://hooks.slack.com/***");
  CHECK(mask_secret("https://user:pw@host/x") == "***"); // userinfo is secret
  CHECK(mask_secret("s3cr3t-node-secret") == "***");
  CHECK(mask_secret("") == "***");
}

TEST_CASE("display_value masks secrets and names unset values") {
  const auto* webhook = find_setting("notifications.slack_webhook");
  config cfg;
  CHECK(tdd::core::display_value(*webhook, cfg) == "none");
  CHECK(tdd::core::display_value(*find_setting("max_cost_usd"), cfg) == "none");
  REQUIRE_FALSE(
    webhook->store(cfg, "https://hooks.slack.com/services/T0/B0/abcdef"));
  const auto shown = tdd::core::display_value(*webhook, cfg);
  CHECK(shown == "https://hooks.slack.com/***");
  CHECK(shown.find("abcdef") == std::string::npos);
  CHECK(tdd::core::display_value(*find_setting("workers"), cfg) == "3");
}

TEST_CASE("http URLs are recognised") {
  using tdd::core::is_http_url;
  CHECK(is_http_url("https://hooks.slack.com/services/T0/B0/x"));
  CHECK(is_http_url("http://127.0.0.1:9000"));
  CHECK(is_http_url("HTTPS://u:p@host/x"));
  for (const auto* bad :
       {"", "https://", "https:///x", "https://:80/x", "ftp://h/x",
        "hooks.slack.com", "https://h/a b", "https://h/\n", "https://u@/x"}) {
    CHECK_MESSAGE(!is_http_url(bad), bad);
  }
}

TEST_CASE("validate checks a config built in code without leaking secrets") {
  config cfg;
  cfg.workers = -1;
  cfg.circuits.system.failure_threshold_percent = 0;
  cfg.stage_timeout_s = 0s;
  cfg.agent = "gpt";
  cfg.max_cost_usd = -5;
  cfg.notifications.slack_webhook = "not-a-url-s3cr3t";
  const auto problems = tdd::core::validate(cfg);
  REQUIRE(problems.size() == 6);
  CHECK(problems[0] == "workers must be a non-negative integer");
  CHECK(problems[1]
        == "max_cost_usd must be a non-negative dollar amount with at most 6 "
           "decimals, like 2.50");
  CHECK(problems[2] == "agent must be claude, codex, aider or cmd:<template>");
  CHECK(problems[3] == "stage_timeout_s must be a positive integer (seconds)");
  CHECK(problems[4]
        == "circuits.system.failure_threshold_percent must be an integer from "
           "1 to 100");
  CHECK(problems[5] == "notifications.slack_webhook must be an http(s) URL");
}
