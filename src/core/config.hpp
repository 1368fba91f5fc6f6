#pragma once
// A validated configuration: every key of the schema with its value (from the file, a command-line
// override, or the default). Unknown keys, wrong types and out-of-range values are rejected when
// the config is built, with a ConfigError naming the file, the key, the value and what was expected.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/schema.hpp"

namespace hesscov::core {

class Config {
 public:
  /// Parses and validates a YAML file. A missing/unreadable file or a YAML syntax error is an
  /// IoError naming the file (with line and column); everything else a ConfigError.
  static Config load_file(const std::string& path, const Schema& schema);
  /// The same for YAML text; `name` stands for the file in messages.
  static Config load_string(const std::string& text, const Schema& schema,
                            const std::string& name = "<string>");
  /// Every key at its default (a schema with required keys gives a ConfigError).
  static Config defaults(const Schema& schema);

  /// Command-line override "key=value": value is parsed as YAML ("0.05", "[784, 10]") and
  /// validated like a file value; errors name "<command line>" as the file.
  void set_override(const std::string& assignment);
  void set_override(const std::string& key, const std::string& value);

  [[nodiscard]] std::int64_t get_int(const std::string& key) const;
  [[nodiscard]] double get_double(const std::string& key) const;
  [[nodiscard]] bool get_bool(const std::string& key) const;
  /// For string and choice keys.
  [[nodiscard]] std::string get_string(const std::string& key) const;
  [[nodiscard]] std::vector<std::int64_t> get_int_list(const std::string& key) const;
  [[nodiscard]] std::vector<double> get_double_list(const std::string& key) const;
  [[nodiscard]] std::vector<std::string> get_string_list(const std::string& key) const;

  /// True when the key was given in the file or an override (not defaulted).
  [[nodiscard]] bool is_set(const std::string& key) const { return given_.count(key) > 0; }
  [[nodiscard]] const std::string& file() const noexcept { return file_; }
  /// A ConfigError for a semantic check made after loading (e.g. a layer width that does not
  /// fit the data), carrying this config's file, the key and its current value.
  [[nodiscard]] ConfigError error(const std::string& key, const std::string& expected) const;
  /// The effective configuration (defaults filled in) as nested block YAML.
  [[nodiscard]] std::string to_yaml() const;
  /// The current value of `key` as one line of flow YAML.
  [[nodiscard]] std::string value_text(const std::string& key) const;

 private:
  Config(const Schema& schema, std::string file);
  void read_mapping(const YAML::Node& mapping, const std::string& prefix);
  void assign(const KeySpec& spec, const YAML::Node& value, const std::string& source);
  [[nodiscard]] const YAML::Node& node(const std::string& key, KeyType type) const;

  const Schema* schema_;
  std::string file_;
  std::map<std::string, YAML::Node> values_;
  std::set<std::string> given_;
};

}  // namespace hesscov::core
