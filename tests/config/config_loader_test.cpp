#include "config/config_loader.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using tdd::config::config_request;
using tdd::config::load_config;
using tdd::config::loaded_config;
using tdd::config::source_kind;

namespace {

/// A private temporary directory, removed with everything in it.
struct temp_dir {
  std::filesystem::path path;

  temp_dir() {
    std::string pattern = "/tmp/tdd-config-test-XXXXXX";
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir(temp_dir&&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  temp_dir& operator=(temp_dir&&) = delete;
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }

  std::string write(const std::string& name, const std::string& text) const {
    const auto file = path / name;
    std::ofstream{file} << text;
    return file.string();
  }
};

config_request file_request(const std::string& path) {
  config_request req;
  req.file_path = path;
  req.display_path = "orchestrator.yaml";
  return req;
}

/// All errors as printed, one per line.
std::string errors_of(const loaded_config& cfg) {
  std::string out;
  for (const auto& e : cfg.errors) {
    out += e.to_string() + "\n";
  }
  return out;
}

loaded_config load_text(const temp_dir& dir, const std::string& yaml) {
  return load_config(file_request(dir.write("orchestrator.yaml", yaml)));
}

/// Everything `describe` prints and every error, for leak checks.
std::string all_output(const loaded_config& cfg) {
  std::string out;
  for (const auto& row : tdd::config::describe(cfg)) {
    out += row.key + " " + row.value + " " + row.source + "\n";
  }
  return out + errors_of(cfg);
}

const std::string webhook = "https://hooks.slack.com/services/T0/B0/s3cr3tXYZ";

} // namespace

TEST_CASE("no file, no env, no flags: all defaults from 'default'") {
  const auto cfg = load_config({});
  CHECK(cfg.errors.empty());
  CHECK(cfg.values.workers == 3);
  for (const auto& row : tdd::config::describe(cfg)) {
    CHECK(row.source == "default");
  }
  CHECK(cfg.sources.size() == tdd::core::settings().size());
}

TEST_CASE("a missing file is fine unless it was asked for") {
  const temp_dir dir;
  auto req = file_request((dir.path / "orchestrator.yaml").string());
  CHECK(load_config(req).errors.empty());
  req.file_required = true;
  req.display_path = req.file_path;
  CHECK(errors_of(load_config(req))
        == req.file_path
             + ": cannot read config file: No such file or directory\n");
  req.file_path = dir.path.string();
  req.display_path = "cfg.yaml";
  CHECK(errors_of(load_config(req))
        == "cfg.yaml: cannot read config file " + dir.path.string()
             + ": is a directory\n");
}

TEST_CASE("empty and comment-only files give the defaults") {
  const temp_dir dir;
  for (const auto* text :
       {"", "\n\n", "# nothing here\n  # at all\n", "---\n"}) {
    const auto cfg = load_text(dir, text);
    CHECK_MESSAGE(cfg.errors.empty(), text);
    CHECK(cfg.values.stage_timeout_s == 900s);
  }
}

TEST_CASE("a nested file sets values and names its lines") {
  const temp_dir dir;
  const auto cfg = load_text(dir, "workers: 5\n"
                                  "max_cost_usd: 2.50\n"
                                  "circuits:\n"
                                  "  stage:\n"
                                  "    max_failures: 7\n"
                                  "  system: {auto_recovery: yes}\n"
                                  "circuits.worker.pause_s: 12\n"
                                  "refactor: Off\n");
  REQUIRE(errors_of(cfg).empty());
  CHECK(cfg.values.workers == 5);
  CHECK(cfg.values.max_cost_usd == 2'500'000);
  CHECK(cfg.values.circuits.stage.max_failures == 7);
  CHECK(cfg.values.circuits.system.auto_recovery);
  CHECK(cfg.values.circuits.worker.pause_s == 12s);
  CHECK_FALSE(cfg.values.refactor);
  CHECK(cfg.sources.at("workers").kind == source_kind::file);
  CHECK(cfg.sources.at("workers").where == "orchestrator.yaml:1");
  CHECK(cfg.sources.at("circuits.stage.max_failures").where
        == "orchestrator.yaml:5");
  CHECK(cfg.sources.at("refactor").where == "orchestrator.yaml:8");
  CHECK(cfg.sources.at("agent").kind == source_kind::default_value);
}

TEST_CASE("file errors name file, line and key exactly") {
  const temp_dir dir;
  std::string yaml;
  for (int i = 1; i <= 9; ++i) {
    yaml += "# line " + std::to_string(i) + "\n";
  }
  yaml += "circuits:\n  stage:\n    max_failures: 0\n"; // lines 10-12
  CHECK(errors_of(load_text(dir, yaml))
        == "orchestrator.yaml:12: circuits.stage.max_failures must be a "
           "positive integer\n");
  const auto cfg = load_text(dir, "workers: 2\n"
                                  "circuits:\n"
                                  "  stage:\n"
                                  "    max_failure: 3\n"
                                  "workers_count: 1\n"
                                  "max_failures: 3\n");
  CHECK(errors_of(cfg)
        == R"(orchestrator.yaml:4: unknown key "circuits.stage.max_failure" )"
           R"((did you mean "circuits.stage.max_failures"?))"
           "\n"
           R"(orchestrator.yaml:5: unknown key "workers_count")"
           "\n"
           R"(orchestrator.yaml:6: unknown key "max_failures" )"
           R"((did you mean "circuits.stage.max_failures"?))"
           "\n");
  CHECK(cfg.values.workers == 2); // good keys still apply
}

TEST_CASE("unknown keys suggest a close key or section") {
  const temp_dir dir;
  const std::string unknown = "orchestrator.yaml:1: unknown key ";
  const std::vector<std::pair<std::string, std::string>> cases = {
    {"workrs", R"("workrs" (did you mean "workers"?))"},
    {"refactr", R"("refactr" (did you mean "refactor"?))"},
    {"circuits.sytem", R"("circuits.sytem" (did you mean "circuits.system"?))"},
    {"circuits.stage.max_failures_", R"("circuits.stage.max_failures_" )"
                                     R"((did you mean )"
                                     R"("circuits.stage.max_failures"?))"},
    {"pause_s", R"("pause_s" (did you mean "circuits.worker.pause_s"?))"},
    {"zzz", R"("zzz")"},
    {"notifications.slack",
     R"("notifications.slack" (did you mean "notifications.slack_webhook"?))"},
    {"circuits.stage.recovery", R"("circuits.stage.recovery" (did you mean )"
                                R"("circuits.stage.recovery_timeout_s"?))"},
  };
  for (const auto& c : cases) {
    CHECK(errors_of(load_text(dir, c.first + ": 1\n"))
          == unknown + c.second + "\n");
  }
}

TEST_CASE("every bad value in a file is reported, in order") {
  const temp_dir dir;
  const auto cfg = load_text(dir, "workers: three\n"
                                  "stage_timeout_s: 1e3\n"
                                  "agent: [claude]\n"
                                  "circuits: 3\n"
                                  "refactor:\n"
                                  "workers: 4\n"
                                  "max_cost_usd: 1.0000001\n");
  CHECK(errors_of(cfg)
        == "orchestrator.yaml:1: workers must be a non-negative integer\n"
           "orchestrator.yaml:2: stage_timeout_s must be a positive integer "
           "(seconds)\n"
           "orchestrator.yaml:3: agent must be claude, codex, aider or "
           "cmd:<template>\n"
           "orchestrator.yaml:4: circuits must be a mapping of settings\n"
           "orchestrator.yaml:5: refactor must be true or false\n"
           "orchestrator.yaml:6: duplicate key \"workers\" (first set on line "
           "1)\n"
           "orchestrator.yaml:7: max_cost_usd must be a non-negative dollar "
           "amount with at most 6 decimals, like 2.50\n");
  CHECK(cfg.values.workers == 3);
  CHECK(cfg.sources.at("workers").kind == source_kind::default_value);
}

TEST_CASE("YAML syntax errors and non-mapping files carry a line") {
  const temp_dir dir;
  CHECK(errors_of(load_text(dir, "workers: 3\nagent: [claude\n"))
        == "orchestrator.yaml:3: invalid YAML: end of sequence flow not "
           "found\n");
  CHECK(errors_of(load_text(dir, "workers: 3\n  agent: x\n"))
        == "orchestrator.yaml:2: invalid YAML: illegal map value\n");
  CHECK(errors_of(load_text(dir, "\n- workers\n"))
        == "orchestrator.yaml:2: expected a mapping of settings, like "
           "\"workers: 3\"\n");
}

TEST_CASE("environment and flag errors quote the bad value") {
  config_request req;
  req.env = {{"TDD_MAX_WORKERS", "three"},
             {"TDD_CIRCUIT_SYSTEM_THRESHOLD_PERCENT", "0"},
             {"TDD_UNRELATED", "x"}};
  req.flags = {{"workers", "--workers", "-2"},
               {"max_cost_usd", "--max-cost", "1.0000001"},
               {"no_such_key", "--bogus", "1"}};
  CHECK(errors_of(load_config(req))
        == "TDD_MAX_WORKERS: expected a non-negative integer, got "
           "\"three\"\n"
           "TDD_CIRCUIT_SYSTEM_THRESHOLD_PERCENT: expected an integer from 1 "
           "to 100, got \"0\"\n"
           "--workers: expected a non-negative integer, got \"-2\"\n"
           "--max-cost: expected a non-negative dollar amount with at most 6 "
           "decimals, like 2.50, got \"1.0000001\"\n"
           "--bogus: unknown setting \"no_such_key\"\n");
}

TEST_CASE("errors come in order file, env, flags") {
  const temp_dir dir;
  auto req = file_request(dir.write("orchestrator.yaml", "workers: x\n"));
  req.env = {{"TDD_AGENT", "gpt"}};
  req.flags = {{"refactor", "--refactor", "maybe"}};
  CHECK(errors_of(load_config(req))
        == "orchestrator.yaml:1: workers must be a non-negative integer\n"
           "TDD_AGENT: expected claude, codex, aider or cmd:<template>, got "
           "\"gpt\"\n"
           "--refactor: expected true or false, got \"maybe\"\n");
}

TEST_CASE("precedence: defaults < file < env < flags") {
  const temp_dir dir;
  const auto path = dir.write("orchestrator.yaml", "\nworkers: 4\n");
  struct layer_case {
    bool file, env, flag;
    int workers;
    std::string source;
  };
  for (const auto& c : std::vector<layer_case>{
         {false, false, false, 3, "default"},
         {true, false, false, 4, "orchestrator.yaml:2"},
         {true, true, false, 5, "env TDD_MAX_WORKERS"},
         {false, true, false, 5, "env TDD_MAX_WORKERS"},
         {true, true, true, 6, "flag --workers"},
         {true, false, true, 6, "flag --workers"},
       }) {
    auto req = file_request(c.file ? path : "");
    if (c.env) {
      req.env["TDD_MAX_WORKERS"] = "5";
    }
    if (c.flag) {
      req.flags.push_back({"workers", "--workers", "6"});
    }
    const auto cfg = load_config(req);
    CHECK(cfg.errors.empty());
    CHECK(cfg.values.workers == c.workers);
    CHECK(tdd::config::describe(cfg).front().source == c.source);
  }
}

TEST_CASE("a bad higher layer keeps the lower layer's value and source") {
  const temp_dir dir;
  auto req = file_request(dir.write("orchestrator.yaml", "workers: 4\n"));
  req.env = {{"TDD_MAX_WORKERS", "lots"}};
  const auto cfg = load_config(req);
  CHECK(cfg.values.workers == 4);
  CHECK(cfg.sources.at("workers").where == "orchestrator.yaml:1");
}

TEST_CASE("the webhook never appears in describe or errors") {
  const temp_dir dir;
  const auto path = dir.write(
    "orchestrator.yaml", "notifications:\n  slack_webhook: " + webhook + "\n");
  for (int layer = 0; layer < 3; ++layer) {
    auto req = file_request(layer == 0 ? path : "");
    if (layer == 1) {
      req.env["SLACK_WEBHOOK_URL"] = webhook;
    }
    if (layer == 2) {
      req.flags = {{"notifications.slack_webhook", "--slack-webhook", webhook}};
    }
    const auto cfg = load_config(req);
    CHECK(cfg.values.notifications.slack_webhook == webhook);
    const auto out = all_output(cfg);
    CHECK(out.find("s3cr3tXYZ") == std::string::npos);
    CHECK(out.find("notifications.slack_webhook https://hooks.slack.com/***")
          != std::string::npos);
  }
}

TEST_CASE("an invalid webhook is reported without its value") {
  const temp_dir dir;
  const std::string bad = "hooks.slack.com/services/T0/B0/s3cr3tXYZ";
  auto req = file_request(dir.write(
    "orchestrator.yaml", "notifications: {slack_webhook: \"" + bad + "\"}\n"));
  req.env["SLACK_WEBHOOK_URL"] = bad;
  req.flags = {{"notifications.slack_webhook", "--slack-webhook", bad}};
  const auto cfg = load_config(req);
  CHECK(errors_of(cfg)
        == "orchestrator.yaml:1: notifications.slack_webhook must be an "
           "http(s) URL\n"
           "SLACK_WEBHOOK_URL: expected an http(s) URL (value not shown: it "
           "is a secret)\n"
           "--slack-webhook: expected an http(s) URL (value not shown: it is "
           "a secret)\n");
  CHECK(all_output(cfg).find("s3cr3tXYZ") == std::string::npos);
}

TEST_CASE("describe renders every key with its value and source") {
  config_request req;
  req.env = {{"TDD_MAX_COST_USD", "0.1"}};
  req.flags = {{"agent", "--agent", "cmd:./fake.sh {stage}"}};
  const auto rows = tdd::config::describe(load_config(req));
  REQUIRE(rows.size() == tdd::core::settings().size());
  CHECK(rows[0].key == "workers");
  CHECK(rows[2].key == "max_cost_usd");
  CHECK(rows[2].value == "0.10");
  CHECK(rows[2].source == "env TDD_MAX_COST_USD");
  CHECK(rows[3].value == "cmd:./fake.sh {stage}");
  CHECK(rows[3].source == "flag --agent");
  CHECK(rows[16].key == "notifications.slack_webhook");
  CHECK(rows[16].value == "none");
}

TEST_CASE("the sample config loads to the defaults, commented or not") {
  const temp_dir dir;
  const auto sample = tdd::config::sample_config_yaml();
  const auto as_is = load_text(dir, sample);
  CHECK(errors_of(as_is).empty());
  for (const auto& row : tdd::config::describe(as_is)) {
    CHECK(row.source == "default");
  }
  // Uncomment every key and section line: the defaults, now from the file.
  std::istringstream lines{sample};
  std::string uncommented;
  const std::regex key_line{"^# ( *[a-z_]+:.*)$"};
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    uncommented += (std::regex_match(line, m, key_line) ? m[1].str() : line);
    uncommented += "\n";
  }
  const auto all_set = load_text(dir, uncommented);
  CHECK(errors_of(all_set).empty());
  const auto defaults = tdd::config::describe(load_config({}));
  const auto rows = tdd::config::describe(all_set);
  REQUIRE(rows.size() == defaults.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    CHECK(rows[i].value == defaults[i].value);
    CHECK_MESSAGE(rows[i].source.rfind("orchestrator.yaml:", 0) == 0,
                  rows[i].key);
  }
  for (const auto& s : tdd::core::settings()) {
    CHECK_MESSAGE(sample.find(s.meaning.substr(1)) != std::string::npos, s.key);
  }
}

TEST_CASE("environment_snapshot keeps only TDD_ variables and SLACK_WEBHOOK_URL") {
  // doctest runs test cases on one thread, so touching environ is safe.
  REQUIRE(setenv("TDD_CONFIG_TEST_VAR", "a=b", 1) == 0); // NOLINT
  REQUIRE(setenv("CONFIG_TEST_OTHER", "x", 1) == 0);     // NOLINT
  const auto env = tdd::config::environment_snapshot();
  CHECK(env.at("TDD_CONFIG_TEST_VAR") == "a=b");
  CHECK(env.count("CONFIG_TEST_OTHER") == 0);
  for (const auto& [name, value] : env) {
    CHECK((name.rfind("TDD_", 0) == 0 || name == "SLACK_WEBHOOK_URL"));
  }
  unsetenv("TDD_CONFIG_TEST_VAR"); // NOLINT
  unsetenv("CONFIG_TEST_OTHER");   // NOLINT
}
