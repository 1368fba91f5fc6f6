#pragma once
// Runs a shell command for the command-line tests: its exit status and its stdout and stderr
// together. `hesscov_command` prefixes the hesscov binary under test (HESSCOV_BINARY, from the
// environment or the build).
#include <string>

namespace hesscov::testing {

struct CommandResult {
  int status = -1;     ///< exit code, -1 when the command did not exit normally
  std::string output;  ///< stdout and stderr, interleaved
};

CommandResult run_shell(const std::string& command);

/// "<hesscov binary> <arguments>", optionally behind a launcher such as "mpirun -np 2 ".
std::string hesscov_command(const std::string& arguments, const std::string& launcher = "");

bool contains(const std::string& text, const std::string& part);

}  // namespace hesscov::testing
