#pragma once

#include <string>
#include <vector>

namespace tdd::core {

/// One problem with user input, located where the user can find it:
/// `tasks.yaml:12: unknown field "tittle"` or
/// `TDD_MAX_WORKERS: expected a positive integer, got "three"`.
struct diagnostic {
  std::string source; ///< a file path, an environment variable or a flag
  int line = 0;       ///< 1-based; 0 when the source has no lines
  std::string message;

  /// Renders `source:line: message`, or `source: message` without a line.
  std::string to_string() const;
};

using diagnostics = std::vector<diagnostic>;

} // namespace tdd::core
