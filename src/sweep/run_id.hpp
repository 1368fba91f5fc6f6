#pragma once
// Run ids: a name for a run's result that is stable across processes, machines and rewrites of
// the spec file. The id hashes the canonical text of the resolved config (core::Config::
// canonical_text), so "0.1" vs "1e-1", "[784,50]" vs "[784, 50]" or the order keys were written
// in do not change it, while every value that can change the result does.
#include <array>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "core/config.hpp"

namespace hesscov::sweep {

/// Config keys left out of the id: they say where outputs go, what to resume from, or how much
/// memory a product may use (batching inside a product), never what the result is. Two configs
/// that differ only here are the same run.
inline constexpr std::array<std::string_view, 10> kRunIdExcludedKeys = {
    "train.output",   "train.resume",     "eig.output",    "eig.checkpoint",  "align.output",
    "align.checkpoints", "eig.batch_size", "align.batch_size", "align.chunk", "probe.batch_size"};

/// kRunIdExcludedKeys as the set core::Config::canonical_text takes.
[[nodiscard]] std::set<std::string> run_id_excluded_keys();

/// 64-bit FNV-1a of the bytes of `text` (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
[[nodiscard]] std::uint64_t fnv1a_64(std::string_view text) noexcept;

/// `value` as 16 lowercase hexadecimal digits, zero-padded.
[[nodiscard]] std::string hex16(std::uint64_t value);

/// The text a run id hashes: config.canonical_text(run_id_excluded_keys()). Callers store it
/// beside the id (archive provenance) so an id can be explained and checked later.
[[nodiscard]] std::string run_canonical_text(const core::Config& config);

/// The run's id: hex16(fnv1a_64(canonical_text)). Local, no I/O.
[[nodiscard]] std::string run_id_of_text(std::string_view canonical_text);

/// run_id_of_text(run_canonical_text(config)).
[[nodiscard]] std::string run_id(const core::Config& config);

}  // namespace hesscov::sweep
