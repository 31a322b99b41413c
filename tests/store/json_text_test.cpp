#include "store/json_text.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using tdd::store::parse_json_array;
using tdd::store::to_json_array;
using strings = std::vector<std::string>;

TEST_CASE("JSON arrays of strings round-trip any bytes") {
  strings xs{"",
             "plain",
             "\"quoted\" \\ back",
             "new\nline\ttab\x01",
             "\xff\xfe not UTF-8",
             "caf\xc3\xa9 $(rm -rf /)"};
  auto text = to_json_array(xs);
  CHECK(text.find('\n') == std::string::npos);
  auto back = parse_json_array(text);
  REQUIRE(back);
  CHECK(*back == xs);
  CHECK(to_json_array({}) == "[]");
  CHECK(to_json_array({"a\"b"}) == R"(["a\"b"])");
}

TEST_CASE("JSON arrays written by others parse") {
  CHECK(parse_json_array(" [ ] ") == strings{});
  CHECK(parse_json_array(R"([ "a" , "b\/c" ])") == strings{"a", "b/c"});
  CHECK(parse_json_array(R"(["\u00e9\ud83d\ude00"])")
        == strings{"\xc3\xa9\xf0\x9f\x98\x80"});
}

TEST_CASE("anything but a JSON array of strings is refused") {
  for (const auto* bad : {"", "{}", "[1]", "[\"a\"", "[\"a\",]", "[\"\\x\"]",
                          "[\"a\"] x", "[\"\\ud83d\\u0041\"]"}) {
    CHECK_MESSAGE(!parse_json_array(bad), bad);
  }
}
