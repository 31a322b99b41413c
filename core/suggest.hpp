#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tdd::core {

/// Levenshtein distance between two byte strings.
size_t edit_distance(std::string_view a, std::string_view b);

/// The candidates closest to `word` (distance at most `max_distance`, or
/// candidates that contain `word` case-insensitively), best first, at most
/// `limit` of them. For "did you mean" hints.
std::vector<std::string>
close_matches(std::string_view word, const std::vector<std::string>& candidates,
              size_t max_distance = 2, size_t limit = 3);

} // namespace tdd::core
