#include "core/config.hpp"

#include <cmath>
#include <fstream>
#include <sstream>

namespace hesscov::core {
namespace {

constexpr const char* kCommandLine = "<command line>";

std::string flow(const YAML::Node& node) {
  YAML::Emitter out;
  out << YAML::Flow << node;
  return out.c_str();
}

std::string limit_text(const Limits& limits) {
  std::string text;
  if (limits.min) text += std::string(limits.min_exclusive ? " > " : " >= ") + flow(YAML::Node(*limits.min));
  if (limits.max) text += std::string(text.empty() ? "" : " and") + (limits.max_exclusive ? " < " : " <= ") + flow(YAML::Node(*limits.max));
  return text;
}

bool within(double value, const Limits& limits) {
  if (limits.min && (limits.min_exclusive ? value <= *limits.min : value < *limits.min)) return false;
  if (limits.max && (limits.max_exclusive ? value >= *limits.max : value > *limits.max)) return false;
  return true;
}

/// Checks one scalar against a scalar type; returns "" when valid, else what was expected.
std::string check_scalar(KeyType type, const YAML::Node& value, const KeySpec& spec) {
  if (!value.IsScalar()) return describe(spec);
  const std::string& text = value.Scalar();
  try {
    switch (type) {
      case KeyType::integer: {
        std::size_t used = 0;
        const long long parsed = std::stoll(text, &used);
        if (used != text.size()) return describe(spec);
        return within(static_cast<double>(parsed), spec.limits) ? "" : "an integer" + limit_text(spec.limits);
      }
      case KeyType::real: {
        std::size_t used = 0;
        const double parsed = std::stod(text, &used);
        if (used != text.size() || !std::isfinite(parsed)) return "a finite number";
        return within(parsed, spec.limits) ? "" : "a number" + limit_text(spec.limits);
      }
      case KeyType::boolean: return text == "true" || text == "false" ? "" : describe(spec);
      case KeyType::string: return "";
      case KeyType::choice:
        for (const auto& choice : spec.choices)
          if (choice == text) return "";
        return describe(spec);
      default: return describe(spec);
    }
  } catch (const std::exception&) {  // stoll/stod: not a number, or out of range
    return describe(spec);
  }
}

KeyType element_type(KeyType list) {
  switch (list) {
    case KeyType::int_list: return KeyType::integer;
    case KeyType::real_list: return KeyType::real;
    default: return KeyType::string;
  }
}

bool is_list(KeyType type) {
  return type == KeyType::int_list || type == KeyType::real_list || type == KeyType::string_list;
}

}  // namespace

Config::Config(const Schema& schema, std::string file) : schema_(&schema), file_(std::move(file)) {
  for (const auto& key : schema.keys())
    if (!key.required) values_[key.path] = YAML::Clone(key.default_value);
}

Config Config::load_file(const std::string& path, const Schema& schema) {
  std::ifstream in(path);
  if (!in) throw IoError(path, "cannot open the config file");
  std::stringstream text;
  text << in.rdbuf();
  return load_string(text.str(), schema, path);
}

Config Config::load_string(const std::string& text, const Schema& schema, const std::string& name) {
  Config config(schema, name);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& error) {
    throw IoError(name, "YAML syntax error at line " + std::to_string(error.mark.line + 1) +
                            ", column " + std::to_string(error.mark.column + 1) + ": " + error.msg);
  }
  if (root.IsDefined() && !root.IsNull()) {
    if (!root.IsMap()) throw ConfigError(name, "", flow(root), "a mapping of keys at the top level");
    config.read_mapping(root, "");
  }
  for (const auto& key : schema.keys())
    if (key.required && !config.values_.count(key.path))
      throw ConfigError(name, key.path, "", describe(key) + " (this key is required)");
  return config;
}

Config Config::defaults(const Schema& schema) { return load_string("", schema, "<defaults>"); }

void Config::read_mapping(const YAML::Node& mapping, const std::string& prefix) {
  for (const auto& entry : mapping) {
    const std::string path = prefix + entry.first.as<std::string>();
    const YAML::Node& value = entry.second;
    if (const KeySpec* spec = schema_->find(path)) {
      assign(*spec, value, file_);
    } else if (schema_->is_section(path)) {
      if (!value.IsMap()) throw ConfigError(file_, path, flow(value), "a mapping (section '" + path + "')");
      read_mapping(value, path + ".");
    } else {
      const std::string suggestion = schema_->closest_key(path);
      throw ConfigError(file_, path, "",
                        "one of the known keys" +
                            (suggestion.empty() ? std::string(" (hesscov run --help lists them)")
                                                : "; did you mean '" + suggestion + "'?"));
    }
  }
}

