#include "core/suggest.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

namespace tdd::core {

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
      diagonal = above;
    }
  }
  return row[b.size()];
}

namespace {

std::string lower(std::string_view x) {
  std::string out(x);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(std::tolower(c));
  });
  return out;
}

} // namespace

std::vector<std::string>
close_matches(std::string_view word, const std::vector<std::string>& candidates,
              size_t max_distance, size_t limit) {
  const std::string needle = lower(word);
  std::vector<std::pair<size_t, std::string>> scored;
  for (const auto& candidate : candidates) {
    const std::string hay = lower(candidate);
    size_t distance = edit_distance(needle, hay);
    if (distance > max_distance && !needle.empty()
        && hay.find(needle) != std::string::npos) {
      distance = max_distance; // a substring is as good as a near miss
    }
    if (distance <= max_distance) {
      scored.emplace_back(distance, candidate);
    }
  }
  std::stable_sort(
    scored.begin(), scored.end(),
    [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<std::string> out;
  for (size_t i = 0; i < scored.size() && i < limit; ++i) {
    out.push_back(std::move(scored[i].second));
  }
  return out;
}

} // namespace tdd::core
