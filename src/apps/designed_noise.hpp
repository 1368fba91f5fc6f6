#pragma once
// Designed noise (SCIENCE.md Study 3): gradient descent (or SGD) plus Gaussian noise whose
// covariance is given in the Hessian's eigenbasis, C = Σ_i c(λ_i) v_i v_iᵀ over the top k
// eigenpairs, with c(λ) = scale · λ^power for λ > threshold and 0 below: power 1 is SGD-like
// noise (C = κH on the top subspace), power 0 isotropic noise in the non-degenerate subspace, and
// any power the family C_ii = λ_i f'(λ_i) with f(λ) = λ^power/power. The eigenpairs are
// recomputed every `train.noise.refresh` steps at the current parameters (SLEPc, eig.* settings).
// With train.noise.basis: coordinates the directions are the parameter axes instead and λ_j the
// Hessian's diagonal H_jj (n products per refresh): the valley toys' noise N(0, κ diag(λ1, λ2, 0, 0)),
// exact wherever the axes are the Hessian's eigenbasis and free of the flat-direction leakage a
// slightly rotated eigenbasis has off the valley floor.
#include <vector>

#include "apps/run_setup.hpp"
#include "nn/dataset_evaluator.hpp"
#include "stats/frame.hpp"

namespace hesscov::apps {

/// Declares train.noise.* (kind, scale, power, threshold, nev, refresh, basis).
void add_designed_noise_keys(core::Schema& schema);

class DesignedNoise {
 public:
  /// `run`, `comm` and `log` must outlive the object. Local (nothing is computed until the first
  /// step).
  DesignedNoise(const RunSetup& run, const comm::Communicator& comm, const core::Logger& log);

  /// Adds ξ ~ N(0, C) to the gradient of step k (ξ = Σ_i sqrt(c_i) ζ_i v_i with ζ_i from the
  /// counter stream "designed_noise" of the run's seed at (k·K + i), K the number of directions:
  /// the same draw on any number of ranks). Refreshes the eigenpairs first when k is a multiple of the refresh period.
  /// Collective.
  void operator()(index step, const std::vector<double>& params, std::vector<double>& gradient);

  /// λ_i of the last refresh: eigenvalues (descending) or the Hessian's diagonal (coordinates).
  [[nodiscard]] const std::vector<double>& eigenvalues() const noexcept { return eigenvalues_; }

 private:
  void refresh(const std::vector<double>& params);
  /// ξ = V w over the subset, replicated: each rank's rows of the frame, then one allgather.
  [[nodiscard]] std::vector<double> rotate(const std::vector<double>& weights) const;

  const RunSetup& run_;
  const comm::Communicator& comm_;
  const core::Logger& log_;
  nn::ParamSubset subset_;
  double scale_, power_, threshold_;
  index refresh_;
  bool coordinates_;
  nn::DatasetEvaluator products_;  ///< this rank's shard, for the refreshes
  bool refreshed_ = false;
  stats::Frame frame_;
  std::vector<double> eigenvalues_, amplitudes_;  ///< λ_i and sqrt(c(λ_i))
};

}  // namespace hesscov::apps
