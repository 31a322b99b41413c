#include "store/json_text.hpp"

#include "core/json_string.hpp"

#include <cstdint>

namespace tdd::store {

namespace {

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

/// A cursor over the input; every parse step returns false on bad input.
struct parser {
  std::string_view in;
  size_t pos = 0;

  void skip_space() {
    while (pos < in.size()
           && (in[pos] == ' ' || in[pos] == '\n' || in[pos] == '\r'
               || in[pos] == '\t')) {
      ++pos;
    }
  }

  bool consume(char c) {
    skip_space();
    if (pos < in.size() && in[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }

  bool hex4(uint32_t& cp) {
    if (pos + 4 > in.size()) {
      return false;
    }
    cp = 0;
    for (size_t i = 0; i < 4; ++i) {
      char c = in[pos++];
      cp <<= 4;
      if (c >= '0' && c <= '9') {
        cp |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        cp |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        cp |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return false;
      }
    }
    return true;
  }

  bool unicode_escape(std::string& out) {
    uint32_t cp = 0;
    if (!hex4(cp)) {
      return false;
    }
    bool is_high = cp >= 0xd800 && cp <= 0xdbff;
    if (is_high && in.substr(pos, 2) == "\\u") {
      pos += 2;
      uint32_t low = 0;
      if (!hex4(low) || low < 0xdc00 || low > 0xdfff) {
        return false;
      }
      cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
    }
    append_utf8(out, cp);
    return true;
  }

  bool escape(std::string& out) {
    if (pos >= in.size()) {
      return false;
    }
    switch (char c = in[pos++]) {
    case '"':
    case '\\':
    case '/':
      out += c;
      return true;
    case 'b':
      out += '\b';
      return true;
    case 'f':
      out += '\f';
      return true;
    case 'n':
      out += '\n';
      return true;
    case 'r':
      out += '\r';
      return true;
    case 't':
      out += '\t';
      return true;
    case 'u':
      return unicode_escape(out);
    default:
      return false;
    }
  }

  bool string(std::string& out) {
    if (!consume('"')) {
      return false;
    }
    while (pos < in.size()) {
      char c = in[pos++];
      if (c == '"') {
        return true;
      }
      if (c != '\\') {
        out += c;
      } else if (!escape(out)) {
        return false;
      }
    }
    return false;
  }
};

} // namespace

std::string to_json_array(const std::vector<std::string>& xs) {
  std::string out = "[";
  for (const auto& x : xs) {
    if (out.size() > 1) {
      out += ',';
    }
    core::append_json_string(out, x);
  }
  out += ']';
  return out;
}

std::optional<std::vector<std::string>> parse_json_array(std::string_view x) {
  parser p{x};
  std::vector<std::string> result;
  if (!p.consume('[')) {
    return std::nullopt;
  }
  if (!p.consume(']')) {
    do {
      if (!p.string(result.emplace_back())) {
        return std::nullopt;
      }
    } while (p.consume(','));
    if (!p.consume(']')) {
      return std::nullopt;
    }
  }
  p.skip_space();
  if (p.pos != x.size()) {
    return std::nullopt;
  }
  return result;
}

} // namespace tdd::store
