#include "sweep/sweep_spec.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "sweep/sweep_spec_values.hpp"

namespace hesscov::sweep {
namespace {

namespace fs = std::filesystem;
using detail::flow_text;

const std::vector<std::string> kTopLevelKeys = {"description", "base", "set",    "grid",
                                                "grids",       "seeds", "output", "group_size"};
constexpr const char* kBaseExpected =
    "the base job config: a path relative to this spec's folder, or a mapping of config keys";

std::string read_text(const std::string& path, const std::string& what) {
  if (fs::is_directory(path)) throw core::IoError(path, "is a folder, not " + what);
  std::ifstream in(path);
  if (!in) throw core::IoError(path, "cannot open " + what);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

YAML::Node parse_yaml(const std::string& text, const std::string& file) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& error) {
    throw core::IoError(file, "YAML syntax error at line " + std::to_string(error.mark.line + 1) + ", column " +
                                  std::to_string(error.mark.column + 1) + ": " + error.msg);
  }
}

/// The top level must be a mapping of known keys, each once; misspellings get a suggestion.
void check_top_level(const YAML::Node& root, const std::string& file) {
  if (!root.IsMap())
    throw core::ConfigError(file, "", flow_text(root),
                            "a mapping of sweep keys (base, set, grid or grids, seeds, output, group_size, description)");
  core::Schema known;  // only for Schema::closest_key's suggestion
  std::string listing;
  for (const auto& key : kTopLevelKeys) {
    known.add_string(key, "", "");
    listing += (listing.empty() ? "" : ", ") + key;
  }
  std::set<std::string> seen;
  for (const auto& entry : root) {
    const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : flow_text(entry.first);
    if (known.find(key) == nullptr) {
      const std::string suggestion = known.closest_key(key);
      throw core::ConfigError(file, key, "",
                              "one of " + listing + (suggestion.empty() ? "" : "; did you mean '" + suggestion + "'?"));
    }
    if (!seen.insert(key).second) throw core::ConfigError(file, key, "", "each top-level key once");
  }
}

/// Resolves `base` (a file relative to the spec's folder, or an inline mapping) into the spec.
void read_base(const YAML::Node& node, const std::string& file, YAML::Node& base, std::string& base_file,
               std::string& base_text, std::string& where) {
  if (!node.IsDefined() || node.IsNull() || (node.IsScalar() && node.Scalar().empty()))
    throw core::ConfigError(file, "base", "", kBaseExpected);
  if (node.IsMap()) {
    base = YAML::Clone(node);
    base_file = file;
    where = "base.";
    YAML::Emitter out;
    out << base;
    base_text = out.c_str();
    return;
  }
  if (!node.IsScalar()) throw core::ConfigError(file, "base", flow_text(node), kBaseExpected);
  base_file = (fs::path(file).parent_path() / node.Scalar()).string();
  base_text = read_text(base_file, "the base config (base in " + file + ")");
  base = parse_yaml(base_text, base_file);
  where.clear();
}

std::string read_output(const YAML::Node& node, const std::string& file) {
  const std::string expected = "the sweep's folder (a non-empty path, relative to the working directory)";
  if (!node.IsDefined() || node.IsNull()) throw core::ConfigError(file, "output", "", expected);
  if (!node.IsScalar() || node.Scalar().empty()) throw core::ConfigError(file, "output", flow_text(node), expected);
  return node.Scalar();
}

/// Creates the folder and a probe file in it, so an unwritable output fails now, not after hours.
void probe_output(const std::string& output, const std::string& file) {
  const std::string where = " (output in " + file + ")";
  std::error_code error;
  fs::create_directories(output, error);
  if (error) throw core::IoError(output, "cannot create the sweep's folder" + where + ": " + error.message());
  if (!fs::is_directory(output)) throw core::IoError(output, "exists and is not a folder" + where);
  // The pid keeps ranks that load the spec at the same moment from removing each other's probe.
  const fs::path probe = fs::path(output) / (".hesscov-write-probe-" + std::to_string(::getpid()));
  std::FILE* handle = std::fopen(probe.c_str(), "w");
  if (handle == nullptr)
    throw core::IoError(output, "cannot write in the sweep's folder" + where + ": " + std::strerror(errno));
  const bool written = std::fputs("probe\n", handle) >= 0;
  const bool closed = std::fclose(handle) == 0;
  fs::remove(probe, error);
  if (!written || !closed || error)
    throw core::IoError(output, "cannot write in the sweep's folder" + where +
                                    (error ? ": " + error.message() : std::string()));
}

std::int64_t read_group_size(const YAML::Node& node, const std::string& file) {
  if (!node.IsDefined()) return 1;
  const auto size = detail::integer_of(node);
  if (!size || *size < 1)
    throw core::ConfigError(file, "group_size", flow_text(node), "an integer >= 1 (MPI ranks per run)");
  return *size;
}

std::vector<SweepGrid> read_grids(const YAML::Node& root, detail::SpecContext& context) {
  const YAML::Node grid = root["grid"], grids = root["grids"];
  if (grid.IsDefined() && grids.IsDefined())
    throw core::ConfigError(context.file, "grids", "",
                            "either grid (one product) or grids (a union of products), not both");
  if (!grids.IsDefined()) return {detail::read_grid(grid, "grid", context)};
  if (!grids.IsSequence() || grids.size() == 0)
    throw core::ConfigError(context.file, "grids", flow_text(grids), "a non-empty list of grids (each a mapping of axes)");
  std::vector<SweepGrid> products;
  for (std::size_t i = 0; i < grids.size(); ++i)
    products.push_back(detail::read_grid(grids[i], "grids[" + std::to_string(i) + "]", context));
  return products;
}

}  // namespace

