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
  /// The same for a YAML node already parsed (e.g. a section of another file, such as a sweep
  /// spec's inline base). Errors name `name` as the file and put `where` ("base.") before every
  /// key they name, so they point at the place the values were written.
  static Config load_node(const YAML::Node& root, const Schema& schema, const std::string& name,
                          const std::string& where = "");

  /// Copies are deep: yaml-cpp nodes share their data, so a shallow copy changed by an override
  /// would change the original too.
  Config(const Config& other);
  Config& operator=(const Config& other);
  Config(Config&&) noexcept = default;
  Config& operator=(Config&&) noexcept = default;
  ~Config() = default;

  /// Command-line override "key=value": value is parsed as YAML ("0.05", "[784, 10]") and
  /// validated like a file value; errors name "<command line>" as the file.
  void set_override(const std::string& assignment);
  void set_override(const std::string& key, const std::string& value);
  /// Sets `key` to an already parsed YAML value, validated like a file value (type, range,
  /// choices, list length). Errors name `file` as the file and `where` as the key (a list
  /// element appends "[i]"); an empty `where` names the key itself. Lets a caller that read the
  /// value elsewhere (a sweep spec's "grid.train.lr[1]") point at where it was written.
  void set_value(const std::string& key, const YAML::Node& value, const std::string& file,
                 const std::string& where = "");

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
  /// The schema the config was validated against (it must outlive the config).
  [[nodiscard]] const Schema& schema() const noexcept { return *schema_; }
  /// A ConfigError for a semantic check made after loading (e.g. a layer width that does not
  /// fit the data), carrying this config's file, the key and its current value.
  [[nodiscard]] ConfigError error(const std::string& key, const std::string& expected) const;
  /// The effective configuration (defaults filled in) as nested block YAML.
  [[nodiscard]] std::string to_yaml() const;
  /// The current value of `key` as one line of flow YAML.
  [[nodiscard]] std::string value_text(const std::string& key) const;
  /// A canonical text of the values: one "key=value\n" line per schema key not in `excluded`,
  /// sorted by key. Values are written by type, not as typed in the file, so equal values give
  /// equal text: integers in decimal; reals as the shortest text that reads back as the same
  /// double (std::to_chars; "0.1" and "1e-1" both give 0.1); booleans true/false; strings and
  /// choices as-is when made of [A-Za-z0-9_.+-/:@%~^] only, else double-quoted with \" \\ \n
  /// \r \t and \xHH escapes; lists as [a,b,...] of canonical elements, no spaces. Run ids hash
  /// it (sweep/run_id.hpp), so changing this format changes every id.
  [[nodiscard]] std::string canonical_text(const std::set<std::string>& excluded) const;

 private:
  Config(const Schema& schema, std::string file);
  void read_mapping(const YAML::Node& mapping, const std::string& prefix, const std::string& where = "");
  /// `location` names the value in errors (the key path itself when empty).
  void assign(const KeySpec& spec, const YAML::Node& value, const std::string& source,
              const std::string& location = "");
  [[nodiscard]] const YAML::Node& node(const std::string& key, KeyType type) const;

  const Schema* schema_;
  std::string file_;
  std::map<std::string, YAML::Node> values_;
  std::set<std::string> given_;
};

}  // namespace hesscov::core
