#include "exec/agent_json.hpp"

#include "exec/agent.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace tdd::exec;

TEST_CASE("JSON values parse with nesting, escapes and raw bytes") {
  const auto value = parse_json(
    R"( {"a": [1, -2.5e3, true, false, null], "b": {"c": "x\"y\\z\/"},)"
    R"( "u": "\u00e9\ud83d\ude00\ud800!", "n": "tab\tnl\n"} )");
  REQUIRE(value);
  CHECK(value->is_object());
  const auto* a = value->find("a");
  REQUIRE(a);
  REQUIRE(a->items.size() == 5);
  CHECK(a->items[1].text == "-2.5e3");
  CHECK(a->items[2].boolean);
  CHECK(a->items[4].type == json_value::kind::null);
  CHECK(value->find("b")->string_at("c") == "x\"y\\z/");
  CHECK(value->string_at("u") == "\xC3\xA9\xF0\x9F\x98\x80\xEF\xBF\xBD!");
  CHECK(value->string_at("n") == "tab\tnl\n");
  CHECK(value->number_at("a") == std::nullopt);
  CHECK(value->string_at("missing") == std::nullopt);

  const auto raw = parse_json("{\"k\": \"\xff\xfe\"}");
  REQUIRE(raw);
  CHECK(raw->string_at("k") == "\xff\xfe");
  CHECK(parse_json("{\"k\": \"0.5\"}")->number_at("k") == "0.5");
  CHECK(parse_json("{\"k\": true}")->bool_at("k") == true);
}

TEST_CASE("anything but one JSON value is refused") {
  for (const char* text :
       {"", "{", "}", "{\"a\" 1}", "{\"a\":1,}", "[1,]", "{a:1}", "nul", "1 2",
        "{} {}", "\"open", R"("bad \x escape")", "01x", "-", "1.", "1e",
        "Error: boom", "{\"a\":1} trailing"}) {
    const std::string shown = text;
    CAPTURE(shown);
    CHECK_FALSE(parse_json(text).has_value());
  }
  std::string deep(65, '[');
  deep += std::string(65, ']');
  CHECK_FALSE(parse_json(deep).has_value());
  std::string fine(60, '[');
  fine += std::string(60, ']');
  CHECK(parse_json(fine).has_value());
}

TEST_CASE("decimal text converts to units exactly") {
  CHECK(scale_decimal("0.12", 6, rounding::half_up) == 120000);
  CHECK(scale_decimal("0.000001", 6, rounding::half_up) == 1);
  CHECK(scale_decimal("1.5e-3", 6, rounding::half_up) == 1500);
  CHECK(scale_decimal("1.5E+2", 0, rounding::half_up) == 150);
  CHECK(scale_decimal("3400", 0, rounding::half_up) == 3400);
  CHECK(scale_decimal("0", 6, rounding::half_up) == 0);
  CHECK(scale_decimal("5e-7", 6, rounding::half_up) == 1);
  CHECK(scale_decimal("4.9e-7", 6, rounding::half_up) == 0);
  CHECK(scale_decimal("9e-8", 6, rounding::half_up) == 0);
  CHECK(scale_decimal("9e-8", 6, rounding::up) == 1);
  CHECK(scale_decimal("0.0000000", 6, rounding::up) == 0);
  CHECK(scale_decimal("2.0000001", 0, rounding::up) == 3);
  CHECK(scale_decimal("2", 0, rounding::up) == 2);
  CHECK(scale_decimal("1e-100000", 6, rounding::half_up) == 0);
  CHECK(scale_decimal("0e100000", 6, rounding::half_up) == 0);
  CHECK(scale_decimal("1000000000", 6, rounding::half_up)
        == 1'000'000'000'000'000);
  for (const char* text : {"", "-1", "+1", ".5", "1.", "1e", "1e+", "abc",
                           "1,5", "0x10", " 1", "1e100000", "1000000001"}) {
    const std::string shown = text;
    CAPTURE(shown);
    CHECK_FALSE(scale_decimal(text, 6, rounding::half_up).has_value());
  }
}

TEST_CASE("agent costs become micro-dollars without float rounding") {
  CHECK(parse_cost_usd("0.12") == 120000);
  CHECK(parse_cost_usd("0.000001") == 1);
  CHECK(parse_cost_usd("1.5e-3") == 1500);
  CHECK(parse_cost_usd("0.034816499999999996") == 34816);
  CHECK(parse_cost_usd("0.0348165") == 34817); // half up
  CHECK(parse_cost_usd("0.1") == 100000);      // not 99999
  CHECK(parse_cost_usd("999999999.999999") == 999'999'999'999'999);
  CHECK_FALSE(parse_cost_usd("1000000000").has_value());
  CHECK_FALSE(parse_cost_usd("-0.5").has_value());
  CHECK_FALSE(parse_cost_usd("NaN").has_value());
}
