#pragma once
// The options database of a run (PETSc's model): every layer declares its config keys with type,
// default, limits and help; a Config is validated against the schema before any work starts.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hesscov::core {

enum class KeyType { integer, real, boolean, string, choice, int_list, real_list, string_list };

/// Bounds on a number or on every element of a numeric list, and on a list's length.
struct Limits {
  std::optional<double> min, max;
  bool min_exclusive = false, max_exclusive = false;
  std::int64_t min_length = 0;
};

/// One key: dotted path ("model.mlp"), type, default (absent when required), help, limits.
struct KeySpec {
  std::string path;
  KeyType type = KeyType::string;
  YAML::Node default_value;  ///< null when the key is required
  bool required = false;
  std::string help;
  Limits limits;
  std::vector<std::string> choices;  ///< for KeyType::choice
};

/// "int", "double", "bool", "string", "one of a|b", "list of int", ...
std::string describe(const KeySpec& spec);

class Schema {
 public:
  void add_int(const std::string& path, std::int64_t fallback, const std::string& help, Limits limits = {});
  void add_double(const std::string& path, double fallback, const std::string& help, Limits limits = {});
  void add_bool(const std::string& path, bool fallback, const std::string& help);
  void add_string(const std::string& path, const std::string& fallback, const std::string& help);
  void add_required_string(const std::string& path, const std::string& help);
  void add_choice(const std::string& path, const std::string& fallback,
                  const std::vector<std::string>& choices, const std::string& help);
  void add_int_list(const std::string& path, const std::vector<std::int64_t>& fallback,
                    const std::string& help, Limits limits = {});
  void add_double_list(const std::string& path, const std::vector<double>& fallback,
                       const std::string& help, Limits limits = {});
  void add_string_list(const std::string& path, const std::vector<std::string>& fallback,
                       const std::string& help);

  /// The key at `path`, or nullptr.
  [[nodiscard]] const KeySpec* find(const std::string& path) const;
  /// True when `path` is a proper prefix section of some key ("model" for "model.mlp").
  [[nodiscard]] bool is_section(const std::string& path) const;
  [[nodiscard]] const std::vector<KeySpec>& keys() const noexcept { return keys_; }
  /// The closest known key to a misspelt `path` (edit distance on the whole path and on its last
  /// component), or "" when nothing is reasonably close.
  [[nodiscard]] std::string closest_key(const std::string& path) const;
  /// A table of every key: path, type, default, help (for `hesscov <cmd> --help`).
  [[nodiscard]] std::string help() const;

 private:
  void add(KeySpec spec);
  std::vector<KeySpec> keys_;
};

}  // namespace hesscov::core
