// Listen addresses for `serve --bind` and `run --http`.

#include "actors/http_server.hpp"
#include "messages/errc.hpp"

#include <doctest/doctest.h>

using namespace tdd;

TEST_CASE("listen addresses parse as HOST:PORT or [IPv6]:PORT") {
  auto a = parse_http_address("127.0.0.1:8420");
  REQUIRE(a);
  CHECK(a->host == "127.0.0.1");
  CHECK(a->port == 8420);
  auto v6 = parse_http_address("[::1]:0");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == 0);
  auto named = parse_http_address("localhost:9");
  REQUIRE(named);
  CHECK(named->host == "localhost");
}

TEST_CASE("bad listen addresses say what is wrong") {
  auto why = [](const char* text) {
    auto a = parse_http_address(text);
    REQUIRE_FALSE(a);
    CHECK(a.error() == errc::invalid_argument);
    return describe(a.error());
  };
  CHECK(why("8420").find("no port") != std::string::npos);
  CHECK(why(":8420").find("no host") != std::string::npos);
  CHECK(why("host:65536").find("0 to 65535") != std::string::npos);
  CHECK(why("host:80x").find("0 to 65535") != std::string::npos);
  CHECK(why("::1:80").find("[ADDRESS]:PORT") != std::string::npos);
  CHECK(why("[::1]80").find("[ADDRESS]:PORT") != std::string::npos);
}

TEST_CASE("loopback hosts are told from the others") {
  CHECK(is_loopback("127.0.0.1"));
  CHECK(is_loopback("127.1.2.3"));
  CHECK(is_loopback("::1"));
  CHECK(is_loopback("localhost"));
  CHECK_FALSE(is_loopback("0.0.0.0"));
  CHECK_FALSE(is_loopback("10.0.0.1"));
  CHECK_FALSE(is_loopback("::"));
  CHECK_FALSE(is_loopback("example.com"));
}
