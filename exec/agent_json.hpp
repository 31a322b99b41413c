#pragma once

// Reading what agents print: a small JSON reader (agents' result objects
// nest, e.g. claude's `usage`) and exact decimal conversion, so a printed
// `"cost_usd": 0.12` becomes 120000 micro-dollars without passing through a
// double. Numbers keep their source text for that reason.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tdd::exec {

struct json_member;

/// One parsed JSON value.
struct json_value {
  enum class kind { null, boolean, number, string, array, object };
  kind type = kind::null;
  bool boolean = false;
  /// A string's decoded bytes, or a number's source text ("1.5e-3").
  std::string text;
  std::vector<json_value> items;    ///< array elements
  std::vector<json_member> members; ///< object members, in source order

  bool is_object() const { return type == kind::object; }
  /// The first member named `key` of an object, or nullptr.
  const json_value* find(std::string_view key) const;
  /// The member `key` if it is a string, else nullopt.
  std::optional<std::string> string_at(std::string_view key) const;
  /// The member `key` if it is `true` or `false`, else nullopt.
  std::optional<bool> bool_at(std::string_view key) const;
  /// Number text of member `key`; a string holding the number counts too.
  std::optional<std::string> number_at(std::string_view key) const;
};

struct json_member {
  std::string key;
  json_value value;
};

/// Parses exactly one JSON value, with whitespace around it allowed. Returns
/// nullopt for anything else, for nesting deeper than 64 levels, and for
/// bad escapes. Bytes inside strings are kept as they are (non-UTF-8 too);
/// `\uXXXX` escapes become UTF-8, a lone surrogate U+FFFD.
[[nodiscard]] std::optional<json_value> parse_json(std::string_view text);

/// How `scale_decimal` treats digits below the requested unit.
enum class rounding {
  half_up, ///< nearest unit, halves away from zero (money)
  up,      ///< any remainder rounds up (waits: never wait too little)
};

/// Converts non-negative decimal text ("0.12", "3400", "1.5e-3", "5E-7") to
/// an integer count of 10^-`digits` units, exactly: digits 6 turns dollars
/// into micro-dollars (0.12 -> 120000, 0.000001 -> 1, 1.5e-3 -> 1500).
/// Digits below the unit are rounded per `mode`. Returns nullopt for a sign,
/// anything but a decimal number, or results above 10^15 units.
[[nodiscard]] std::optional<int64_t> scale_decimal(std::string_view number,
                                                   int digits, rounding mode);

} // namespace tdd::exec
