#include "nn/dataset_evaluator.hpp"

#include <algorithm>
#include <cmath>

#include "backend/common/vector_kernels.hpp"
#include "backend/for_each.hpp"
#include "core/error.hpp"

namespace hesscov::nn {

namespace kernels = backend::kernels;

DatasetEvaluator::DatasetEvaluator(const Model& model, const comm::Communicator& comm,
                                   const std::vector<double>& local_inputs,
                                   const std::vector<double>& local_targets, index batch_size)
    : model_(model),
      comm_(comm),
      local_count_(static_cast<index>(local_inputs.size()) / model.in_features()),
      global_count_(comm.allreduce_sum(local_count_)),
      batch_size_(batch_size),
      inputs_(model.backend_ptr(), local_inputs),
      targets_(model.backend_ptr(), local_targets),
      params_(model.backend_ptr(), model.num_params()),
      workspace_(model, std::max<index>(1, batch_size)) {
  HC_CHECK(batch_size > 0, core::DimensionMismatch, "batch size must be positive");
  HC_CHECK(static_cast<index>(local_inputs.size()) == local_count_ * model.in_features(),
           core::DimensionMismatch, "inputs are not a whole number of samples");
  HC_CHECK(static_cast<index>(local_targets.size()) == local_count_ * model.out_features(),
           core::DimensionMismatch,
           "targets hold " + std::to_string(local_targets.size()) + " values for " +
               std::to_string(local_count_) + " samples of " +
               std::to_string(model.out_features()) + " outputs");
  HC_CHECK(global_count_ > 0, core::DimensionMismatch, "the data set is empty on every rank");
}

void DatasetEvaluator::set_parameters(const std::vector<double>& params) { params_.from_host(params); }

Batch DatasetEvaluator::batch_at(index first, index count) const {
  return {inputs_.data() + first * model_.in_features(),
          targets_.data() + first * model_.out_features(), count};
}

template <class Visit>
void DatasetEvaluator::for_each_batch(Visit visit) const {
  for (index first = 0; first < local_count_; first += batch_size_)
    visit(first, batch_at(first, std::min(batch_size_, local_count_ - first)));
}

void DatasetEvaluator::for_each_local_batch(const LocalVisit& visit) {
  for_each_batch([&](index first, const Batch& batch) { visit(first, batch, workspace_, params_.data()); });
}

std::vector<double> DatasetEvaluator::reduce(const backend::Buffer<double>& partial) const {
  std::vector<double> total = partial.to_host();
  if (reduction_ == Reduction::allreduce) comm_.allreduce_sum(total.data(), static_cast<index>(total.size()));
  return total;
}

void DatasetEvaluator::check_direction(const ParamSubset& subset, const std::vector<double>& v) const {
  HC_CHECK(static_cast<index>(v.size()) == subset.size(), core::DimensionMismatch,
           "direction of " + std::to_string(v.size()) + " entries for a parameter subset of " +
               std::to_string(subset.size()));
}

template <class PerSample>
double DatasetEvaluator::sample_mean(PerSample per_sample) {
  backend::Buffer<double> values(model_.backend_ptr(), batch_size_);
  double local = 0.0;
  for_each_batch([&](index, const Batch& batch) {
    per_sample(batch, values.data());
    const auto host = values.to_host();
    for (index n = 0; n < batch.samples; ++n) local += host[static_cast<size_t>(n)];
  });
  return comm_.allreduce_sum(local) / static_cast<double>(global_count_);
}

double DatasetEvaluator::mean_loss() {
  return sample_mean([&](const Batch& batch, double* out) {
    model_.per_sample_losses(workspace_, params_.data(), batch, out);
  });
}

double DatasetEvaluator::accuracy() {
  // One output is regression: there is no class to pick.
  if (model_.out_features() == 1) return std::nan("");
  return sample_mean([&](const Batch& batch, double* out) {
    model_.per_sample_hits(workspace_, params_.data(), batch, out);
  });
}

std::vector<double> DatasetEvaluator::gradient(const ParamSubset& subset) {
  backend::Buffer<double> sum(model_.backend_ptr(), subset.size());
  backend::for_each(model_.backend(), subset.size(), kernels::Fill{sum.data(), 0.0});
  const double scale = 1.0 / static_cast<double>(global_count_);
  for_each_batch([&](index, const Batch& batch) {
    model_.gradient(workspace_, params_.data(), batch, subset, nullptr, scale, sum.data());
  });
  return reduce(sum);
}

std::vector<double> DatasetEvaluator::curvature_product(const ParamSubset& subset,
                                                        Curvature curvature,
                                                        const std::vector<double>& v) {
  check_direction(subset, v);
  const backend::Buffer<double> direction(model_.backend_ptr(), v);
  backend::Buffer<double> sum(model_.backend_ptr(), subset.size());
  backend::for_each(model_.backend(), subset.size(), kernels::Fill{sum.data(), 0.0});
  const double scale = 1.0 / static_cast<double>(global_count_);
  for_each_batch([&](index, const Batch& batch) {
    model_.curvature_product(workspace_, params_.data(), batch, subset, curvature, direction.data(),
                             scale, sum.data());
  });
  return reduce(sum);
}

std::vector<double> DatasetEvaluator::covariance_product(const ParamSubset& subset,
                                                         const std::vector<double>& v,
                                                         bool centered) {
  check_direction(subset, v);
  const backend::Buffer<double> direction(model_.backend_ptr(), v);
  backend::Buffer<double> jv(model_.backend_ptr(), batch_size_);
  backend::Buffer<double> sum(model_.backend_ptr(), subset.size());
  backend::for_each(model_.backend(), subset.size(), kernels::Fill{sum.data(), 0.0});
  const double scale = 1.0 / static_cast<double>(global_count_);
  // (1/N) J^T (J v): per batch, the sample-wise products g_n.v weight one backward pass.
  for_each_batch([&](index, const Batch& batch) {
    model_.jacobian_product(workspace_, params_.data(), batch, subset, direction.data(), jv.data());
    model_.gradient(workspace_, params_.data(), batch, subset, jv.data(), scale, sum.data());
  });
  std::vector<double> result = reduce(sum);
  if (!centered) return result;
  const Reduction reduction = reduction_;
  reduction_ = Reduction::allreduce;  // the mean gradient is always the global one
  const std::vector<double> mean = gradient(subset);
  reduction_ = reduction;
  double mean_dot_v = 0.0;
  for (size_t i = 0; i < v.size(); ++i) mean_dot_v += mean[i] * v[i];
  // In local mode every rank holds a share; the mean term is split evenly so the sum is exact.
  const double share = reduction_ == Reduction::local ? 1.0 / comm_.size() : 1.0;
  for (size_t i = 0; i < v.size(); ++i) result[i] -= share * mean[i] * mean_dot_v;
  return result;
}

std::vector<double> DatasetEvaluator::local_jacobian_product(const ParamSubset& subset,
                                                             const std::vector<double>& v) {
  check_direction(subset, v);
  const backend::Buffer<double> direction(model_.backend_ptr(), v);
  backend::Buffer<double> jv(model_.backend_ptr(), std::max<index>(local_count_, 1));
  for_each_batch([&](index first, const Batch& batch) {
    model_.jacobian_product(workspace_, params_.data(), batch, subset, direction.data(),
                            jv.data() + first);
  });
  std::vector<double> result = jv.to_host();
  result.resize(static_cast<size_t>(local_count_));
  return result;
}

}  // namespace hesscov::nn
