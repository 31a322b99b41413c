#include "core/budget.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace tdd::core {

budget::budget(budget_limits limits, budget_usage used)
    : limits_(std::move(limits)), used_(used) {
  // nop
}

bool budget::reserve() {
  if (is_exhausted()) {
    return false;
  }
  ++reserved_;
  return true;
}

void budget::settle(micro_usd cost_micros, int64_t tokens) {
  reserved_ = std::max<int64_t>(reserved_ - 1, 0);
  ++used_.invocations;
  used_.cost_micros += std::max<micro_usd>(cost_micros, 0);
  used_.tokens += std::max<int64_t>(tokens, 0);
}

void budget::release() {
  reserved_ = std::max<int64_t>(reserved_ - 1, 0);
}

int64_t budget::invocations_remaining() const {
  return std::max<int64_t>(
    limits_.max_invocations - used_.invocations - reserved_, 0);
}

std::optional<micro_usd> budget::cost_remaining() const {
  if (!limits_.max_cost_micros) {
    return std::nullopt;
  }
  return std::max<micro_usd>(*limits_.max_cost_micros - used_.cost_micros, 0);
}

bool budget::invocations_spent() const {
  return used_.invocations + reserved_ >= limits_.max_invocations;
}

// Only settled cost counts: what a call in flight will cost is unknown
// until it reports, so the cap can be overshot by the calls in flight.
bool budget::cost_reached() const {
  return limits_.max_cost_micros
         && used_.cost_micros >= *limits_.max_cost_micros;
}

bool budget::is_exhausted() const {
  return invocations_spent() || cost_reached();
}

std::string budget::exhausted_reason() const {
  if (invocations_spent()) {
    return "invocation budget of " + std::to_string(limits_.max_invocations)
           + " spent";
  }
  if (cost_reached()) {
    // The cap as the user typed it (format_usd is exact), the spending to
    // the cent.
    return "cost budget of $" + format_usd(*limits_.max_cost_micros)
           + " reached (" + format_dollars(used_.cost_micros) + " spent)";
  }
  return {};
}

std::string format_dollars(micro_usd amount) {
  const bool negative = amount < 0;
  const micro_usd cents = ((negative ? -amount : amount) + 5'000) / 10'000;
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%s$%lld.%02lld", negative ? "-" : "",
                static_cast<long long>(cents / 100),
                static_cast<long long>(cents % 100));
  return buf;
}

} // namespace tdd::core