core::Config SweepSpec::base_config(const core::Schema& schema) const {
  core::Config config = core::Config::load_node(base_, schema, base_file_, base_where_);
  for (const SpecValue& value : set_) config.set_value(value.key, value.value, path_, value.location);
  for (const std::string& assignment : overrides_) config.set_override(assignment);
  return config;
}

SweepSpec load_sweep_spec(const std::string& path, const core::Schema& schema,
                          const std::vector<std::string>& overrides) {
  SweepSpec spec;
  spec.path_ = path;
  spec.text_ = read_text(path, "the sweep spec");
  YAML::Node parsed = parse_yaml(spec.text_, path);
  if (!parsed.IsDefined() || parsed.IsNull()) parsed = YAML::Node(YAML::NodeType::Map);
  const YAML::Node& root = parsed;  // const: a lookup of an absent key must not insert it
  check_top_level(root, path);
  if (const YAML::Node text = root["description"]; text.IsDefined() && !text.IsNull()) {
    if (!text.IsScalar()) throw core::ConfigError(path, "description", flow_text(text), "free text (a string)");
    spec.description_ = text.Scalar();
  }
  read_base(root["base"], path, spec.base_, spec.base_file_, spec.base_text_, spec.base_where_);
  core::Config trial = core::Config::load_node(spec.base_, schema, spec.base_file_, spec.base_where_);
  detail::SpecContext context{path, schema, trial, root["seeds"].IsDefined()};
  spec.set_ = detail::read_set(root["set"], context);
  for (const std::string& assignment : overrides) {
    const auto equals = assignment.find('=');
    if (context.seeds_given && equals != std::string::npos && assignment.substr(0, equals) == "seed")
      throw core::ConfigError("<command line>", "seed", assignment.substr(equals + 1),
                              "no seed override: the seeds of " + path + " assign the seed of every run");
    trial.set_override(assignment);
  }
  spec.overrides_ = overrides;
  spec.grids_ = read_grids(root, context);
  if (context.seeds_given) spec.seeds_ = detail::read_seeds(root["seeds"], context);
  spec.varied_keys_ = detail::axis_keys(spec.grids_);
  if (context.seeds_given) spec.varied_keys_.push_back("seed");
  spec.group_size_ = read_group_size(root["group_size"], path);
  spec.output_ = read_output(root["output"], path);
  probe_output(spec.output_, path);
  return spec;
}

}  // namespace hesscov::sweep
