#include "core/circuit.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

using namespace tdd::core;

TEST_CASE("circuit enum names round-trip and match SPEC.md") {
  const std::vector<std::pair<circuit_level, std::string>> levels{
    {circuit_level::stage, "stage"},
    {circuit_level::worker, "worker"},
    {circuit_level::system, "system"}};
  for (const auto& [x, name] : levels) {
    CHECK(to_string(x) == name);
    CHECK(parse_circuit_level(name) == x);
  }
  const std::vector<std::pair<circuit_state, std::string>> states{
    {circuit_state::closed, "closed"},
    {circuit_state::open, "open"},
    {circuit_state::half_open, "half_open"}};
  for (const auto& [x, name] : states) {
    CHECK(to_string(x) == name);
    CHECK(parse_circuit_state(name) == x);
  }
  const std::vector<std::pair<failure_kind, std::string>> kinds{
    {failure_kind::task, "task"},
    {failure_kind::worker, "worker"},
    {failure_kind::usage_limit, "usage_limit"}};
  for (const auto& [x, name] : kinds) {
    CHECK(to_string(x) == name);
    CHECK(parse_failure_kind(name) == x);
  }
  for (const auto* bad : {"", "Stage", "node", "half-open", "HALF_OPEN",
                          "open ", "usage", "stages"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_circuit_level(bad).has_value());
    CHECK_FALSE(parse_circuit_state(bad).has_value());
    CHECK_FALSE(parse_failure_kind(bad).has_value());
    CHECK_FALSE(parse_circuit_event_type(bad).has_value());
  }
}

TEST_CASE("circuit event type names match the events table") {
  const std::vector<std::pair<circuit_event_type, std::string>> events{
    {circuit_event_type::state_change, "state_change"},
    {circuit_event_type::failure_recorded, "failure_recorded"},
    {circuit_event_type::success_recorded, "success_recorded"},
    {circuit_event_type::threshold_reached, "threshold_reached"},
    {circuit_event_type::recovery_started, "recovery_started"},
    {circuit_event_type::recovery_succeeded, "recovery_succeeded"},
    {circuit_event_type::recovery_failed, "recovery_failed"},
    {circuit_event_type::manual_reset, "manual_reset"},
    {circuit_event_type::flapping_detected, "flapping_detected"},
    {circuit_event_type::extension_applied, "extension_applied"}};
  for (const auto& [x, name] : events) {
    CHECK(to_string(x) == name);
    CHECK(parse_circuit_event_type(name) == x);
  }
}

TEST_CASE("display ids are the forms users type") {
  CHECK(display_id(circuit_level::stage, "CALC-1:green")
        == "stage:CALC-1:green");
  CHECK(display_id(circuit_level::worker, "worker_1") == "worker:worker_1");
  CHECK(display_id(circuit_level::worker, "n1.worker_2")
        == "worker:n1.worker_2");
  CHECK(display_id(circuit_level::system, "system") == "system");
  CHECK(display_id(circuit_level::system, "") == "system");
}

TEST_CASE("circuit refs: the three forms and nothing else") {
  struct ref_case {
    std::string text;
    circuit_level level;
    std::string identifier;
  };
  const std::vector<ref_case> good{
    {"system", circuit_level::system, "system"},
    {"worker:worker_1", circuit_level::worker, "worker_1"},
    {"worker:n-1.worker_2", circuit_level::worker, "n-1.worker_2"},
    {"stage:CALC-1:green", circuit_level::stage, "CALC-1:green"},
    {"stage:a.b_c-9:red", circuit_level::stage, "a.b_c-9:red"},
  };
  for (const auto& c : good) {
    CAPTURE(c.text);
    const auto ref = parse_circuit_ref(c.text);
    REQUIRE(ref.has_value());
    CHECK(ref->level == c.level);
    CHECK(ref->identifier == c.identifier);
    CHECK(display_id(ref->level, ref->identifier) == c.text);
  }
  for (const auto* stage :
       {"red", "green", "verify", "fix", "refactor", "commit"}) {
    CHECK(parse_circuit_ref(std::string("stage:K:") + stage).has_value());
  }
  const std::vector<std::string> bad{
    "",
    "all",
    "System",
    "system:",
    "system:x",
    " system",
    "worker",
    "worker:",
    "worker:a b",
    "worker:a:b",
    "wrker:worker_1",
    "stage",
    "stage:",
    "stage:CALC-1",
    "stage:CALC-1:",
    "stage::green",
    "stage:CALC-1:purple",
    "stage:CALC-1:Green",
    "stage:CALC:1:green", // keys hold no ':'
    "stage:CALC 1:green",
    "stage:" + std::string(65, 'k') + ":red", // keys are at most 64
    "stage:CALC-1:green ",
  };
  for (const auto& text : bad) {
    CAPTURE(text);
    CHECK_FALSE(parse_circuit_ref(text).has_value());
  }
  CHECK(parse_circuit_ref("stage:" + std::string(64, 'k') + ":red"));
}

TEST_CASE("event details are JSON objects whatever the text holds") {
  CHECK(event_details{}.text() == "{}");
  CHECK(event_details{}.add("kind", "worker").add("n", 3).text()
        == R"({"kind":"worker","n":3})");
  const std::string nasty = "q\"b\\n\nt\t\x01\x1f é \xff";
  const auto text = event_details{}.add(nasty, nasty).add("neg", -5).text();
  CHECK(text.find('\n') == std::string::npos);
  // nlohmann rejects the invalid UTF-8 byte that SQLite accepts; check
  // everything else round-trips.
  const std::string valid = nasty.substr(0, nasty.size() - 2);
  const auto doc
    = nlohmann::json::parse(event_details{}.add(valid, valid).text());
  CHECK(doc[valid] == valid);
  CHECK(text.find("\\u0001") != std::string::npos);
  CHECK(text.find("\\u001f") != std::string::npos);
  CHECK(text.find("\xff") != std::string::npos);
}
