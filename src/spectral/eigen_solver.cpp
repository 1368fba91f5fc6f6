#include "spectral/eigen_solver.hpp"

#include <slepceps.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/error.hpp"
#include "operators/petsc_check.hpp"

extern "C" void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w,
                        double* work, const int* lwork, int* iwork, const int* liwork, int* info);

namespace hesscov::spectral {
namespace {

PetscErrorCode monitor(EPS, PetscInt iteration, PetscInt converged, PetscScalar*, PetscScalar*, PetscReal*,
                       PetscInt, void* context) {
  const auto* callback = static_cast<const std::pair<const EigenProgress*, index>*>(context);
  try {
    (*callback->first)(converged, callback->second, iteration);
  } catch (...) {
    return PETSC_ERR_LIB;
  }
  return 0;
}

/// SLEPc's own stopping test, then the caller's stop request (checked only while iterating).
struct StopContext {
  const std::function<bool()>* should_stop;
  bool stopped = false;
};

PetscErrorCode stopping_test(EPS eps, PetscInt iteration, PetscInt max_it, PetscInt converged, PetscInt nev,
                             EPSConvergedReason* reason, void* context) {
  PetscCall(EPSStoppingBasic(eps, iteration, max_it, converged, nev, reason, nullptr));
  auto* stop = static_cast<StopContext*>(context);
  try {
    if (*reason == EPS_CONVERGED_ITERATING && (*stop->should_stop)()) {
      *reason = EPS_CONVERGED_USER;
      stop->stopped = true;
    }
  } catch (...) {
    return PETSC_ERR_LIB;
  }
  return 0;
}

void configure(EPS eps, Mat operator_mat, const EigenRequest& request, double spectral_scale) {
  HC_PETSC(EPSSetOperators(eps, operator_mat, nullptr));
  HC_PETSC(EPSSetProblemType(eps, EPS_HEP));
  HC_PETSC(EPSSetWhichEigenpairs(eps, request.which == Which::largest ? EPS_LARGEST_REAL : EPS_SMALLEST_REAL));
  HC_PETSC(EPSSetDimensions(eps, static_cast<PetscInt>(request.nev),
                            request.ncv > 0 ? static_cast<PetscInt>(request.ncv) : PETSC_DEFAULT,
                            request.mpd > 0 ? static_cast<PetscInt>(request.mpd) : PETSC_DEFAULT));
  const double tol = spectral_scale > 0.0 ? request.tol * spectral_scale : request.tol;
  HC_PETSC(EPSSetTolerances(eps, tol, request.max_it > 0 ? static_cast<PetscInt>(request.max_it) : PETSC_DEFAULT));
  HC_PETSC(EPSSetConvergenceTest(eps, spectral_scale > 0.0 ? EPS_CONV_ABS : EPS_CONV_REL));
  if (!request.prefix.empty()) HC_PETSC(EPSSetOptionsPrefix(eps, request.prefix.c_str()));
  if (request.deflation != nullptr) {
    // PETSc lends one column of a dense Mat at a time: copy each into a Vec of its own.
    PetscInt columns = 0;
    HC_PETSC(MatGetSize(request.deflation, nullptr, &columns));
    std::vector<operators::PetscVec> copies(static_cast<size_t>(columns));
    std::vector<Vec> space;
    for (PetscInt j = 0; j < columns; ++j) {
      Vec column = nullptr;
      HC_PETSC(MatDenseGetColumnVecRead(request.deflation, j, &column));
      HC_PETSC(VecDuplicate(column, copies[static_cast<size_t>(j)].out()));
      HC_PETSC(VecCopy(column, copies[static_cast<size_t>(j)].get()));
      HC_PETSC(MatDenseRestoreColumnVecRead(request.deflation, j, &column));
      space.push_back(copies[static_cast<size_t>(j)].get());
    }
    HC_PETSC(EPSSetDeflationSpace(eps, columns, space.data()));  // SLEPc keeps its own copy
  }
  HC_PETSC(EPSSetFromOptions(eps));  // command-line options win over the config
}

double orthogonality_loss(const std::vector<operators::PetscVec>& vectors) {
  double worst = 0.0;
  for (size_t i = 0; i < vectors.size(); ++i) {
    std::vector<PetscScalar> dots(vectors.size() - i);
    std::vector<Vec> others;
    for (size_t j = i; j < vectors.size(); ++j) others.push_back(vectors[j].get());
    HC_PETSC(VecMDot(vectors[i].get(), static_cast<PetscInt>(others.size()), others.data(), dots.data()));
    for (size_t j = 0; j < dots.size(); ++j) worst = std::max(worst, std::abs(dots[j] - (j == 0 ? 1.0 : 0.0)));
  }
  return worst;
}

/// |lambda|_max to a few digits: a cheap preliminary solve for the scale of the spectrum.
double estimate_spectral_scale(Mat operator_mat) {
  MPI_Comm comm = PetscObjectComm(reinterpret_cast<PetscObject>(operator_mat));
  operators::PetscEps eps;
  HC_PETSC(EPSCreate(comm, eps.out()));
  HC_PETSC(EPSSetOperators(eps.get(), operator_mat, nullptr));
  HC_PETSC(EPSSetProblemType(eps.get(), EPS_HEP));
  HC_PETSC(EPSSetWhichEigenpairs(eps.get(), EPS_LARGEST_MAGNITUDE));
  HC_PETSC(EPSSetDimensions(eps.get(), 1, PETSC_DEFAULT, PETSC_DEFAULT));
  HC_PETSC(EPSSetTolerances(eps.get(), 1e-4, PETSC_DEFAULT));
  HC_PETSC(EPSSolve(eps.get()));
  PetscInt converged = 0;
  HC_PETSC(EPSGetConverged(eps.get(), &converged));
  HC_CHECK(converged > 0, core::Error, "could not estimate the spectral norm of the operator");
  PetscScalar value = 0.0;
  HC_PETSC(EPSGetEigenvalue(eps.get(), 0, &value, nullptr));
  return std::abs(value) > 0.0 ? std::abs(value) : 1.0;
}

}  // namespace

Which parse_which(const std::string& name) {
  if (name == "largest") return Which::largest;
  if (name == "smallest") return Which::smallest;
  throw core::Error("unknown eigenvalue end '" + name + "': expected largest or smallest");
}

EigenResult solve_eigenproblem(Mat operator_mat, const EigenRequest& request, const EigenProgress& progress) {
  const auto start = std::chrono::steady_clock::now();
  MPI_Comm comm = PetscObjectComm(reinterpret_cast<PetscObject>(operator_mat));
  const bool scaled = request.scaled < 0 ? request.which == Which::smallest : request.scaled > 0;
  const double spectral_scale = scaled ? estimate_spectral_scale(operator_mat) : 0.0;
  operators::PetscEps eps;
  HC_PETSC(EPSCreate(comm, eps.out()));
  configure(eps.get(), operator_mat, request, spectral_scale);
  std::pair<const EigenProgress*, index> context{&progress, request.nev};
  if (progress) HC_PETSC(EPSMonitorSet(eps.get(), monitor, &context, nullptr));
  StopContext stop{&request.should_stop};
  if (request.should_stop) HC_PETSC(EPSSetStoppingTestFunction(eps.get(), stopping_test, &stop, nullptr));
  const EventSnapshot before;
  HC_PETSC(EPSSolve(eps.get()));
  const EventSnapshot after;

  EigenResult result;
  if (stop.stopped) {
    result.interrupted = true;
    result.requested = request.nev;
    return result;
  }
  result.timings = after.since(before);
  result.requested = request.nev;
  result.spectral_scale = spectral_scale;
  PetscInt converged = 0, iterations = 0;
  HC_PETSC(EPSGetConverged(eps.get(), &converged));
  HC_PETSC(EPSGetIterationNumber(eps.get(), &iterations));
  result.iterations = iterations;
  EPSType type = nullptr;
  HC_PETSC(EPSGetType(eps.get(), &type));
  result.solver = type != nullptr ? type : "";
  const PetscInt kept = std::min<PetscInt>(converged, static_cast<PetscInt>(request.nev));
  for (PetscInt i = 0; i < kept; ++i) {
    operators::PetscVec vector;
    HC_PETSC(MatCreateVecs(operator_mat, vector.out(), nullptr));
    PetscScalar value = 0.0;
    HC_PETSC(EPSGetEigenpair(eps.get(), i, &value, nullptr, vector.get(), nullptr));
    // One residual per pair (each costs a product): the relative one follows from the absolute.
    PetscReal absolute = 0.0;
    HC_PETSC(EPSComputeError(eps.get(), i, EPS_ERROR_ABSOLUTE, &absolute));
    result.values.push_back(value);
    result.absolute_residuals.push_back(absolute);
    result.residuals.push_back(value != 0.0 ? absolute / std::abs(value) : absolute);
    result.vectors.push_back(std::move(vector));
  }
  result.orthogonality = orthogonality_loss(result.vectors);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

DenseEigen dense_symmetric_eigen(std::vector<double> matrix, index n, bool vectors) {
  HC_CHECK(static_cast<index>(matrix.size()) == n * n, core::DimensionMismatch, "dense eigenproblem: not n x n");
  DenseEigen result;
  result.values.resize(static_cast<size_t>(n));
  if (n == 0) return result;
  const int size = static_cast<int>(n), minus_one = -1;
  const char jobz = vectors ? 'V' : 'N', uplo = 'U';
  int info = 0, iwork_query = 0;
  double work_query = 0.0;
  // Row-major symmetric == column-major symmetric: no transpose needed.
  dsyevd_(&jobz, &uplo, &size, matrix.data(), &size, result.values.data(), &work_query, &minus_one, &iwork_query,
          &minus_one, &info);
  const int lwork = static_cast<int>(work_query), liwork = iwork_query;
  std::vector<double> work(static_cast<size_t>(lwork));
  std::vector<int> iwork(static_cast<size_t>(std::max(liwork, 1)));
  dsyevd_(&jobz, &uplo, &size, matrix.data(), &size, result.values.data(), work.data(), &lwork, iwork.data(),
          &liwork, &info);
  HC_CHECK(info == 0, core::Error, "LAPACK dsyevd failed with info = " + std::to_string(info));
  if (vectors) result.vectors = std::move(matrix);
  return result;
}

std::vector<double> assemble_dense(Mat operator_mat) {
  PetscInt n = 0, first = 0, last = 0;
  HC_PETSC(MatGetSize(operator_mat, &n, nullptr));
  operators::PetscVec unit, column, gathered;
  HC_PETSC(MatCreateVecs(operator_mat, unit.out(), column.out()));
  HC_PETSC(VecGetOwnershipRange(unit.get(), &first, &last));
  operators::PetscScatter to_all;
  HC_PETSC(VecScatterCreateToAll(column.get(), to_all.out(), gathered.out()));
  std::vector<double> dense(static_cast<size_t>(n) * static_cast<size_t>(n));
  for (PetscInt j = 0; j < n; ++j) {
    HC_PETSC(VecSet(unit.get(), 0.0));
    if (j >= first && j < last) HC_PETSC(VecSetValue(unit.get(), j, 1.0, INSERT_VALUES));
    HC_PETSC(VecAssemblyBegin(unit.get()));
    HC_PETSC(VecAssemblyEnd(unit.get()));
    HC_PETSC(MatMult(operator_mat, unit.get(), column.get()));
    HC_PETSC(VecScatterBegin(to_all.get(), column.get(), gathered.get(), INSERT_VALUES, SCATTER_FORWARD));
    HC_PETSC(VecScatterEnd(to_all.get(), column.get(), gathered.get(), INSERT_VALUES, SCATTER_FORWARD));
    const PetscScalar* values = nullptr;
    HC_PETSC(VecGetArrayRead(gathered.get(), &values));
    for (PetscInt i = 0; i < n; ++i) dense[static_cast<size_t>(i * n + j)] = values[i];
    HC_PETSC(VecRestoreArrayRead(gathered.get(), &values));
  }
  return dense;
}

}  // namespace hesscov::spectral
