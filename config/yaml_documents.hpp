#pragma once

// The documents of a YAML stream, counted without building them. yaml-cpp
// 0.7's LoadAll loops forever, allocating, when a document consumes nothing
// (a stray "," at the top level: jbeder/yaml-cpp#1040; upstream stops on no
// progress since 2024), so the documents are counted first, stopping there.

#include <yaml-cpp/mark.h>

#include <cstddef>
#include <optional>
#include <string>

namespace tdd::config {

struct yaml_documents {
  size_t count = 0;
  std::optional<YAML::Mark> second_root; ///< where document 2's value starts
  std::optional<YAML::Mark> stuck;       ///< where a document read nothing
};

/// Counts the documents of `text`, stopping at one that reads nothing;
/// throws YAML::Exception where LoadAll would.
yaml_documents count_yaml_documents(const std::string& text);

/// Why reading stopped at `mark`: in practice a "," outside a flow
/// collection, the one token yaml-cpp 0.7 neither reads nor rejects there.
std::string stuck_message(const std::string& text, const YAML::Mark& mark);

} // namespace tdd::config
