#include "store/time_text.hpp"

#include <array>
#include <cstdint>
#include <cstdio>

namespace tdd::store {

namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;

constexpr int64_t ms_per_day = 86'400'000;

int64_t floor_div(int64_t x, int64_t y) {
  auto q = x / y;
  return (x % y != 0 && ((x < 0) != (y < 0))) ? q - 1 : q;
}

// Howard Hinnant's civil-calendar algorithms (proleptic Gregorian), valid
// for any year; no time zone database, no locale, no global state.
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = floor_div(y, 400);
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct civil_date {
  int64_t year;
  int64_t month;
  int64_t day;
};

civil_date civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = floor_div(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

bool is_leap(int64_t y) {
  return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

int64_t days_in_month(int64_t y, int64_t m) {
  constexpr std::array<int64_t, 12> days{31, 28, 31, 30, 31, 30,
                                         31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[static_cast<size_t>(m - 1)];
}

/// Reads exactly `n` decimal digits at `pos`; -1 if any is not a digit.
int64_t digits(std::string_view text, size_t pos, size_t n) {
  int64_t result = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return -1;
    }
    result = result * 10 + (text[i] - '0');
  }
  return result;
}

/// Nanoseconds of the fraction `.f...Z` at the end of `text` (from `pos`),
/// or -1 when malformed.
int64_t fraction_nanos(std::string_view text, size_t pos) {
  if (pos == text.size() - 1) {
    return 0; // no fraction, just "Z"
  }
  const size_t n = text.size() - 1 - pos - 1; // without '.' and 'Z'
  if (text[pos] != '.' || n < 1 || n > 9) {
    return -1;
  }
  auto value = digits(text, pos + 1, n);
  for (size_t i = n; i < 9 && value >= 0; ++i) {
    value *= 10;
  }
  return value;
}

} // namespace

std::string format_time(core::wall_time t) {
  const auto ms
    = std::chrono::floor<milliseconds>(t.time_since_epoch()).count();
  const auto days = floor_div(ms, ms_per_day);
  const auto in_day = ms - days * ms_per_day;
  const auto date = civil_from_days(days);
  std::array<char, 64> buf{};
  std::snprintf(
    buf.data(), buf.size(), "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ",
    static_cast<long long>(date.year), static_cast<long long>(date.month),
    static_cast<long long>(date.day),
    static_cast<long long>(in_day / 3'600'000),
    static_cast<long long>(in_day / 60'000 % 60),
    static_cast<long long>(in_day / 1000 % 60),
    static_cast<long long>(in_day % 1000));
  return buf.data();
}

std::optional<core::wall_time> parse_time(std::string_view text) {
  // 2026-11-26T17:00:00Z is the shortest form (20 characters).
  if (text.size() < 20 || text.back() != 'Z' || text[4] != '-' || text[7] != '-'
      || text[10] != 'T' || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  const auto y = digits(text, 0, 4);
  const auto mo = digits(text, 5, 2);
  const auto d = digits(text, 8, 2);
  const auto h = digits(text, 11, 2);
  const auto mi = digits(text, 14, 2);
  const auto s = digits(text, 17, 2);
  const auto nanos = fraction_nanos(text, 19);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0
      || mi > 59 || s < 0 || s > 59 || nanos < 0 || d > days_in_month(y, mo)) {
    return std::nullopt;
  }
  const auto seconds
    = days_from_civil(y, mo, d) * 86'400 + h * 3600 + mi * 60 + s;
  return core::wall_time{std::chrono::duration_cast<core::wall_time::duration>(
    std::chrono::seconds{seconds} + nanoseconds{nanos})};
}

} // namespace tdd::store
