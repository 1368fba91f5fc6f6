#pragma once
// Internal to sweep_spec.cpp: reading the value-carrying parts of a spec (set, grid/grids with
// their axes and zips, seeds). Each value is checked by assigning it to a trial config (base +
// set + overrides), so it is validated exactly like a file value, with its location in errors.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "sweep/sweep_spec.hpp"

namespace hesscov::sweep::detail {

/// What every reader needs: the spec file (for errors), the schema, and the trial config that
/// values are checked against (modified as values are checked; not a run's config).
struct SpecContext {
  const std::string& file;
  const core::Schema& schema;
  core::Config& trial;
  bool seeds_given = false;  ///< the spec has `seeds`, so no other place may assign `seed`
};

/// One line of flow YAML for a node, as error messages quote values.
[[nodiscard]] std::string flow_text(const YAML::Node& node);

/// The integer a scalar node spells exactly ("4", "-2"), or nothing ("2.5", "x", a list).
[[nodiscard]] std::optional<std::int64_t> integer_of(const YAML::Node& node);

/// `set`: dotted config key -> value, in document order (null: none).
[[nodiscard]] std::vector<SpecValue> read_set(const YAML::Node& node, SpecContext& context);

/// One product. `where` is "grid" or "grids[i]" (null: a product with no axes).
[[nodiscard]] SweepGrid read_grid(const YAML::Node& node, const std::string& where, SpecContext& context);

/// `seeds`: a count n (1..n) or a list of distinct non-negative integers.
[[nodiscard]] std::vector<std::int64_t> read_seeds(const YAML::Node& node, SpecContext& context);

/// Every key the grids' axes assign, in order of first appearance.
[[nodiscard]] std::vector<std::string> axis_keys(const std::vector<SweepGrid>& grids);

}  // namespace hesscov::sweep::detail