void Config::assign(const KeySpec& spec, const YAML::Node& value, const std::string& source) {
  if (!is_list(spec.type)) {
    const std::string expected = check_scalar(spec.type, value, spec);
    if (!expected.empty()) throw ConfigError(source, spec.path, flow(value), expected);
  } else {
    if (!value.IsSequence()) throw ConfigError(source, spec.path, flow(value), describe(spec));
    if (static_cast<std::int64_t>(value.size()) < spec.limits.min_length)
      throw ConfigError(source, spec.path, flow(value),
                        describe(spec) + " of at least " + std::to_string(spec.limits.min_length) + " entries");
    for (std::size_t i = 0; i < value.size(); ++i) {
      const std::string expected = check_scalar(element_type(spec.type), value[i], spec);
      if (!expected.empty())
        throw ConfigError(source, spec.path + "[" + std::to_string(i) + "]", flow(value[i]),
                          expected == describe(spec) ? "an element of " + describe(spec) : expected);
    }
  }
  values_[spec.path] = YAML::Clone(value);
  given_.insert(spec.path);
}

void Config::set_override(const std::string& assignment) {
  const auto equals = assignment.find('=');
  if (equals == std::string::npos || equals == 0)
    throw ConfigError(kCommandLine, assignment, "", "an override of the form key=value");
  set_override(assignment.substr(0, equals), assignment.substr(equals + 1));
}

void Config::set_override(const std::string& key, const std::string& value) {
  const KeySpec* spec = schema_->find(key);
  if (spec == nullptr) {
    const std::string suggestion = schema_->closest_key(key);
    throw ConfigError(kCommandLine, key, value,
                      "one of the known keys" + (suggestion.empty() ? std::string() : "; did you mean '" + suggestion + "'?"));
  }
  YAML::Node parsed;
  try {
    parsed = YAML::Load(value);
  } catch (const YAML::Exception&) {
    throw ConfigError(kCommandLine, key, value, describe(*spec));
  }
  if (!parsed.IsDefined() || parsed.IsNull()) parsed = YAML::Node(value);
  assign(*spec, parsed, kCommandLine);
}

const YAML::Node& Config::node(const std::string& key, KeyType type) const {
  const KeySpec* spec = schema_->find(key);
  HC_CHECK(spec != nullptr, Error, "config key '" + key + "' is not declared in the schema");
  const bool compatible = spec->type == type || (type == KeyType::string && spec->type == KeyType::choice);
  HC_CHECK(compatible, Error, "config key '" + key + "' is " + describe(*spec) + ", read with the wrong getter");
  const auto found = values_.find(key);
  HC_CHECK(found != values_.end(), Error, "config key '" + key + "' has no value");
  return found->second;
}

std::int64_t Config::get_int(const std::string& key) const {
  return std::stoll(node(key, KeyType::integer).Scalar());
}
double Config::get_double(const std::string& key) const {
  return std::stod(node(key, KeyType::real).Scalar());
}
bool Config::get_bool(const std::string& key) const { return node(key, KeyType::boolean).Scalar() == "true"; }
std::string Config::get_string(const std::string& key) const { return node(key, KeyType::string).Scalar(); }

std::vector<std::int64_t> Config::get_int_list(const std::string& key) const {
  std::vector<std::int64_t> values;
  for (const auto& item : node(key, KeyType::int_list)) values.push_back(std::stoll(item.Scalar()));
  return values;
}
std::vector<double> Config::get_double_list(const std::string& key) const {
  std::vector<double> values;
  for (const auto& item : node(key, KeyType::real_list)) values.push_back(std::stod(item.Scalar()));
  return values;
}
std::vector<std::string> Config::get_string_list(const std::string& key) const {
  std::vector<std::string> values;
  for (const auto& item : node(key, KeyType::string_list)) values.push_back(item.Scalar());
  return values;
}

std::string Config::value_text(const std::string& key) const {
  const auto found = values_.find(key);
  return found == values_.end() ? "" : flow(found->second);
}

ConfigError Config::error(const std::string& key, const std::string& expected) const {
  return ConfigError(given_.count(key) || file_ == "<defaults>" ? file_ : file_ + " (default value)", key,
                     value_text(key), expected);
}

std::string Config::to_yaml() const {
  YAML::Node root(YAML::NodeType::Map);
  for (const auto& [path, value] : values_) {
    YAML::Node section = root;
    std::string rest = path;
    for (auto dot = rest.find('.'); dot != std::string::npos; dot = rest.find('.')) {
      const std::string name = rest.substr(0, dot);
      if (!section[name]) section[name] = YAML::Node(YAML::NodeType::Map);
      section.reset(section[name]);
      rest = rest.substr(dot + 1);
    }
    section[rest] = value;
  }
  YAML::Emitter out;
  out << root;
  return out.c_str();
}

}  // namespace hesscov::core
