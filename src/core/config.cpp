#include "core/config.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string_view>

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

/// A string that cannot be mistaken for another: plain when every character is safe (no space,
/// quote, comma, bracket, '=', '#' or control character), else quoted with escapes.
std::string canonical_string(const std::string& text) {
  constexpr std::string_view kSafe = "_.+-/:@%~^";
  const bool plain = !text.empty() && std::all_of(text.begin(), text.end(), [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           kSafe.find(c) != std::string_view::npos;
  });
  if (plain) return text;
  std::string quoted = "\"";
  for (const char c : text) {
    switch (c) {
      case '"': quoted += "\\\""; break;
      case '\\': quoted += "\\\\"; break;
      case '\n': quoted += "\\n"; break;
      case '\r': quoted += "\\r"; break;
      case '\t': quoted += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char escape[5];
          std::snprintf(escape, sizeof escape, "\\x%02x", static_cast<unsigned char>(c));
          quoted += escape;
        } else {
          quoted += c;
        }
    }
  }
  return quoted + "\"";
}

/// One validated scalar in canonical form (the value was checked when it was assigned).
std::string canonical_scalar(KeyType type, const std::string& text) {
  switch (type) {
    case KeyType::integer: return std::to_string(std::stoll(text));
    case KeyType::real: {
      // Shortest round-trip text: the same double always gives the same characters.
      char buffer[32];
      const auto end = std::to_chars(buffer, buffer + sizeof buffer, std::stod(text)).ptr;
      return std::string(buffer, end);
    }
    case KeyType::boolean: return text == "true" ? "true" : "false";
    default: return canonical_string(text);
  }
}

}  // namespace

Config::Config(const Config& other) : schema_(other.schema_), file_(other.file_), given_(other.given_) {
  for (const auto& [key, value] : other.values_) values_[key] = YAML::Clone(value);
}

Config& Config::operator=(const Config& other) {
  if (this != &other) *this = Config(other);
  return *this;
}

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
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& error) {
    throw IoError(name, "YAML syntax error at line " + std::to_string(error.mark.line + 1) +
                            ", column " + std::to_string(error.mark.column + 1) + ": " + error.msg);
  }
  return load_node(root, schema, name);
}

Config Config::load_node(const YAML::Node& root, const Schema& schema, const std::string& name,
                         const std::string& where) {
  Config config(schema, name);
  if (root.IsDefined() && !root.IsNull()) {
    if (!root.IsMap())
      throw ConfigError(name, where.ends_with('.') ? where.substr(0, where.size() - 1) : where, flow(root),
                        "a mapping of keys at the top level");
    config.read_mapping(root, "", where);
  }
  for (const auto& key : schema.keys())
    if (key.required && !config.values_.count(key.path))
      throw ConfigError(name, where + key.path, "", describe(key) + " (this key is required)");
  return config;
}

Config Config::defaults(const Schema& schema) { return load_string("", schema, "<defaults>"); }

void Config::read_mapping(const YAML::Node& mapping, const std::string& prefix, const std::string& where) {
  for (const auto& entry : mapping) {
    const std::string path = prefix + entry.first.as<std::string>();
    const YAML::Node& value = entry.second;
    if (const KeySpec* spec = schema_->find(path)) {
      assign(*spec, value, file_, where + path);
    } else if (schema_->is_section(path)) {
      if (!value.IsMap()) throw ConfigError(file_, where + path, flow(value), "a mapping (section '" + path + "')");
      read_mapping(value, path + ".", where);
    } else {
      const std::string suggestion = schema_->closest_key(path);
      throw ConfigError(file_, where + path, "",
                        "one of the known keys" +
                            (suggestion.empty() ? std::string(" (hesscov run --help lists them)")
                                                : "; did you mean '" + suggestion + "'?"));
    }
  }
}

void Config::assign(const KeySpec& spec, const YAML::Node& value, const std::string& source,
                    const std::string& location) {
  const std::string& key = location.empty() ? spec.path : location;
  if (!is_list(spec.type)) {
    const std::string expected = check_scalar(spec.type, value, spec);
    if (!expected.empty()) throw ConfigError(source, key, flow(value), expected);
  } else {
    if (!value.IsSequence()) throw ConfigError(source, key, flow(value), describe(spec));
    if (static_cast<std::int64_t>(value.size()) < spec.limits.min_length)
      throw ConfigError(source, key, flow(value),
                        describe(spec) + " of at least " + std::to_string(spec.limits.min_length) + " entries");
    for (std::size_t i = 0; i < value.size(); ++i) {
      const std::string expected = check_scalar(element_type(spec.type), value[i], spec);
      if (!expected.empty())
        throw ConfigError(source, key + "[" + std::to_string(i) + "]", flow(value[i]),
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

void Config::set_value(const std::string& key, const YAML::Node& value, const std::string& file,
                       const std::string& where) {
  const KeySpec* spec = schema_->find(key);
  if (spec == nullptr) {
    const std::string suggestion = schema_->closest_key(key);
    throw ConfigError(file, where.empty() ? key : where, "",
                      "one of the known keys" + (suggestion.empty() ? std::string() : "; did you mean '" + suggestion + "'?"));
  }
  assign(*spec, value, file, where);
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

std::string Config::canonical_text(const std::set<std::string>& excluded) const {
  std::vector<const KeySpec*> specs;
  for (const auto& key : schema_->keys())
    if (!excluded.count(key.path)) specs.push_back(&key);
  std::sort(specs.begin(), specs.end(), [](const KeySpec* a, const KeySpec* b) { return a->path < b->path; });
  std::string text;
  for (const KeySpec* spec : specs) {
    const auto found = values_.find(spec->path);
    HC_CHECK(found != values_.end(), Error, "config key '" + spec->path + "' has no value");
    std::string value;
    if (is_list(spec->type)) {
      value = "[";
      for (std::size_t i = 0; i < found->second.size(); ++i)
        value += (i ? "," : "") + canonical_scalar(element_type(spec->type), found->second[i].Scalar());
      value += "]";
    } else {
      value = canonical_scalar(spec->type, found->second.Scalar());
    }
    text += spec->path + "=" + value + "\n";
  }
  return text;
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
