#pragma once
// The command line shared by the `hesscov bench` subcommands: --name value / --name=value options,
// bare flags, and (where a benchmark drives SLEPc) PETSc's own -option [value] words left for
// PETSc's options database.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "backend/types.hpp"

namespace hesscov::bench {

/// A bad command line: reported with the hint to --help, exit code 2.
struct UsageError {
  std::string message;
};

/// What a benchmark accepts: options that take a value, and flags that do not.
struct OptionSpec {
  std::set<std::string> valued;
  std::set<std::string> flags;
  bool petsc_options = false;  ///< skip -name [value] words (PETSc reads them from its database)
};

class ParsedOptions {
 public:
  bool flag(const std::string& name) const { return flags_.count(name) > 0; }
  std::optional<std::string> value(const std::string& name) const;
  index positive(const std::string& name, index fallback) const;     ///< a positive integer
  double positive_real(const std::string& name, double fallback) const;  ///< a positive finite number
  /// One of `choices`, or `fallback` when the option is absent.
  std::string choice(const std::string& name, const std::vector<std::string>& choices,
                     const std::string& fallback) const;

 private:
  friend ParsedOptions parse_command_line(const std::vector<std::string>& words, const OptionSpec& spec);
  std::map<std::string, std::string> values_;
  std::set<std::string> flags_;
};

/// Parses `words`; throws UsageError naming an unknown option, a missing value or a flag given one.
ParsedOptions parse_command_line(const std::vector<std::string>& words, const OptionSpec& spec);

/// A positive integer written in full, or nothing.
std::optional<index> parse_positive(const std::string& text);

/// "8,64,256": positive integers; UsageError naming `option` otherwise.
std::vector<index> parse_positive_list(const std::string& option, const std::string& text);

/// --ranks R1,R2,... of a suite that times groups of the first r ranks (default 1, 2, 4, ... and
/// all `world` ranks); UsageError for a count above `world`.
std::vector<index> rank_counts(const ParsedOptions& parsed, int world);

/// "krylovschur,lobpcg": non-empty words; UsageError naming `option` for an empty one.
std::vector<std::string> split_list(const std::string& option, const std::string& text);

}  // namespace hesscov::bench
