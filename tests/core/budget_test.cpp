#include "core/budget.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace tdd::core;

namespace {

/// One step of a budget sequence: an operation and what follows it.
struct step {
  char op;                // 'r' reserve, 's' settle, 'l' release
  micro_usd cost = 0;     // for settle
  bool reserved = true;   // for reserve: the expected result
  int64_t remaining = -1; // invocations_remaining() after, -1: not checked
};

void play(budget& b, const std::vector<step>& steps) {
  int n = 0;
  for (const auto& s : steps) {
    CAPTURE(n);
    CAPTURE(s.op);
    switch (s.op) {
    case 'r':
      CHECK(b.reserve() == s.reserved);
      break;
    case 's':
      b.settle(s.cost, 10);
      break;
    default:
      b.release();
      break;
    }
    if (s.remaining >= 0) {
      CHECK(b.invocations_remaining() == s.remaining);
    }
    ++n;
  }
}

} // namespace

TEST_CASE("budget: reservations count against the invocation cap") {
  struct row {
    const char* name;
    int64_t max;
    std::vector<step> steps;
    int64_t used; // settled invocations at the end
  };
  const std::vector<row> rows{
    {"reserve then settle",
     2,
     {{'r', 0, true, 1},
      {'s', 0, true, 1},
      {'r', 0, true, 0},
      {'s', 0, true, 0},
      {'r', 0, false, 0}},
     2},
    {"calls in flight hold the cap",
     2,
     {{'r', 0, true, 1}, {'r', 0, true, 0}, {'r', 0, false, 0}},
     0},
    {"a release gives the invocation back",
     1,
     {{'r', 0, true, 0},
      {'l', 0, true, 1},
      {'r', 0, true, 0},
      {'s', 0, true, 0},
      {'r', 0, false, 0}},
     1},
    {"usage-limit retries are uncounted",
     1,
     {{'r'}, {'l'}, {'r'}, {'l'}, {'r'}, {'l'}, {'r', 0, true, 0}, {'s'}},
     1},
    {"a zero cap refuses the first call", 0, {{'r', 0, false, 0}}, 0},
    {"a release without a reservation does nothing",
     1,
     {{'l', 0, true, 1}, {'r', 0, true, 0}, {'r', 0, false, 0}},
     0},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    budget b{{r.max, std::nullopt}};
    play(b, r.steps);
    CHECK(b.usage().invocations == r.used);
  }
}

TEST_CASE("budget: the cost cap is exact in micro-dollars") {
  struct row {
    micro_usd max;
    micro_usd spent;
    bool can_reserve;
  };
  const std::vector<row> rows{
    {5'000'000, 4'999'999, true}, // one micro-dollar short
    {5'000'000, 5'000'000, false},
    {5'000'000, 5'120'000, false},
    {0, 0, false},
    {1, 0, true},
  };
  for (const auto& r : rows) {
    CAPTURE(r.max);
    CAPTURE(r.spent);
    budget b{{100, r.max}, {1, r.spent, 0}};
    CHECK(b.reserve() == r.can_reserve);
    CHECK(b.is_exhausted() == !r.can_reserve);
    CHECK(b.cost_remaining() == std::max<micro_usd>(r.max - r.spent, 0));
  }
}

TEST_CASE("budget: the cost of calls in flight is unknown until settled") {
  budget b{{100, 1'000'000}};
  REQUIRE(b.reserve());
  REQUIRE(b.reserve()); // the cost so far is 0
  b.settle(900'000, 5);
  b.settle(900'000, 5); // overshoots: both were running
  CHECK(b.usage().cost_micros == 1'800'000);
  CHECK(b.usage().tokens == 10);
  CHECK(b.reserved() == 0);
  CHECK(!b.reserve());
  CHECK(b.cost_remaining() == 0);
}

TEST_CASE("budget: a usage-limited call is released and costs nothing") {
  budget b{{1, 1'000'000}};
  REQUIRE(b.reserve());
  b.release(); // usage limit: retried later, uncounted
  CHECK(b.usage().invocations == 0);
  CHECK(b.usage().cost_micros == 0);
  CHECK(b.invocations_remaining() == 1);
  REQUIRE(b.reserve());
  b.settle(250'000, 100);
  CHECK(b.usage().invocations == 1);
  CHECK(!b.reserve());
}

TEST_CASE("budget: settling counts even without a reservation") {
  budget b{{2, std::nullopt}};
  b.settle(-5, -1); // negative reports count as 0
  CHECK(b.usage().invocations == 1);
  CHECK(b.usage().cost_micros == 0);
  CHECK(b.usage().tokens == 0);
  CHECK(b.reserved() == 0);
  CHECK(b.invocations_remaining() == 1);
  CHECK(!b.cost_remaining());
}

TEST_CASE("budget: a resumed budget starts from the stored usage") {
  budget b{{3, 2'000'000}, {2, 1'500'000, 700}};
  CHECK(b.invocations_remaining() == 1);
  CHECK(b.cost_remaining() == 500'000);
  REQUIRE(b.reserve());
  CHECK(!b.reserve());
  CHECK(b.exhausted_reason() == "invocation budget of 3 spent");
}

TEST_CASE("budget: the exhausted reason names the cap that was reached") {
  budget fresh{{100, 5'000'000}};
  CHECK(!fresh.is_exhausted());
  CHECK(fresh.exhausted_reason().empty());

  budget spent{{100, std::nullopt}, {100, 0, 0}};
  CHECK(spent.exhausted_reason() == "invocation budget of 100 spent");

  budget costly{{100, 5'000'000}, {7, 5'120'000, 0}};
  CHECK(costly.exhausted_reason()
        == "cost budget of $5.00 reached ($5.12 spent)");

  budget odd_cap{{100, 125'000}, {1, 125'000, 0}};
  CHECK(odd_cap.exhausted_reason()
        == "cost budget of $0.125 reached ($0.13 spent)");

  budget both{{1, 1'000'000}, {1, 2'000'000, 0}};
  CHECK(both.exhausted_reason() == "invocation budget of 1 spent");
}

TEST_CASE("format_dollars rounds to the cent") {
  CHECK(format_dollars(0) == "$0.00");
  CHECK(format_dollars(4'999) == "$0.00");
  CHECK(format_dollars(5'000) == "$0.01");
  CHECK(format_dollars(5'120'000) == "$5.12");
  CHECK(format_dollars(12'345'678'901) == "$12345.68");
  CHECK(format_dollars(-1'000'000) == "-$1.00");
}
