#pragma once

// What every property test under tests/core/ shares: the seeds it runs and
// a random generator whose draws replay the same from the same seed on any
// standard library.

#include <cstdint>
#include <random>
#include <type_traits>
#include <utility>
#include <vector>

namespace tdd::test::property {

inline constexpr uint64_t first_seed = 1;
inline constexpr uint64_t seed_count = 200;

/// Draws straight from mt19937_64, whose output the standard fixes (the
/// distributions' is not), so that a seed replays the same on any library.
class generator {
public:
  explicit generator(uint64_t seed) : rng_(seed) {}

  /// Uniform enough in [lo, hi], in the wider of the two types.
  template <class Lo, class Hi>
  std::common_type_t<Lo, Hi> between(Lo lo, Hi hi) {
    static_assert(std::is_integral_v<Lo> && std::is_integral_v<Hi>);
    using out = std::common_type_t<Lo, Hi>;
    return lo + static_cast<out>(rng_() % static_cast<uint64_t>(hi - lo + 1));
  }

  bool chance(int percent) { return between(1, 100) <= percent; }

  template <class T> void shuffle(std::vector<T>& xs) {
    for (size_t i = xs.size(); i > 1; --i) {
      std::swap(xs[i - 1], xs[static_cast<size_t>(between(0, int(i) - 1))]);
    }
  }

private:
  std::mt19937_64 rng_;
};

} // namespace tdd::test::property
