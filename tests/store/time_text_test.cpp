#include "store/time_text.hpp"

#include "store/raw_sqlite.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>

using namespace tdd;
using namespace std::chrono_literals;
using store::format_time;
using store::parse_time;

namespace {

/// 2026-11-26T17:00:00Z.
const core::wall_time base{std::chrono::seconds{1'795'712'400}};

} // namespace

TEST_CASE("times format as UTC ISO-8601 with milliseconds, truncated") {
  CHECK(format_time(base) == "2026-11-26T17:00:00.000Z");
  CHECK(format_time(base + 123'456'789ns) == "2026-11-26T17:00:00.123Z");
  CHECK(format_time(base + 999'999'999ns) == "2026-11-26T17:00:00.999Z");
  CHECK(format_time(core::wall_time{}) == "1970-01-01T00:00:00.000Z");
  // Before the epoch, truncation still goes towards the past.
  CHECK(format_time(core::wall_time{} - 1ns) == "1969-12-31T23:59:59.999Z");
  CHECK(format_time(core::wall_time{std::chrono::seconds{951'782'400}})
        == "2000-02-29T00:00:00.000Z");
}

TEST_CASE("formatted times parse back to the same millisecond") {
  for (auto t : {base, base + 123'456'789ns, base - 1ms, core::wall_time{},
                 core::wall_time{} - 1ns, base + 24h * 365 * 50}) {
    auto text = format_time(t);
    auto back = parse_time(text);
    REQUIRE_MESSAGE(back, text);
    CHECK(*back == std::chrono::floor<std::chrono::milliseconds>(t));
    CHECK(format_time(*back) == text);
  }
}

TEST_CASE("parse_time takes UTC ISO-8601 only") {
  CHECK(parse_time("2026-11-26T17:00:00Z") == base);
  CHECK(parse_time("2026-11-26T17:00:00.5Z") == base + 500ms);
  CHECK(parse_time("2026-11-26T17:00:00.123456789Z") == base + 123'456'789ns);
  CHECK(parse_time("2024-02-29T00:00:00.000Z").has_value());
  for (const char* bad :
       {"", "2026-11-26", "2026-11-26T17:00:00.000", "2026-11-26 17:00:00Z",
        "2026-11-26T17:00:00.000+01:00", "2026-11-26T17:00:00.Z",
        "2026-11-26T17:00:00.1234567890Z", "2023-02-29T00:00:00.000Z",
        "2026-13-01T00:00:00.000Z", "2026-11-26T24:00:00.000Z",
        "2026-11-26T17:60:00.000Z", "2026-11-26T17:00:60.000Z",
        "2026-11-00T17:00:00.000Z", "2026-1a-26T17:00:00.000Z"}) {
    CHECK_MESSAGE(!parse_time(bad), bad);
  }
}

TEST_CASE("format_time writes what SQLite's strftime writes") {
  auto db = test::open_raw(":memory:");
  const core::wall_time t{std::chrono::milliseconds{1'700'000'000'500}};
  CHECK(test::query_text(db.get(), "SELECT strftime('%Y-%m-%dT%H:%M:%fZ', "
                                   "1700000000.5, 'unixepoch')")
        == format_time(t));
  auto now = test::query_text(db.get(),
                              "SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now')");
  auto parsed = parse_time(now);
  REQUIRE_MESSAGE(parsed, now);
  CHECK(format_time(*parsed) == now);
}
