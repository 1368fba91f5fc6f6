#include "sweep/sweep_spec_values.hpp"

#include <algorithm>
#include <map>

namespace hesscov::sweep::detail {
namespace {

constexpr const char* kSeedsExpected = "a count n >= 1 (seeds 1..n) or a list of distinct non-negative integers";

/// The keys already assigned in one grid, with where, so a second assignment can point at the first.
using Claims = std::map<std::string, std::string>;

std::string key_text(const YAML::Node& key, const std::string& where, const std::string& file) {
  if (!key.IsScalar()) throw core::ConfigError(file, where, flow_text(key), "a dotted config key");
  return key.Scalar();
}

/// A key of set/grid/zip must be a full dotted key of the schema, never a section.
void check_key(const std::string& key, const std::string& location, const SpecContext& context) {
  if (context.schema.find(key) != nullptr) return;
  if (context.schema.is_section(key)) {
    const auto first = std::find_if(context.schema.keys().begin(), context.schema.keys().end(),
                                    [&](const core::KeySpec& spec) { return spec.path.starts_with(key + "."); });
    throw core::ConfigError(context.file, location, "",
                            "a dotted config key, not the section '" + key + "' (e.g. '" + first->path + "')");
  }
  const std::string suggestion = context.schema.closest_key(key);
  throw core::ConfigError(context.file, location, "",
                          "one of the known config keys" +
                              (suggestion.empty() ? std::string(" (hesscov run --help lists them)")
                                                  : "; did you mean '" + suggestion + "'?"));
}

void forbid_seed(const std::string& key, const std::string& location, const SpecContext& context) {
  if (context.seeds_given && key == "seed")
    throw core::ConfigError(context.file, location, "",
                            "no 'seed' here: the spec's seeds assign the seed of every run (drop one of the two)");
}

void claim(const std::string& key, const std::string& location, Claims& claims, const SpecContext& context) {
  forbid_seed(key, location, context);
  const auto [previous, inserted] = claims.emplace(key, location);
  if (!inserted)
    throw core::ConfigError(context.file, location, "",
                            "each key once per grid: '" + key + "' is already assigned at " + previous->second);
}

bool is_list_key(const core::KeySpec& spec) {
  return spec.type == core::KeyType::int_list || spec.type == core::KeyType::real_list ||
         spec.type == core::KeyType::string_list;
}

/// Checks one axis value against the schema and keeps it with its location.
SpecValue checked_value(const std::string& key, const YAML::Node& value, const std::string& location,
                        SpecContext& context) {
  const core::KeySpec& spec = *context.schema.find(key);
  // An axis of a list key is a list of lists; a flat list is the commonest mistake, so say so.
  if (is_list_key(spec) && !value.IsSequence())
    throw core::ConfigError(context.file, location, flow_text(value),
                            core::describe(spec) + " (each value of an axis of '" + key +
                                "' is itself a list, e.g. [[784, 50, 10], [784, 10]])");
  context.trial.set_value(key, value, context.file, location);
  return {key, YAML::Clone(value), location};
}

/// The values of one axis list, checked; `location` names the list ("grid.train.lr").
std::vector<SpecValue> axis_values(const std::string& key, const YAML::Node& list, const std::string& location,
                                   SpecContext& context) {
  if (!list.IsSequence())
    throw core::ConfigError(context.file, location, flow_text(list),
                            "a list of values, one run each ([v] for a single value, or put the key under set)");
  if (list.size() == 0) throw core::ConfigError(context.file, location, "[]", "a non-empty list of values");
  std::vector<SpecValue> values;
  for (std::size_t i = 0; i < list.size(); ++i)
    values.push_back(checked_value(key, list[i], location + "[" + std::to_string(i) + "]", context));
  return values;
}

/// One zip mapping: keys varying together, all lists equally long; one axis.
SweepAxis zip_axis(const YAML::Node& mapping, const std::string& location, Claims& claims, SpecContext& context) {
  const std::string expected = "a non-empty mapping of config keys to lists of equal length";
  if (!mapping.IsMap() || mapping.size() == 0)
    throw core::ConfigError(context.file, location, flow_text(mapping), expected);
  SweepAxis axis;
  std::string first_key;
  for (const auto& entry : mapping) {
    const std::string key = key_text(entry.first, location, context.file);
    const std::string key_location = location + "." + key;
    if (key == "zip") throw core::ConfigError(context.file, key_location, "", "a config key (zips do not nest)");
    check_key(key, key_location, context);
    claim(key, key_location, claims, context);
    std::vector<SpecValue> values = axis_values(key, entry.second, key_location, context);
    if (first_key.empty()) {
      first_key = key;
      axis.points.resize(values.size());
    } else if (values.size() != axis.points.size()) {
      throw core::ConfigError(context.file, key_location, flow_text(entry.second),
                              "a list of " + std::to_string(axis.points.size()) + " values, as long as '" +
                                  first_key + "' in the same zip mapping (it has " +
                                  std::to_string(values.size()) + ")");
    }
    for (std::size_t i = 0; i < values.size(); ++i) axis.points[i].push_back(std::move(values[i]));
  }
  return axis;
}

void read_zip(const YAML::Node& list, const std::string& location, Claims& claims, SpecContext& context,
              SweepGrid& grid) {
  if (!list.IsSequence() || list.size() == 0)
    throw core::ConfigError(context.file, location, flow_text(list),
                            "a non-empty list of mappings (each: config key -> list, all lists equally long)");
  for (std::size_t i = 0; i < list.size(); ++i)
    grid.axes.push_back(zip_axis(list[i], location + "[" + std::to_string(i) + "]", claims, context));
}

}  // namespace

std::string flow_text(const YAML::Node& node) {
  YAML::Emitter out;
  out << YAML::Flow << node;
  return out.c_str();
}

std::optional<std::int64_t> integer_of(const YAML::Node& node) {
  if (!node.IsScalar()) return std::nullopt;
  const std::string& text = node.Scalar();
  try {
    std::size_t used = 0;
    const long long value = std::stoll(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {  // not a number, or out of range
  }
  return std::nullopt;
}

std::vector<SpecValue> read_set(const YAML::Node& node, SpecContext& context) {
  if (!node.IsDefined() || node.IsNull()) return {};
  if (!node.IsMap())
    throw core::ConfigError(context.file, "set", flow_text(node),
                            "a mapping of dotted config keys to values (applied to every run)");
  std::vector<SpecValue> values;
  Claims claims;
  for (const auto& entry : node) {
    const std::string key = key_text(entry.first, "set", context.file);
    const std::string location = "set." + key;
    check_key(key, location, context);
    forbid_seed(key, location, context);
    if (!claims.emplace(key, location).second)
      throw core::ConfigError(context.file, location, "", "each key once in set");
    context.trial.set_value(key, entry.second, context.file, location);
    values.push_back({key, YAML::Clone(entry.second), location});
  }
  return values;
}

SweepGrid read_grid(const YAML::Node& node, const std::string& where, SpecContext& context) {
  if (!node.IsDefined() || node.IsNull()) return {};
  if (!node.IsMap())
    throw core::ConfigError(context.file, where, flow_text(node),
                            "a mapping of axes (dotted config key -> list of values, or zip -> list of mappings)");
  SweepGrid grid;
  Claims claims;
  for (const auto& entry : node) {
    const std::string key = key_text(entry.first, where, context.file);
    const std::string location = where + "." + key;
    if (key == "zip") {
      read_zip(entry.second, location, claims, context, grid);
      continue;
    }
    check_key(key, location, context);
    claim(key, location, claims, context);
    SweepAxis axis;
    for (SpecValue& value : axis_values(key, entry.second, location, context)) axis.points.push_back({std::move(value)});
    grid.axes.push_back(std::move(axis));
  }
  return grid;
}

std::vector<std::int64_t> read_seeds(const YAML::Node& node, SpecContext& context) {
  if (context.schema.find("seed") == nullptr)
    throw core::ConfigError(context.file, "seeds", flow_text(node), "no seeds: the schema has no key 'seed'");
  std::vector<std::int64_t> seeds;
  if (node.IsScalar()) {
    const auto count = integer_of(node);
    if (!count || *count < 1) throw core::ConfigError(context.file, "seeds", flow_text(node), kSeedsExpected);
    context.trial.set_value("seed", node, context.file, "seeds");  // the largest seed, n, within range
    for (std::int64_t seed = 1; seed <= *count; ++seed) seeds.push_back(seed);
    return seeds;
  }
  if (!node.IsSequence() || node.size() == 0)
    throw core::ConfigError(context.file, "seeds", flow_text(node), kSeedsExpected);
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string location = "seeds[" + std::to_string(i) + "]";
    const auto seed = integer_of(node[i]);
    if (!seed || *seed < 0) throw core::ConfigError(context.file, location, flow_text(node[i]), "a non-negative integer");
    const auto previous = std::find(seeds.begin(), seeds.end(), *seed);
    if (previous != seeds.end())
      throw core::ConfigError(context.file, location, flow_text(node[i]),
                              "distinct seeds: " + std::to_string(*seed) + " is already seeds[" +
                                  std::to_string(previous - seeds.begin()) + "]");
    context.trial.set_value("seed", node[i], context.file, location);
    seeds.push_back(*seed);
  }
  return seeds;
}

std::vector<std::string> axis_keys(const std::vector<SweepGrid>& grids) {
  std::vector<std::string> keys;
  for (const SweepGrid& grid : grids)
    for (const SweepAxis& axis : grid.axes)
      for (const SpecValue& value : axis.points.front())
        if (std::find(keys.begin(), keys.end(), value.key) == keys.end()) keys.push_back(value.key);
  return keys;
}

}  // namespace hesscov::sweep::detail
