#pragma once
// `hesscov bench products`: wall-clock seconds and GEMM FLOPs of the products every study is built
// from (gradient, H v, GGN v, centered C v, J v), each over a whole synthetic data set sharded
// across the ranks of MPI_COMM_WORLD. How to run it and the measured numbers: docs/performance.md.
#include <string>
#include <vector>

namespace hesscov::bench {

/// `hesscov bench <what> [options]`; `args` are the words after "bench" ("products", then the
/// options; "--help" prints them). Collective over MPI_COMM_WORLD: MPI and PETSc must already be
/// initialised (the dispatcher does it). Prints a table on rank 0's stdout, or with --json one JSON
/// object and nothing else. Returns the exit code: 0, or 2 for a usage error (a message on rank 0's
/// stderr naming the option and what it expects; every rank parses the same words, so all return
/// 2 together). Engine failures propagate as exceptions for the dispatcher to report (exit 1).
int run_bench(const std::vector<std::string>& args);

}  // namespace hesscov::bench
