#include "core/log.hpp"

#include <iostream>
#include <sstream>

namespace tdd::core {

namespace {

/// Quotes `x` so that a log line stays one line whatever bytes it holds.
void put_quoted(std::ostream& out, std::string_view x) {
  constexpr std::string_view hex = "0123456789abcdef";
  out << '"';
  for (const char c : x) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out << '\\' << c;
    } else if (byte < 0x20 || byte == 0x7f) {
      out << "\\x" << hex[byte >> 4] << hex[byte & 0xf];
    } else {
      out << c;
    }
  }
  out << '"';
}

} // namespace

void log_line(
  std::string_view level, std::string_view actor, uint64_t id,
  std::string_view event,
  std::initializer_list<std::pair<std::string_view, std::string>> fields) {
  std::ostringstream line;
  line << "level=" << level << " actor=" << actor << " id=" << id
       << " event=" << event;
  for (const auto& [key, value] : fields) {
    line << ' ' << key << '=';
    put_quoted(line, value);
  }
  line << '\n';
  std::cerr << line.str();
}

} // namespace tdd::core
