#pragma once

// Shared by the fuzz targets and the regression tests that replay their
// inputs: a per-input check returns the first broken invariant, which a
// fuzz target turns into a crash and a test into a failed CHECK.

#include <string>
#include <string_view>

namespace tdd::fuzz {

/// The first invariant one input broke.
class findings {
public:
  /// Records `what` unless `holds` (or an earlier problem was recorded).
  void expect(bool holds, std::string_view what) {
    if (!holds && first_.empty()) {
      first_ = std::string{what};
    }
  }

  /// "" when every invariant held.
  const std::string& first() const { return first_; }

private:
  std::string first_;
};

/// True for a byte that one line of a message must not hold.
inline bool is_control(char ch) {
  return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7F;
}

} // namespace tdd::fuzz
