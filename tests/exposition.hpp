#pragma once

// Reading a Prometheus text exposition in tests.

#include <doctest/doctest.h>

#include <map>
#include <sstream>
#include <string>

namespace tdd::test {

/// Sample lines of an exposition: "name{labels}" -> value.
inline std::map<std::string, double> samples(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in{text};
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') {
      continue;
    }
    const auto space = line.rfind(' ');
    REQUIRE_MESSAGE(space != std::string::npos, line);
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

/// The value of sample `key`; fails the test when there is none.
inline double sample(const std::map<std::string, double>& s,
                     const std::string& key) {
  auto i = s.find(key);
  REQUIRE_MESSAGE(i != s.end(), "no sample " << key);
  return i->second;
}

} // namespace tdd::test
