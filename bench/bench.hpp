#pragma once
// `hesscov bench <what>`: the benchmarks of bench/ as subcommands of the command.
#include <string>
#include <vector>

namespace hesscov::bench {

/// `hesscov bench <what> [options]`; `args` are the words after "bench" ("products" or "eig",
/// then the options; "--help" prints them). Collective over MPI_COMM_WORLD: MPI and PETSc must
/// already be initialised (the dispatcher does it). Returns the exit code: 0, or 2 for a usage
/// error (a message on rank 0's stderr naming the option and what it expects; every rank parses
/// the same words, so all return 2 together). Engine failures propagate as exceptions for the
/// dispatcher to report (exit 1).
int run_bench(const std::vector<std::string>& args);

}  // namespace hesscov::bench
