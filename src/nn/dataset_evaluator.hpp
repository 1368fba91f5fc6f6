#pragma once
// Products of the mean training loss over a whole data set that is sharded across the ranks of a
// communicator: each rank holds its samples on the model's backend, sweeps them in batches, and the
// sums are added across ranks. Results are the same on every rank.
#include <functional>
#include <vector>

#include "comm/communicator.hpp"
#include "nn/model.hpp"

namespace hesscov::nn {

class DatasetEvaluator {
 public:
  /// `local_inputs` [local x in_features] and `local_targets` [local x classes] are this rank's
  /// samples (host; copied to the backend); `global_count` = N, the samples on all ranks together.
  /// `model` and `comm` must outlive the evaluator. Collective (checks N against the shards).
  DatasetEvaluator(const Model& model, const comm::Communicator& comm,
                   const std::vector<double>& local_inputs, const std::vector<double>& local_targets,
                   index batch_size);

  [[nodiscard]] index global_count() const noexcept { return global_count_; }
  [[nodiscard]] index local_count() const noexcept { return local_count_; }

  /// Whether vector results are summed over the ranks (the default) or left as this rank's
  /// partial sums, for callers that reduce them differently (a reduce-scatter into a distributed
  /// vector). Scalars (loss, accuracy) and the mean gradient inside centered covariance products
  /// are always global.
  enum class Reduction { allreduce, local };
  void set_reduction(Reduction reduction) { reduction_ = reduction; }

  /// Sets theta (full flat host vector, same on every rank).
  void set_parameters(const std::vector<double>& params);

  // All of the following are collective and return host vectors in `subset` coordinates.
  /// L = (1/N) sum_n l_n.
  [[nodiscard]] double mean_loss();
  /// Fraction of samples whose output argmax matches the target argmax (classification); NaN for
  /// a model with a single output (regression).
  [[nodiscard]] double accuracy();
  /// (1/N) sum_n g_n.
  [[nodiscard]] std::vector<double> gradient(const ParamSubset& subset);
  /// (1/N) sum_n H_n v (Hessian of L times v) or the Gauss-Newton product.
  [[nodiscard]] std::vector<double> curvature_product(const ParamSubset& subset, Curvature curvature,
                                                      const std::vector<double>& v);
  /// C v with C = (1/N) sum_n g_n g_n^T - g g^T (centered) or without the mean term (uncentered,
  /// the "empirical Fisher"), from J v and J^T w: per-sample gradients are never stored.
  [[nodiscard]] std::vector<double> covariance_product(const ParamSubset& subset,
                                                       const std::vector<double>& v, bool centered);
  /// Per-sample work on this rank's samples (local: no communication): `visit(first, batch,
  /// workspace, params)` for consecutive batches of at most the batch size, `first` the local index
  /// of the batch's first sample, `params` theta on the model's backend. For statistics that need
  /// per-sample quantities (projections of g_n, per-sample Hessians) without storing them all.
  using LocalVisit = std::function<void(index first, const Batch& batch, Workspace& workspace, const double* params)>;
  void for_each_local_batch(const LocalVisit& visit);
  [[nodiscard]] index batch_size() const noexcept { return batch_size_; }
  [[nodiscard]] const comm::Communicator& communicator() const noexcept { return comm_; }
  [[nodiscard]] const Model& model() const noexcept { return model_; }

  /// (g_n . v) for this rank's samples, in local order (local: no communication).
  [[nodiscard]] std::vector<double> local_jacobian_product(const ParamSubset& subset,
                                                           const std::vector<double>& v);

 private:
  [[nodiscard]] Batch batch_at(index first, index count) const;
  /// (1/N) sum over all samples of a per-sample quantity computed by `per_sample`.
  template <class PerSample>
  [[nodiscard]] double sample_mean(PerSample per_sample);
  template <class Visit>
  void for_each_batch(Visit visit) const;
  [[nodiscard]] std::vector<double> reduce(const backend::Buffer<double>& partial) const;
  void check_direction(const ParamSubset& subset, const std::vector<double>& v) const;

  const Model& model_;
  const comm::Communicator& comm_;
  index local_count_, global_count_, batch_size_;
  backend::Buffer<double> inputs_, targets_, params_;
  Workspace workspace_;
  Reduction reduction_ = Reduction::allreduce;
};

}  // namespace hesscov::nn
