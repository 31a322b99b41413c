#include "e2e/harness.hpp"

#include <doctest/doctest.h>

using tdd::test::temp_repo;

TEST_CASE("config show: environment overrides the file, sources named") {
  temp_repo repo;
  repo.write("orchestrator.yaml",
             "workers: 5\nmax_invocations: 40\ncircuits:\n  stage:\n"
             "    max_failures: 4\n");
  const auto r = repo.orchestrator({"config", "show", "--json"},
                                   {{"TDD_MAX_INVOCATIONS", "12"}});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  const auto cfg = r.json()["config"];
  CHECK(cfg["workers"]["value"] == "5");
  CHECK(cfg["workers"]["source"] == "orchestrator.yaml:1");
  CHECK(cfg["max_invocations"]["value"] == "12");
  CHECK(cfg["max_invocations"]["source"] == "env TDD_MAX_INVOCATIONS");
  CHECK(cfg["circuits.stage.max_failures"]["value"] == "4");
  CHECK(cfg["circuits.stage.max_failures"]["source"] == "orchestrator.yaml:5");
  CHECK(cfg["stage_timeout_s"]["source"] == "default");
  const auto human = repo.orchestrator({"config", "show"});
  CHECK(human.out.find("orchestrator.yaml:1") != std::string::npos);
}

TEST_CASE("config: a bad value is exit 2 naming file and line or variable") {
  temp_repo repo;
  repo.write("orchestrator.yaml", "workers: 2\ncircuits:\n  stage:\n"
                                  "    max_failures: -1\n");
  auto r = repo.orchestrator({"config", "show"});
  CHECK(r.code == 2);
  CHECK_MESSAGE(r.err.find("orchestrator.yaml:4: circuits.stage.max_failures")
                  != std::string::npos,
                r.err);
  repo.write("orchestrator.yaml", "workers: 2\n");
  r = repo.orchestrator({"config", "show"}, {{"TDD_MAX_WORKERS", "three"}});
  CHECK(r.code == 2);
  CHECK_MESSAGE(r.err.find("TDD_MAX_WORKERS") != std::string::npos, r.err);
  CHECK(r.err.find("\"three\"") != std::string::npos);
  repo.write("orchestrator.yaml", "wokers: 2\n");
  r = repo.orchestrator({"config", "show"});
  CHECK(r.code == 2);
  CHECK_MESSAGE(r.err.find("orchestrator.yaml:1:") != std::string::npos, r.err);
  CHECK(r.err.find("workers") != std::string::npos);
}

TEST_CASE("config: --config names another file and a missing one is an error") {
  temp_repo repo;
  repo.write("other.yaml", "workers: 9\n");
  auto r
    = repo.orchestrator({"config", "show", "--json", "--config", "other.yaml"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(r.json()["config"]["workers"]["value"] == "9");
  r = repo.orchestrator({"--config", "missing.yaml", "config", "show"});
  CHECK(r.code == 2);
  CHECK(r.err.find("missing.yaml") != std::string::npos);
}

TEST_CASE("config: the Slack webhook never appears in output or errors") {
  temp_repo repo;
  const std::string secret
    = "https://hooks.slack.com/services/T0/B0/s3cr3tT0k3n";
  auto r = repo.orchestrator({"config", "show", "--json"},
                             {{"SLACK_WEBHOOK_URL", secret}});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(r.out.find("s3cr3tT0k3n") == std::string::npos);
  CHECK(r.json()["config"]["notifications.slack_webhook"]["source"]
        == "env SLACK_WEBHOOK_URL");
  repo.write("orchestrator.yaml",
             "notifications:\n  slack_webhook: \"ftp://s3cr3tT0k3n\"\n");
  r = repo.orchestrator({"config", "show"});
  CHECK(r.code == 2);
  CHECK(r.err.find("s3cr3tT0k3n") == std::string::npos);
  CHECK(r.out.find("s3cr3tT0k3n") == std::string::npos);
}
