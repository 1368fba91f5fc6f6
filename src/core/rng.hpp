#pragma once
// Counter-based random numbers: a draw is a pure function of (seed, stream name, counter), so it
// does not depend on the number of ranks, the backend or the order in which draws are made.
#include <cstdint>
#include <string_view>

namespace hesscov::core {

class CounterRng {
 public:
  /// The stream `stream` of root seed `seed` (e.g. stream "init/fc1.weight").
  CounterRng(std::uint64_t seed, std::string_view stream);
  /// 64 random bits for counter i.
  [[nodiscard]] std::uint64_t bits(std::uint64_t i) const noexcept;
  /// Uniform in [0, 1) with 53 random bits.
  [[nodiscard]] double uniform(std::uint64_t i) const noexcept;
  /// Uniform in [low, high).
  [[nodiscard]] double uniform(std::uint64_t i, double low, double high) const noexcept {
    return low + (high - low) * uniform(i);
  }
  /// Standard normal (Box-Muller on counters 2i and 2i+1).
  [[nodiscard]] double normal(std::uint64_t i) const noexcept;

 private:
  std::uint64_t key_;
};

}  // namespace hesscov::core
