#include "bench/command_line.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace hesscov::bench {
namespace {

/// -eps_nev 2000, -log_view: one dash and a letter (negative numbers are values, not options).
bool is_petsc_option(const std::string& word) {
  return word.size() > 1 && word[0] == '-' && word[1] != '-' && !std::isdigit(static_cast<unsigned char>(word[1])) &&
         word[1] != '.';
}

}  // namespace

std::optional<index> parse_positive(const std::string& text) {
  index value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || stop != end || value <= 0) return std::nullopt;
  return value;
}

std::optional<std::string> ParsedOptions::value(const std::string& name) const {
  const auto found = values_.find(name);
  if (found == values_.end()) return std::nullopt;
  return found->second;
}

index ParsedOptions::positive(const std::string& name, index fallback) const {
  const auto text = value(name);
  if (!text) return fallback;
  const auto number = parse_positive(*text);
  if (!number) throw UsageError{"option " + name + " expects a positive integer, got '" + *text + "'"};
  return *number;
}

double ParsedOptions::positive_real(const std::string& name, double fallback) const {
  const auto text = value(name);
  if (!text) return fallback;
  char* stop = nullptr;
  const double number = std::strtod(text->c_str(), &stop);
  if (text->empty() || *stop != '\0' || !std::isfinite(number) || number <= 0.0)
    throw UsageError{"option " + name + " expects a positive number, got '" + *text + "'"};
  return number;
}

std::string ParsedOptions::choice(const std::string& name, const std::vector<std::string>& choices,
                                  const std::string& fallback) const {
  const auto text = value(name);
  if (!text) return fallback;
  std::string listed;
  for (const auto& choice : choices) {
    if (*text == choice) return choice;
    listed += (listed.empty() ? "" : ", ") + choice;
  }
  throw UsageError{"option " + name + " expects one of " + listed + ", got '" + *text + "'"};
}

ParsedOptions parse_command_line(const std::vector<std::string>& words, const OptionSpec& spec) {
  ParsedOptions options;
  for (size_t i = 0; i < words.size(); ++i) {
    if (spec.petsc_options && is_petsc_option(words[i])) {
      if (i + 1 < words.size() && !is_petsc_option(words[i + 1]) && words[i + 1].rfind("--", 0) != 0)
        ++i;  // its value
      continue;
    }
    std::string name = words[i], value;
    const bool has_inline = name.rfind("--", 0) == 0 && name.find('=') != std::string::npos;
    if (has_inline) {
      value = name.substr(name.find('=') + 1);
      name = name.substr(0, name.find('='));
    }
    if (spec.flags.count(name) > 0) {
      if (has_inline) throw UsageError{"option " + name + " takes no value, got '" + words[i] + "'"};
      options.flags_.insert(name);
      continue;
    }
    if (spec.valued.count(name) == 0) throw UsageError{"unknown option '" + name + "'"};
    if (!has_inline) {
      if (i + 1 >= words.size()) throw UsageError{"option " + name + " expects a value"};
      value = words[++i];
    }
    options.values_[name] = value;
  }
  return options;
}

std::vector<std::string> split_list(const std::string& option, const std::string& text) {
  std::vector<std::string> words;
  const std::string rest = text + ",";
  for (size_t start = 0, comma; (comma = rest.find(',', start)) != std::string::npos; start = comma + 1) {
    words.push_back(rest.substr(start, comma - start));
    if (words.back().empty()) throw UsageError{"option " + option + " expects a comma-separated list, got '" + text + "'"};
  }
  return words;
}

std::vector<index> rank_counts(const ParsedOptions& parsed, int world) {
  std::vector<index> ranks;
  if (const auto text = parsed.value("--ranks")) {
    ranks = parse_positive_list("--ranks", *text);
  } else {
    for (index r = 1; r < world; r *= 2) ranks.push_back(r);
    ranks.push_back(world);
  }
  for (const index r : ranks)
    if (r > world) throw UsageError{"option --ranks: " + std::to_string(r) + " ranks asked, the run has " + std::to_string(world)};
  return ranks;
}

std::vector<index> parse_positive_list(const std::string& option, const std::string& text) {
  std::vector<index> values;
  for (const auto& word : split_list(option, text)) {
    const auto value = parse_positive(word);
    if (!value) throw UsageError{"option " + option + " expects positive integers K1,K2,..., got '" + text + "'"};
    values.push_back(*value);
  }
  return values;
}

}  // namespace hesscov::bench
