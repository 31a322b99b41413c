#pragma once

// The inputs a fuzz target keeps in the repository: its seed corpus
// (fuzz/corpus/<target>/) and the inputs that once broke it
// (tests/fuzz_regressions/<target>/). The regression tests replay them
// through the target's own check (fuzz/<target>_target.hpp) in every
// normal build, so a fixed parser bug stays fixed without clang.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace tdd::test {

/// (path relative to the source root, contents) of every file, sorted.
inline std::vector<std::pair<std::string, std::string>>
fuzz_inputs(const std::string& target) {
  namespace fs = std::filesystem;
  const fs::path root{TDD_SOURCE_DIR};
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto* dir : {"fuzz/corpus/", "tests/fuzz_regressions/"}) {
    const auto path = root / (dir + target);
    if (!fs::is_directory(path)) {
      continue;
    }
    for (const auto& entry : fs::directory_iterator{path}) {
      if (!entry.is_regular_file()) {
        continue;
      }
      std::ifstream in{entry.path(), std::ios::binary};
      std::ostringstream text;
      text << in.rdbuf();
      out.emplace_back(fs::relative(entry.path(), root).string(), text.str());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace tdd::test
