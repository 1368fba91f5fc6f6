#include "core/schema.hpp"

#include <algorithm>
#include <sstream>

#include "core/error.hpp"

namespace hesscov::core {
namespace {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string last_component(const std::string& path) {
  const auto dot = path.rfind('.');
  return dot == std::string::npos ? path : path.substr(dot + 1);
}

std::string flow_text(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "(required)";
  YAML::Emitter out;
  out << YAML::Flow << node;
  return out.c_str();
}

}  // namespace

std::string describe(const KeySpec& spec) {
  switch (spec.type) {
    case KeyType::integer: return "an integer";
    case KeyType::real: return "a number";
    case KeyType::boolean: return "true or false";
    case KeyType::string: return "a string";
    case KeyType::choice: {
      std::string text = "one of ";
      for (std::size_t i = 0; i < spec.choices.size(); ++i) text += (i ? ", " : "") + spec.choices[i];
      return text;
    }
    case KeyType::int_list: return "a list of integers";
    case KeyType::real_list: return "a list of numbers";
    case KeyType::string_list: return "a list of strings";
  }
  return "?";
}

void Schema::add(KeySpec spec) {
  HC_CHECK(find(spec.path) == nullptr, Error, "config key '" + spec.path + "' declared twice");
  keys_.push_back(std::move(spec));
}

void Schema::add_int(const std::string& path, std::int64_t fallback, const std::string& help, Limits limits) {
  add({path, KeyType::integer, YAML::Node(fallback), false, help, limits, {}});
}
void Schema::add_double(const std::string& path, double fallback, const std::string& help, Limits limits) {
  add({path, KeyType::real, YAML::Node(fallback), false, help, limits, {}});
}
void Schema::add_bool(const std::string& path, bool fallback, const std::string& help) {
  add({path, KeyType::boolean, YAML::Node(fallback), false, help, {}, {}});
}
void Schema::add_string(const std::string& path, const std::string& fallback, const std::string& help) {
  add({path, KeyType::string, YAML::Node(fallback), false, help, {}, {}});
}
void Schema::add_required_string(const std::string& path, const std::string& help) {
  add({path, KeyType::string, YAML::Node(), true, help, {}, {}});
}
void Schema::add_choice(const std::string& path, const std::string& fallback,
                        const std::vector<std::string>& choices, const std::string& help) {
  add({path, KeyType::choice, YAML::Node(fallback), false, help, {}, choices});
}
void Schema::add_int_list(const std::string& path, const std::vector<std::int64_t>& fallback,
                          const std::string& help, Limits limits) {
  add({path, KeyType::int_list, YAML::Node(fallback), false, help, limits, {}});
}
void Schema::add_double_list(const std::string& path, const std::vector<double>& fallback,
                             const std::string& help, Limits limits) {
  add({path, KeyType::real_list, YAML::Node(fallback), false, help, limits, {}});
}
void Schema::add_string_list(const std::string& path, const std::vector<std::string>& fallback,
                             const std::string& help) {
  YAML::Node node(YAML::NodeType::Sequence);
  for (const auto& value : fallback) node.push_back(value);
  add({path, KeyType::string_list, node, false, help, {}, {}});
}

const KeySpec* Schema::find(const std::string& path) const {
  for (const auto& key : keys_)
    if (key.path == path) return &key;
  return nullptr;
}

bool Schema::is_section(const std::string& path) const {
  return std::any_of(keys_.begin(), keys_.end(), [&](const KeySpec& key) {
    return key.path.size() > path.size() && key.path.compare(0, path.size(), path) == 0 &&
           key.path[path.size()] == '.';
  });
}

std::string Schema::closest_key(const std::string& path) const {
  std::string best;
  std::size_t best_distance = std::string::npos;
  for (const auto& key : keys_) {
    const std::size_t distance = std::min(edit_distance(path, key.path),
                                          edit_distance(last_component(path), last_component(key.path)) +
                                              (path.rfind('.') == key.path.rfind('.') ? 0 : 1));
    if (distance < best_distance) {
      best_distance = distance;
      best = key.path;
    }
  }
  const std::size_t tolerance = std::max<std::size_t>(2, last_component(path).size() / 3);
  return best_distance <= tolerance ? best : "";
}

std::string Schema::help() const {
  std::size_t width = 0;
  for (const auto& key : keys_) width = std::max(width, key.path.size());
  std::ostringstream text;
  for (const auto& key : keys_) {
    text << "  " << key.path << std::string(width + 2 - key.path.size(), ' ') << describe(key)
         << ", default " << flow_text(key.default_value) << "\n"
         << std::string(width + 4, ' ') << key.help << "\n";
  }
  return text.str();
}

}  // namespace hesscov::core
