#pragma once
// The curvature matrices of the mean training loss as distributed PETSc shell matrices
// (DESIGN.md "Distribution"): a vector is split over parameters (each rank owns a contiguous
// slice), and a product is allgather(x) -> local product over the rank's data shard ->
// reduce-scatter(y). An operator is bound to one immutable point theta.
#include <petscmat.h>

#include <memory>
#include <string>
#include <vector>

#include "comm/communicator.hpp"
#include "nn/dataset_evaluator.hpp"
#include "operators/petsc_handles.hpp"

namespace hesscov::operators {

enum class OperatorKind {
  hessian,       ///< H = (1/N) sum_n H_n
  gauss_newton,  ///< G = (1/N) sum_n J_n^T (d2 l/dz2) J_n (the Fisher for cross-entropy)
  covariance,    ///< C = (1/N) sum_n g_n g_n^T - g g^T, or without the mean term (uncentered)
};

/// Parses "hessian" | "ggn" | "covariance"; core::Error naming the value otherwise.
OperatorKind parse_operator_kind(const std::string& name);
std::string to_string(OperatorKind kind);

/// Scaling of C to the covariance of a minibatch-mean gradient (SCIENCE.md "Noise covariance"):
/// none (C itself), with replacement (C / S) or without (C (N - S) / (S (N - 1))).
struct MinibatchScaling {
  index batch_size = 0;  ///< S; 0 means no scaling
  bool with_replacement = false;
  [[nodiscard]] double factor(index samples) const;
};

struct OperatorSpec {
  OperatorKind kind = OperatorKind::hessian;
  bool centered = true;             ///< covariance only
  MinibatchScaling minibatch;       ///< covariance only
};

class CurvatureOperator {
 public:
  /// Binds the operator to `params` (full flat host vector, the same on every rank) over the
  /// data held by `evaluator` (which it switches to local reduction), in the coordinates of
  /// `subset`. `evaluator` and `comm` must outlive the operator. Collective.
  CurvatureOperator(nn::DatasetEvaluator& evaluator, const comm::Communicator& comm, nn::ParamSubset subset,
                    OperatorSpec spec, const std::vector<double>& params);
  CurvatureOperator(const CurvatureOperator&) = delete;
  CurvatureOperator& operator=(const CurvatureOperator&) = delete;

  /// The MATSHELL (n x n, n = subset.size(), rows split over the ranks in PETSc's default
  /// layout). Owned by this object; valid while it lives. Provides MatMult and the dense
  /// MATPRODUCT_AB (one product per column).
  [[nodiscard]] Mat mat() const noexcept { return mat_.get(); }
  [[nodiscard]] index size() const noexcept { return subset_.size(); }
  [[nodiscard]] const OperatorSpec& spec() const noexcept { return spec_; }
  /// Products applied so far (a block product of k columns counts k).
  [[nodiscard]] index products() const noexcept { return products_; }
  /// Seconds spent inside products (local work and collectives).
  [[nodiscard]] double product_seconds() const noexcept { return product_seconds_; }

  /// y = A x for distributed Vecs of this operator's layout (what MatMult calls). Collective.
  void apply(Vec x, Vec y);

 private:
  [[nodiscard]] std::vector<double> local_product(const std::vector<double>& x);
  [[nodiscard]] std::vector<double> gather(Vec x) const;

  nn::DatasetEvaluator& evaluator_;
  const comm::Communicator& comm_;
  nn::ParamSubset subset_;
  OperatorSpec spec_;
  double scale_ = 1.0;
  std::vector<double> mean_gradient_;   // covariance, centered: g restricted to the subset
  std::vector<int> counts_, offsets_;   // ownership of the distributed vectors
  PetscScatter to_all_;
  PetscVec gathered_;
  PetscMat mat_;
  index products_ = 0;
  double product_seconds_ = 0.0;
};

}  // namespace hesscov::operators
