#include "sweep/expansion.hpp"

#include <optional>
#include <set>

#include "sweep/run_id.hpp"

namespace hesscov::sweep {
namespace {

/// The values of point `index` of a product, in axis order: mixed radix, the last axis fastest.
std::vector<const SpecValue*> point_values(const SweepGrid& grid, std::size_t index) {
  std::vector<std::size_t> positions(grid.axes.size());
  for (std::size_t a = grid.axes.size(); a-- > 0;) {
    positions[a] = index % grid.axes[a].points.size();
    index /= grid.axes[a].points.size();
  }
  std::vector<const SpecValue*> values;
  for (std::size_t a = 0; a < grid.axes.size(); ++a)
    for (const SpecValue& value : grid.axes[a].points[positions[a]]) values.push_back(&value);
  return values;
}

/// Builds one run's config and appends the run unless its id was seen before.
void add_run(const SweepSpec& spec, const core::Schema& schema, const std::vector<const SpecValue*>& values,
             std::optional<std::int64_t> seed, std::set<std::string>& seen, std::vector<SweepRun>& runs) {
  core::Config config = spec.base_config(schema);
  std::vector<std::pair<std::string, std::string>> assignments;
  for (const SpecValue* value : values) {
    config.set_value(value->key, value->value, spec.path(), value->location);
    assignments.emplace_back(value->key, config.value_text(value->key));
  }
  if (seed) {
    config.set_value("seed", YAML::Node(*seed), spec.path(), "seeds");
    assignments.emplace_back("seed", config.value_text("seed"));
  }
  std::string text = run_canonical_text(config);
  std::string id = run_id_of_text(text);
  if (!seen.insert(id).second) return;
  runs.push_back({runs.size(), std::move(id), std::move(assignments), std::move(text), std::move(config)});
}

}  // namespace

std::size_t point_count(const SweepGrid& grid) {
  std::size_t count = 1;
  for (const SweepAxis& axis : grid.axes) count *= axis.points.size();
  return count;
}

std::vector<SweepRun> expand(const SweepSpec& spec, const core::Schema& schema) {
  std::vector<SweepRun> runs;
  std::set<std::string> seen;
  for (const SweepGrid& grid : spec.grids()) {
    const std::size_t points = point_count(grid);
    for (std::size_t index = 0; index < points; ++index) {
      const std::vector<const SpecValue*> values = point_values(grid, index);
      if (spec.seeds().empty()) {
        add_run(spec, schema, values, std::nullopt, seen, runs);
      } else {
        for (const std::int64_t seed : spec.seeds()) add_run(spec, schema, values, seed, seen, runs);
      }
    }
  }
  return runs;
}

}  // namespace hesscov::sweep
