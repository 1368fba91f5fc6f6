#pragma once
// `hesscov bench scaling`: strong scaling (a fixed data set over 1 -> R ranks) or weak scaling (a
// fixed number of samples per rank) of the gradient and H v, in one mpirun: for each rank count r
// of --ranks the first r ranks of MPI_COMM_WORLD form a communicator and time the products over
// their shards while the others wait. Speedup and parallel efficiency are against the smallest r
// of the list. docs/performance.md.
#include <string>
#include <vector>

namespace hesscov::bench {

const char* scaling_help();

/// Runs the benchmark on the words after "scaling". Prints a table on rank 0, or with --json one
/// JSON object (the record). Throws UsageError for a bad command line. Collective.
int scaling_bench(const std::vector<std::string>& words);

}  // namespace hesscov::bench
