#include "cli/output.hpp"

#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

namespace tdd::cli {

namespace {

/// Length of the valid UTF-8 sequence at the start of `s`, or 0.
size_t utf8_sequence_length(std::string_view s) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  size_t n = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
  } else {
    return 0;
  }
  if (s.size() < n) {
    return 0;
  }
  for (size_t i = 1; i < n; ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      return 0;
    }
  }
  const auto b1 = static_cast<unsigned char>(s[1]);
  // Overlong forms, surrogates and code points above U+10FFFF.
  if ((b0 == 0xE0 && b1 < 0xA0) || (b0 == 0xED && b1 > 0x9F)
      || (b0 == 0xF0 && b1 < 0x90) || (b0 == 0xF4 && b1 > 0x8F)) {
    return 0;
  }
  return n;
}

void append_hex(std::string& out, unsigned char c) {
  static constexpr char digits[] = "0123456789abcdef";
  out += "\\x";
  out += digits[c >> 4];
  out += digits[c & 0xF];
}

} // namespace

std::string printable(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  while (!raw.empty()) {
    const auto c = static_cast<unsigned char>(raw[0]);
    size_t used = 1;
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7F) {
      append_hex(out, c);
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (size_t n = utf8_sequence_length(raw); n > 0) {
      out.append(raw.substr(0, n));
      used = n;
    } else {
      append_hex(out, c);
    }
    raw.remove_prefix(used);
  }
  return out;
}

size_t display_width(std::string_view text) {
  size_t width = 0;
  for (const char ch : text) {
    if ((static_cast<unsigned char>(ch) & 0xC0) != 0x80) {
      ++width;
    }
  }
  return width;
}

std::string table::render() const {
  std::vector<std::vector<std::string>> cells;
  cells.reserve(rows.size() + 1);
  cells.push_back(header);
  for (const auto& row : rows) {
    std::vector<std::string> clean;
    clean.reserve(row.size());
    for (const auto& cell : row) {
      clean.push_back(printable(cell));
    }
    cells.push_back(std::move(clean));
  }
  std::vector<size_t> widths(header.size(), 0);
  for (const auto& row : cells) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], display_width(row[i]));
    }
  }
  std::string out;
  for (const auto& row : cells) {
    std::string line;
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) {
        line.append(widths[i] - display_width(row[i]) + 2, ' ');
      }
    }
    out += line;
    out += '\n';
  }
  return out;
}

bool use_color(int fd) {
  if (isatty(fd) == 0) {
    return false;
  }
  const char* no_color
    = std::getenv("NO_COLOR"); // NOLINT(concurrency-mt-unsafe)
  if (no_color != nullptr && no_color[0] != '\0') {
    return false;
  }
  const char* term = std::getenv("TERM"); // NOLINT(concurrency-mt-unsafe)
  return term == nullptr || std::strcmp(term, "dumb") != 0;
}

void print_json(const nlohmann::json& doc) {
  print_json(doc, std::cout);
}

void print_json(const nlohmann::json& doc, std::ostream& out) {
  out << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
      << '\n';
}

std::string json_line(const nlohmann::json& doc) {
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
         + '\n';
}

void print_error(std::string_view message) {
  std::cerr << "orchestrator: " << message << '\n';
}

} // namespace tdd::cli
