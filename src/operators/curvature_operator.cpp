#include "operators/curvature_operator.hpp"

#include <chrono>
#include <exception>

#include "core/error.hpp"
#include "operators/petsc_check.hpp"

namespace hesscov::operators {
namespace {

// C callbacks: every C++ exception is caught at the boundary and turned into a PETSc error with
// the message, so it propagates through SLEPc and comes back as a PetscError via HC_PETSC.
PetscErrorCode shell_mult(Mat mat, Vec x, Vec y) {
  CurvatureOperator* self = nullptr;
  PetscCall(MatShellGetContext(mat, &self));
  try {
    self->apply(x, y);
  } catch (const std::exception& error) {
    SETERRQ(PetscObjectComm(reinterpret_cast<PetscObject>(mat)), PETSC_ERR_LIB, "%s", error.what());
  }
  return 0;
}

PetscErrorCode dense_product(Mat mat, Mat dense_in, Mat dense_out, void*) {
  CurvatureOperator* self = nullptr;
  PetscCall(MatShellGetContext(mat, &self));
  PetscInt columns = 0;
  PetscCall(MatGetSize(dense_in, nullptr, &columns));
  try {
    for (PetscInt j = 0; j < columns; ++j) {
      Vec x = nullptr, y = nullptr;
      PetscCall(MatDenseGetColumnVecRead(dense_in, j, &x));
      PetscCall(MatDenseGetColumnVecWrite(dense_out, j, &y));
      self->apply(x, y);
      PetscCall(MatDenseRestoreColumnVecWrite(dense_out, j, &y));
      PetscCall(MatDenseRestoreColumnVecRead(dense_in, j, &x));
    }
  } catch (const std::exception& error) {
    SETERRQ(PetscObjectComm(reinterpret_cast<PetscObject>(mat)), PETSC_ERR_LIB, "%s", error.what());
  }
  return 0;
}

}  // namespace

OperatorKind parse_operator_kind(const std::string& name) {
  if (name == "hessian") return OperatorKind::hessian;
  if (name == "ggn") return OperatorKind::gauss_newton;
  if (name == "covariance") return OperatorKind::covariance;
  throw core::Error("unknown operator '" + name + "': expected hessian, ggn or covariance");
}

std::string to_string(OperatorKind kind) {
  switch (kind) {
    case OperatorKind::hessian: return "hessian";
    case OperatorKind::gauss_newton: return "ggn";
    case OperatorKind::covariance: return "covariance";
  }
  return "?";
}

double MinibatchScaling::factor(index samples) const {
  if (batch_size <= 0) return 1.0;
  const auto s = static_cast<double>(batch_size), n = static_cast<double>(samples);
  if (with_replacement) return 1.0 / s;
  HC_CHECK(samples > 1 && batch_size <= samples, core::DimensionMismatch,
           "minibatch of " + std::to_string(batch_size) + " drawn without replacement from " +
               std::to_string(samples) + " samples");
  return (n - s) / (s * (n - 1.0));
}

CurvatureOperator::CurvatureOperator(nn::DatasetEvaluator& evaluator, const comm::Communicator& comm,
                                     nn::ParamSubset subset, OperatorSpec spec, const std::vector<double>& params)
    : evaluator_(evaluator), comm_(comm), subset_(std::move(subset)), spec_(spec) {
  evaluator_.set_reduction(nn::DatasetEvaluator::Reduction::allreduce);
  evaluator_.set_parameters(params);
  if (spec_.kind == OperatorKind::covariance) {
    scale_ = spec_.minibatch.factor(evaluator_.global_count());
    if (spec_.centered) mean_gradient_ = evaluator_.gradient(subset_);
  }
  evaluator_.set_reduction(nn::DatasetEvaluator::Reduction::local);

  const auto n = static_cast<PetscInt>(subset_.size());
  HC_PETSC(MatCreateShell(comm_.get(), PETSC_DECIDE, PETSC_DECIDE, n, n, this, mat_.out()));
  HC_PETSC(MatShellSetOperation(mat_.get(), MATOP_MULT, reinterpret_cast<void (*)(void)>(shell_mult)));
  HC_PETSC(MatShellSetOperation(mat_.get(), MATOP_MULT_TRANSPOSE, reinterpret_cast<void (*)(void)>(shell_mult)));
  HC_PETSC(MatShellSetMatProductOperation(mat_.get(), MATPRODUCT_AB, nullptr, dense_product, nullptr, MATDENSE,
                                          MATDENSE));
  HC_PETSC(MatShellSetMatProductOperation(mat_.get(), MATPRODUCT_AB, nullptr, dense_product, nullptr, MATMPIDENSE,
                                          MATMPIDENSE));
  HC_PETSC(MatSetOption(mat_.get(), MAT_SYMMETRIC, PETSC_TRUE));
  HC_PETSC(MatSetOption(mat_.get(), MAT_SYMMETRY_ETERNAL, PETSC_TRUE));
  HC_PETSC(MatSetUp(mat_.get()));

  PetscVec layout;
  HC_PETSC(MatCreateVecs(mat_.get(), layout.out(), nullptr));
  HC_PETSC(VecScatterCreateToAll(layout.get(), to_all_.out(), gathered_.out()));
  const PetscInt* ranges = nullptr;
  HC_PETSC(MatGetOwnershipRanges(mat_.get(), &ranges));
  for (int r = 0; r < comm_.size(); ++r) {
    offsets_.push_back(static_cast<int>(ranges[r]));
    counts_.push_back(static_cast<int>(ranges[r + 1] - ranges[r]));
  }
}

std::vector<double> CurvatureOperator::gather(Vec x) const {
  HC_PETSC(VecScatterBegin(to_all_.get(), x, gathered_.get(), INSERT_VALUES, SCATTER_FORWARD));
  HC_PETSC(VecScatterEnd(to_all_.get(), x, gathered_.get(), INSERT_VALUES, SCATTER_FORWARD));
  const PetscScalar* values = nullptr;
  HC_PETSC(VecGetArrayRead(gathered_.get(), &values));
  std::vector<double> full(values, values + subset_.size());
  HC_PETSC(VecRestoreArrayRead(gathered_.get(), &values));
  return full;
}

std::vector<double> CurvatureOperator::local_product(const std::vector<double>& x) {
  switch (spec_.kind) {
    case OperatorKind::hessian:
      return evaluator_.curvature_product(subset_, nn::Curvature::hessian, x);
    case OperatorKind::gauss_newton:
      return evaluator_.curvature_product(subset_, nn::Curvature::gauss_newton, x);
    case OperatorKind::covariance:
      return evaluator_.covariance_product(subset_, x, false);  // the mean term is added after the scatter
  }
  return {};
}

void CurvatureOperator::apply(Vec x, Vec y) {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<double> full_x = gather(x);
  std::vector<double> partial = local_product(full_x);
  PetscScalar* owned = nullptr;
  HC_PETSC(VecGetArray(y, &owned));
  const int rank = comm_.rank();
  const int mpi_code = MPI_Reduce_scatter(partial.data(), owned, counts_.data(), MPI_DOUBLE, MPI_SUM, comm_.get());
  double mean_dot_x = 0.0;
  for (size_t i = 0; i < mean_gradient_.size(); ++i) mean_dot_x += mean_gradient_[i] * full_x[i];
  for (int i = 0; i < counts_[static_cast<size_t>(rank)]; ++i) {
    const double mean_term = mean_gradient_.empty() ? 0.0 : mean_gradient_[static_cast<size_t>(offsets_[rank] + i)] * mean_dot_x;
    owned[i] = scale_ * (owned[i] - mean_term);
  }
  HC_PETSC(VecRestoreArray(y, &owned));
  HC_MPI(mpi_code);
  ++products_;
  product_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace hesscov::operators
