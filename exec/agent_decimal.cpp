// Exact decimal conversion for `scale_decimal` (declared with the JSON
// reader, whose numbers it converts).

#include "exec/agent_json.hpp"

#include <algorithm>

namespace tdd::exec {

namespace {

bool is_digit(char ch) {
  return ch >= '0' && ch <= '9';
}

// "12.5e-1" split into its digits ("125") and the position of the decimal
// point counted from the left of those digits (2 - 1 = 1).
struct decimal_parts {
  std::string digits;
  long point = 0;
};

std::optional<decimal_parts> split_decimal(std::string_view text) {
  decimal_parts out;
  size_t pos = 0;
  while (pos < text.size() && is_digit(text[pos])) {
    out.digits += text[pos++];
  }
  out.point = static_cast<long>(out.digits.size());
  if (out.digits.empty()) {
    return std::nullopt;
  }
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const auto fraction = out.digits.size();
    while (pos < text.size() && is_digit(text[pos])) {
      out.digits += text[pos++];
    }
    if (out.digits.size() == fraction) {
      return std::nullopt; // "1." is no number
    }
  }
  if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
    ++pos;
    const bool negative = pos < text.size() && text[pos] == '-';
    pos += pos < text.size() && (text[pos] == '-' || text[pos] == '+') ? 1 : 0;
    long exponent = 0;
    const auto start = pos;
    while (pos < text.size() && is_digit(text[pos])) {
      // Clamp: beyond ±100000 the result is 0 or an overflow either way.
      exponent = std::min(exponent * 10 + (text[pos++] - '0'), 100000L);
    }
    if (pos == start) {
      return std::nullopt;
    }
    out.point += negative ? -exponent : exponent;
  }
  if (pos != text.size()) {
    return std::nullopt;
  }
  return out;
}

} // namespace

std::optional<int64_t> scale_decimal(std::string_view number, int digits,
                                     rounding mode) {
  const auto parts = split_decimal(number);
  if (!parts) {
    return std::nullopt;
  }
  // Digits left of `whole` form the integer count of units, the rest is the
  // remainder below one unit.
  const long whole = parts->point + digits;
  constexpr int64_t limit = 1'000'000'000'000'000; // 10^15 units
  int64_t units = 0;
  bool round_up = false;
  bool any_remainder = false;
  const long size = static_cast<long>(parts->digits.size());
  for (long i = 0; i < std::max(whole, size); ++i) {
    const int digit
      = i < size ? parts->digits[static_cast<size_t>(i)] - '0' : 0;
    if (i < whole) {
      units = units * 10 + digit;
      if (units > limit) {
        return std::nullopt;
      }
      continue;
    }
    round_up = round_up || (i == std::max(whole, 0L) && digit >= 5);
    any_remainder = any_remainder || digit != 0;
  }
  if (whole < 0) {
    round_up = false; // the first remainder digit is an implied zero
  }
  const bool add = mode == rounding::half_up ? round_up : any_remainder;
  return units + (add ? 1 : 0);
}

} // namespace tdd::exec
