#pragma once
// `hesscov bench products`: wall-clock seconds and GEMM FLOPs of the products every study is built
// from (gradient, H v, GGN v, centered C v, J v), each over a whole synthetic data set sharded
// across the ranks of MPI_COMM_WORLD. How to run it and the measured numbers: docs/performance.md.
#include <string>
#include <vector>

namespace hesscov::bench {

/// The options of `hesscov bench products`, for --help.
const char* products_help();

/// Runs the benchmark on the words after "products". Prints a table on rank 0's stdout, or with
/// --json one JSON object and nothing else. Throws UsageError for a bad command line.
int products_bench(const std::vector<std::string>& words);

}  // namespace hesscov::bench
