#pragma once
// `hesscov bench eig`: the eigensolver's own cost. The top eigenpairs of a diagonal operator with a
// power-law spectrum, applied matrix-free (a product costs n multiplications), through the same
// solve_eigenproblem as `hesscov eig`, so the time left over is SLEPc's: orthogonalising and
// restarting the basis, and the projected problem. The place to tune mpd, BV and
// orthogonalisation options and block solvers before paying for Hessian products
// (docs/performance.md).
#include <string>
#include <vector>

namespace hesscov::bench {

const char* eig_help();

/// Runs the benchmark on the words after "eig" (SLEPc's -options are left to PETSc). Prints a
/// report on rank 0, or with --json one JSON object. Throws UsageError for a bad command line.
int eig_bench(const std::vector<std::string>& words);

}  // namespace hesscov::bench
