#include "sweep/run_id.hpp"

namespace hesscov::sweep {

std::set<std::string> run_id_excluded_keys() {
  return {kRunIdExcludedKeys.begin(), kRunIdExcludedKeys.end()};
}

std::uint64_t fnv1a_64(std::string_view text) noexcept {
  constexpr std::uint64_t kOffsetBasis = 0xcbf29ce484222325ULL;
  constexpr std::uint64_t kPrime = 0x100000001b3ULL;
  std::uint64_t hash = kOffsetBasis;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);  // bytes, not chars: the same on every platform
    hash *= kPrime;
  }
  return hash;
}

std::string hex16(std::uint64_t value) {
  constexpr char kDigits[] = "0123456789abcdef";
  std::string text(16, '0');
  for (int i = 15; i >= 0; --i, value >>= 4) text[static_cast<std::size_t>(i)] = kDigits[value & 0xF];
  return text;
}

std::string run_canonical_text(const core::Config& config) { return config.canonical_text(run_id_excluded_keys()); }

std::string run_id_of_text(std::string_view canonical_text) { return hex16(fnv1a_64(canonical_text)); }

std::string run_id(const core::Config& config) { return run_id_of_text(run_canonical_text(config)); }

}  // namespace hesscov::sweep
