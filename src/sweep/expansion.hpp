#pragma once
// Expanding a validated sweep spec into its runs: for each grid in order, the cartesian product
// of its axes (document order, the first axis slowest, a zip mapping one axis), then the seeds
// innermost. A config reached twice (same run id, e.g. the shared point of two grids of a union)
// is one run, at its first position.
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "core/config.hpp"
#include "sweep/sweep_spec.hpp"

namespace hesscov::sweep {

/// One run of a sweep.
struct SweepRun {
  std::size_t number = 0;  ///< position in expand()'s list, 0-based, after removing repeats
  std::string id;          ///< 16 hex digits, run_id(config) (sweep/run_id.hpp)
  /// What this run assigns on top of base + set + overrides: key -> value as one line of flow
  /// YAML, in axis order, "seed" last when the spec gives seeds.
  std::vector<std::pair<std::string, std::string>> assignments;
  std::string canonical_text;  ///< the text the id hashes (run_canonical_text), for the archive
  core::Config config;         ///< resolved and validated; points at expand()'s schema
};

/// Every run of `spec`, in order. `schema` must be the one the spec was loaded with; each run's
/// config keeps a pointer to it, so it must outlive the returned runs. Values were checked by
/// load_sweep_spec; any error here is a ConfigError naming the spec and the value's location.
/// Local, no I/O.
[[nodiscard]] std::vector<SweepRun> expand(const SweepSpec& spec, const core::Schema& schema);

/// The number of points of one product (the product of its axes' lengths; 1 with no axes),
/// before seeds and before removing repeats.
[[nodiscard]] std::size_t point_count(const SweepGrid& grid);

}  // namespace hesscov::sweep
