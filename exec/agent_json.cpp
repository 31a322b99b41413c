#include "exec/agent_json.hpp"

#include <cstddef>

namespace tdd::exec {

namespace {

constexpr int max_depth = 64;

bool is_digit(char ch) {
  return ch >= '0' && ch <= '9';
}

int hex_value(char ch) {
  if (is_digit(ch)) {
    return ch - '0';
  }
  if (ch >= 'a' && ch <= 'f') {
    return ch - 'a' + 10;
  }
  if (ch >= 'A' && ch <= 'F') {
    return ch - 'A' + 10;
  }
  return -1;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Recursive descent over `text_`; every method leaves `pos_` after what it
// consumed and returns false on the first error.
class json_parser {
public:
  explicit json_parser(std::string_view text) : text_(text) {}

  std::optional<json_value> parse_document() {
    json_value out;
    skip_space();
    if (!parse_value(out, 0)) {
      return std::nullopt;
    }
    skip_space();
    if (pos_ != text_.size()) {
      return std::nullopt;
    }
    return out;
  }

private:
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }

  void skip_space() {
    while (!at_end()
           && (peek() == ' ' || peek() == '\t' || peek() == '\n'
               || peek() == '\r')) {
      ++pos_;
    }
  }

  bool consume(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) {
      return false;
    }
    pos_ += word.size();
    return true;
  }

  bool parse_value(json_value& out, int depth) {
    if (depth >= max_depth) {
      return false;
    }
    switch (peek()) {
    case '{':
      return parse_object(out, depth);
    case '[':
      return parse_array(out, depth);
    case '"':
      out.type = json_value::kind::string;
      return parse_string(out.text);
    case 't':
      out.type = json_value::kind::boolean;
      out.boolean = true;
      return consume("true");
    case 'f':
      out.type = json_value::kind::boolean;
      return consume("false");
    case 'n':
      return consume("null");
    default:
      return parse_number(out);
    }
  }

  bool parse_digits() {
    const auto start = pos_;
    while (is_digit(peek())) {
      ++pos_;
    }
    return pos_ > start;
  }

  bool parse_number(json_value& out) {
    const auto start = pos_;
    consume("-");
    if (!parse_digits()) {
      return false;
    }
    if (consume(".") && !parse_digits()) {
      return false;
    }
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      if (peek() == '+' || peek() == '-') {
        ++pos_;
      }
      if (!parse_digits()) {
        return false;
      }
    }
    out.type = json_value::kind::number;
    out.text = std::string{text_.substr(start, pos_ - start)};
    return true;
  }

  bool parse_hex4(uint32_t& cp) {
    if (pos_ + 4 > text_.size()) {
      return false;
    }
    cp = 0;
    for (int i = 0; i < 4; ++i) {
      const int v = hex_value(text_[pos_++]);
      if (v < 0) {
        return false;
      }
      cp = cp * 16 + static_cast<uint32_t>(v);
    }
    return true;
  }

  // After "\u": one code point, joining a surrogate pair when one follows.
  bool parse_unicode(std::string& out) {
    uint32_t cp = 0;
    if (!parse_hex4(cp)) {
      return false;
    }
    if (cp >= 0xD800 && cp <= 0xDBFF
        && text_.substr(pos_, 2) == std::string_view{"\\u"}) {
      const auto saved = pos_;
      pos_ += 2;
      uint32_t low = 0;
      if (parse_hex4(low) && low >= 0xDC00 && low <= 0xDFFF) {
        append_utf8(out, 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00));
        return true;
      }
      pos_ = saved;
    }
    append_utf8(out, cp >= 0xD800 && cp <= 0xDFFF ? 0xFFFD : cp);
    return true;
  }

  bool parse_escape(std::string& out) {
    const char ch = peek();
    ++pos_;
    switch (ch) {
    case '"':
    case '\\':
    case '/':
      out += ch;
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
      return parse_unicode(out);
    default:
      return false;
    }
  }

  bool parse_string(std::string& out) {
    ++pos_; // opening quote
    while (!at_end()) {
      const char ch = text_[pos_++];
      if (ch == '"') {
        return true;
      }
      if (ch != '\\') {
        out += ch; // raw bytes, control and non-UTF-8 ones too: be tolerant
        continue;
      }
      if (at_end() || !parse_escape(out)) {
        return false;
      }
    }
    return false;
  }

  bool parse_array(json_value& out, int depth) {
    ++pos_;
    out.type = json_value::kind::array;
    skip_space();
    if (consume("]")) {
      return true;
    }
    while (true) {
      skip_space();
      out.items.emplace_back();
      if (!parse_value(out.items.back(), depth + 1)) {
        return false;
      }
      skip_space();
      if (consume("]")) {
        return true;
      }
      if (!consume(",")) {
        return false;
      }
    }
  }

  bool parse_object(json_value& out, int depth) {
    ++pos_;
    out.type = json_value::kind::object;
    skip_space();
    if (consume("}")) {
      return true;
    }
    while (true) {
      skip_space();
      json_member member;
      if (peek() != '"' || !parse_string(member.key)) {
        return false;
      }
      skip_space();
      if (!consume(":")) {
        return false;
      }
      skip_space();
      if (!parse_value(member.value, depth + 1)) {
        return false;
      }
      out.members.push_back(std::move(member));
      skip_space();
      if (consume("}")) {
        return true;
      }
      if (!consume(",")) {
        return false;
      }
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

} // namespace

const json_value* json_value::find(std::string_view key) const {
  for (const auto& member : members) {
    if (member.key == key) {
      return &member.value;
    }
  }
  return nullptr;
}

std::optional<std::string> json_value::string_at(std::string_view key) const {
  const auto* value = find(key);
  if (value == nullptr || value->type != kind::string) {
    return std::nullopt;
  }
  return value->text;
}

std::optional<bool> json_value::bool_at(std::string_view key) const {
  const auto* value = find(key);
  if (value == nullptr || value->type != kind::boolean) {
    return std::nullopt;
  }
  return value->boolean;
}

std::optional<std::string> json_value::number_at(std::string_view key) const {
  const auto* value = find(key);
  if (value == nullptr
      || (value->type != kind::number && value->type != kind::string)) {
    return std::nullopt;
  }
  return value->text;
}

std::optional<json_value> parse_json(std::string_view text) {
  return json_parser{text}.parse_document();
}

} // namespace tdd::exec
