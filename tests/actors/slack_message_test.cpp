// Block Kit bodies of the Slack notifications: what each shows, and that
// any bytes in task text or reasons stay inside valid JSON.

#include "actors/slack_message.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

using namespace tdd;
using namespace std::chrono_literals;
using core::notify_event;

namespace {

nlohmann::json parse(const slack_notification& x) {
  const auto body = slack_message(x);
  CAPTURE(body);
  auto doc = nlohmann::json::parse(body, nullptr, false);
  REQUIRE_FALSE(doc.is_discarded());
  REQUIRE(doc.contains("text"));
  REQUIRE(doc["blocks"].is_array());
  REQUIRE(doc["blocks"].size() >= 1);
  CHECK(doc["blocks"][0]["type"] == "header");
  CHECK(doc["blocks"][0]["text"]["type"] == "plain_text");
  return doc;
}

std::string header(const nlohmann::json& doc) {
  return doc["blocks"][0]["text"]["text"].get<std::string>();
}

/// The field texts of the first section, "*Name*\nvalue" each.
std::vector<std::string> fields(const nlohmann::json& doc) {
  std::vector<std::string> out;
  for (const auto& block : doc["blocks"]) {
    if (block.contains("fields")) {
      for (const auto& f : block["fields"]) {
        CHECK(f["type"] == "mrkdwn");
        out.push_back(f["text"].get<std::string>());
      }
      break;
    }
  }
  return out;
}

/// The text of the section after the fields, "" when there is none.
std::string body(const nlohmann::json& doc) {
  for (const auto& block : doc["blocks"]) {
    if (block["type"] == "section" && block.contains("text")) {
      return block["text"]["text"].get<std::string>();
    }
  }
  return {};
}

slack_notification finished() {
  slack_notification x;
  x.event = notify_event::run_finished;
  x.subject = "run:7";
  x.run_id = 7;
  x.outcome = "blocked";
  x.detail = "1 blocked, 0 not run";
  x.tasks_total = 3;
  x.tasks_complete = 2;
  x.tasks_blocked = 1;
  x.invocations = 14;
  x.cost_micros = 1'250'000;
  x.duration = 125s;
  return x;
}

} // namespace

TEST_CASE("slack message: run finished shows the summary and cost and "
          "duration") {
  const auto doc = parse(finished());
  CHECK(header(doc) == "Run 7 finished: blocked");
  CHECK(fields(doc)
        == std::vector<std::string>{"*Run*\n7", "*Outcome*\nblocked",
                                    "*Tasks*\n2 complete, 1 blocked, 3 total",
                                    "*Agent invocations*\n14", "*Cost*\n$1.25",
                                    "*Duration*\n2m 5s"});
  CHECK(body(doc) == "1 blocked, 0 not run");
  const auto text = doc["text"].get<std::string>();
  CHECK(text.find("Run 7 finished: blocked") == 0);
  CHECK(text.find("$1.25") != std::string::npos);
  CHECK(text.find("2m 5s") != std::string::npos);
}

TEST_CASE("slack message: run started names the run and its plan") {
  slack_notification x;
  x.event = notify_event::run_started;
  x.run_id = 3;
  x.tasks_total = 5;
  x.detail = "5 tasks, 3 workers, target main, agent claude";
  const auto doc = parse(x);
  CHECK(header(doc) == "Run 3 started");
  CHECK(fields(doc) == std::vector<std::string>{"*Run*\n3", "*Tasks*\n5"});
  CHECK(body(doc) == x.detail);
}

TEST_CASE("slack message: quotes and newlines and mentions and invalid "
          "UTF-8 in reasons stay inside valid JSON") {
  auto x = finished();
  x.detail = "say \"hi\"\n\t$(rm -rf /) <!channel> a&b \\ \xff\xfe end";
  const auto doc = parse(x); // parses: nothing was concatenated as JSON
  const auto text = body(doc);
  CHECK(text.find("say \"hi\"\n\t$(rm -rf /)") == 0);
  CHECK(text.find("&lt;!channel&gt;") != std::string::npos);
  CHECK(text.find("<!channel>") == std::string::npos);
  CHECK(text.find("a&amp;b \\") != std::string::npos);
  CHECK(text.find("\xEF\xBF\xBD") != std::string::npos); // U+FFFD
}

TEST_CASE("slack message: a long reason is cut at a character boundary") {
  auto x = finished();
  x.detail.clear();
  for (int i = 0; i < 600; ++i) {
    x.detail += "\xC3\xA9"; // é, two bytes
  }
  const auto text = body(parse(x));
  CHECK(text.size() <= 1003);
  CHECK(text.find("\xEF\xBF\xBD") == std::string::npos); // no half é
  CHECK(text.substr(text.size() - 3) == "\u2026");
}

TEST_CASE("slack message: circuit opened and recovered") {
  slack_notification x;
  x.event = notify_event::circuit_opened;
  x.subject = "worker:worker_2";
  x.run_id = 4;
  x.failures = 3;
  auto doc = parse(x);
  CHECK(header(doc) == "Circuit open: worker:worker_2");
  CHECK(fields(doc)
        == std::vector<std::string>{"*Circuit*\nworker:worker_2",
                                    "*Failures*\n3", "*Run*\n4"});
  x.event = notify_event::circuit_recovered;
  doc = parse(x);
  CHECK(header(doc) == "Circuit recovered: worker:worker_2");
  CHECK(fields(doc)
        == std::vector<std::string>{"*Circuit*\nworker:worker_2", "*Run*\n4"});
  x.event = notify_event::flapping;
  x.subject = "system";
  CHECK(header(parse(x)) == "Circuit flapping: system");
}

TEST_CASE("slack message: a stage batch names 20 circuits and counts the "
          "rest") {
  slack_notification x;
  x.event = notify_event::stage_circuits_opened;
  x.subject = "stage";
  x.run_id = 2;
  for (int i = 0; i < 25; ++i) {
    x.circuits.push_back("stage:T" + std::to_string(i) + ":red");
  }
  const auto doc = parse(x);
  CHECK(header(doc) == "25 stage circuits opened");
  const auto list = body(doc);
  CHECK(list.find("stage:T0:red") != std::string::npos);
  CHECK(list.find("stage:T19:red") != std::string::npos);
  CHECK(list.find("stage:T20:red") == std::string::npos);
  CHECK(list.find("and 5 more") != std::string::npos);
  x.circuits.resize(1);
  CHECK(header(parse(x)) == "1 stage circuit opened");
}

TEST_CASE("slack message: halts say why with the usage so far") {
  slack_notification x;
  x.event = notify_event::budget_exhausted;
  x.run_id = 9;
  x.detail = "max_invocations (20) reached";
  x.invocations = 20;
  x.cost_micros = 500'000;
  auto doc = parse(x);
  CHECK(header(doc) == "Run 9 halted: budget exhausted");
  CHECK(body(doc) == "max_invocations (20) reached");
  const auto f = fields(doc);
  CHECK(std::find(f.begin(), f.end(), "*Cost*\n$0.50") != f.end());
  x.event = notify_event::system_halt;
  CHECK(header(parse(x)) == "Run 9 halted: system circuit open");
}

TEST_CASE("slack message: durations read as seconds or minutes or hours") {
  CHECK(format_duration(0ms) == "0s");
  CHECK(format_duration(45'900ms) == "45s");
  CHECK(format_duration(125s) == "2m 5s");
  CHECK(format_duration(3h + 4min + 5s) == "3h 4m");
}
