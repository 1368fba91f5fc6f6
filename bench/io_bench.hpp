#pragma once
// `hesscov bench io`: the archive writes of the studies, timed the way the suite writes them, by
// rank count: a [nev x n] eigenvector matrix (each rank its band of the n columns, as PETSc
// distributes the vectors; HDF5 collective write of column slices) and a [T x k] trajectory
// (written in chunks of rows as fluct records it, each rank its share of the k columns), each
// file created under a temporary name, closed, fsync'ed and renamed into place as every archive
// is (io::AtomicFile), then removed. docs/performance.md.
#include <string>
#include <vector>

namespace hesscov::bench {

const char* io_help();

/// Runs the benchmark on the words after "io". Collective.
int io_bench(const std::vector<std::string>& words);

}  // namespace hesscov::bench
