#pragma once

#include <nlohmann/json_fwd.hpp>

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace tdd::cli {

/// Makes arbitrary bytes safe for one table cell or log line: control
/// characters become `\n`, `\t`, `\xNN`; bytes that are not valid UTF-8
/// become `\xNN`. Valid UTF-8 text passes unchanged.
std::string printable(std::string_view raw);

/// Terminal columns of printable UTF-8 text (one per code point).
size_t display_width(std::string_view text);

/// Rows of cells rendered as aligned columns under a header.
struct table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;

  /// Renders the table; every cell goes through printable().
  std::string render() const;
};

/// True when writing to `fd` may use ANSI colour: a TTY, NO_COLOR unset and
/// TERM not "dumb".
bool use_color(int fd);

/// Writes one JSON document and a newline to stdout. Invalid UTF-8 in
/// strings becomes U+FFFD, so the output always parses.
void print_json(const nlohmann::json& doc);

/// As print_json, to `out`.
void print_json(const nlohmann::json& doc, std::ostream& out);

/// The document on one line with a newline, invalid UTF-8 replaced as in
/// print_json: for streams of documents and HTTP bodies.
std::string json_line(const nlohmann::json& doc);

/// Writes `orchestrator: <message>` to stderr.
void print_error(std::string_view message);

} // namespace tdd::cli
