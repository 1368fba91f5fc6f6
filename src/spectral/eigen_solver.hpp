#pragma once
// SLEPc eigen-extraction of a symmetric operator (SLEPc's lifecycle: configure, set up, solve,
// then results; STYLE.md "spectral"). Every -eps_*/-bv_*/-st_* option on the command line applies
// (with the solver's options prefix), after the settings given here.
#include <petscmat.h>

#include <functional>
#include <string>
#include <vector>

#include "backend/types.hpp"
#include "operators/petsc_handles.hpp"
#include "spectral/solve_timings.hpp"

namespace hesscov::spectral {

enum class Which { largest, smallest };  ///< algebraically largest (top) or smallest (most negative)

Which parse_which(const std::string& name);

struct EigenRequest {
  index nev = 10;          ///< eigenpairs wanted
  Which which = Which::largest;
  index ncv = -1;          ///< basis size (-1: SLEPc's default)
  index mpd = -1;          ///< maximum projected dimension, bounds memory for large nev (-1: default)
  double tol = 1e-10;      ///< residual tolerance (see `scaled`)
  /// false: ||A v - lambda v|| <= tol |lambda| (SLEPc's relative test). true: ||A v - lambda v||
  /// <= tol ||A||_2, with ||A||_2 estimated by a short preliminary solve. The default (-1 below)
  /// picks relative for the largest end and scaled for the smallest, where eigenvalues near zero
  /// (rank-deficient GGN and C, the Hessian's bulk) have no relative accuracy to converge to.
  int scaled = -1;
  /// Restarts allowed. SLEPc's default (100) is too few for the smallest end of a PSD spectrum,
  /// whose eigenvalues cluster near zero and converge slowly. A zero eigenvalue of high
  /// multiplicity (rank-deficient GGN or C, dead ReLU units) is found one copy at a time and may
  /// not converge at all: the solve then stops here with the pairs it has.
  index max_it = 1000;
  std::string prefix;      ///< options prefix, e.g. "top_" so -top_eps_type applies to this solve only
  Mat deflation = nullptr; ///< optional: columns of a dense Mat spanning already known eigenvectors
  /// Asked once per solver iteration; true ends the solve early with `interrupted` set and no
  /// pairs (a preemption signal: the caller discards the solve and repeats it later). Collective:
  /// every rank must give the same answer. Empty: never.
  std::function<bool()> should_stop;
};

struct EigenResult {
  std::vector<double> values;           ///< converged eigenvalues, in the requested order
  std::vector<double> residuals;        ///< ||A v - lambda v|| / |lambda| per pair (SLEPc's relative error)
  std::vector<double> absolute_residuals;  ///< ||A v - lambda v|| per pair
  double spectral_scale = 0.0;          ///< the ||A||_2 estimate used by the scaled test (0: not used)
  std::vector<operators::PetscVec> vectors;  ///< unit eigenvectors (distributed like the operator)
  double orthogonality = 0.0;           ///< max |V^T V - I| over the converged vectors
  index iterations = 0;
  index requested = 0;
  std::string solver;                   ///< EPS type actually used
  double seconds = 0.0;
  SolveTimings timings;                 ///< this rank's split of EPSSolve (products, basis work, projected problem)
  bool interrupted = false;             ///< should_stop ended the solve: no pairs were kept
};

/// Progress callback on every SLEPc iteration: (converged, requested, iteration); collective.
using EigenProgress = std::function<void(index, index, index)>;

/// Solves for the requested eigenpairs of the symmetric `operator_mat` (Hermitian problem).
/// Collective over the operator's communicator. Throws operators::PetscFailure on SLEPc errors;
/// fewer converged pairs than requested is not an error (result.values.size() says how many).
EigenResult solve_eigenproblem(Mat operator_mat, const EigenRequest& request, const EigenProgress& progress = {});

/// Eigenvalues (ascending) and, optionally, eigenvectors (columns, column-major n x n) of a dense
/// symmetric matrix given row-major on the host: LAPACK dsyevd (OpenBLAS). Local.
struct DenseEigen {
  std::vector<double> values;
  std::vector<double> vectors;
};
DenseEigen dense_symmetric_eigen(std::vector<double> matrix, index n, bool vectors);

/// The operator assembled column by column (n products with unit vectors) into a dense n x n
/// matrix, replicated on every rank (row-major). Collective; for blocks of a few thousand
/// parameters at most (n^2 doubles per rank).
std::vector<double> assemble_dense(Mat operator_mat);

}  // namespace hesscov::spectral
