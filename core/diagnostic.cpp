#include "core/diagnostic.hpp"

namespace tdd::core {

std::string diagnostic::to_string() const {
  std::string out = source;
  if (line > 0) {
    out += ':';
    out += std::to_string(line);
  }
  if (!out.empty()) {
    out += ": ";
  }
  out += message;
  return out;
}

} // namespace tdd::core
