#include "core/rng.hpp"

#include <cmath>
#include <numbers>

namespace hesscov::core {
namespace {

// SplitMix64's finaliser: a bijective 64-bit mixer with full avalanche, which is what a
// counter-based generator needs from its round function.
constexpr std::uint64_t mix(std::uint64_t z) noexcept {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

CounterRng::CounterRng(std::uint64_t seed, std::string_view stream) : key_(mix(seed)) {
  for (unsigned char c : stream) key_ = mix(key_ ^ c);  // FNV-like absorption, then mixed
}

std::uint64_t CounterRng::bits(std::uint64_t i) const noexcept { return mix(mix(key_ ^ mix(i)) + i); }

double CounterRng::uniform(std::uint64_t i) const noexcept {
  return static_cast<double>(bits(i) >> 11) * 0x1.0p-53;
}

double CounterRng::normal(std::uint64_t i) const noexcept {
  const double u1 = 1.0 - uniform(2 * i);  // in (0, 1]: log is finite
  const double u2 = uniform(2 * i + 1);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

}  // namespace hesscov::core
