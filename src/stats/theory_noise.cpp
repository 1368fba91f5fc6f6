#include "stats/theory_noise.hpp"

#include <cstdlib>
#include <string>

#include "core/error.hpp"

namespace hesscov::stats::theory {
namespace {

void check_batch(index num_samples, index batch_size, const char* caller) {
  HC_CHECK(batch_size >= 1 && batch_size <= num_samples, core::Error,
           std::string(caller) + ": batch size S = " + std::to_string(batch_size) + " must satisfy 1 <= S <= N = " +
               std::to_string(num_samples));
}

}  // namespace

index batches_per_epoch(index num_samples, index batch_size) {
  check_batch(num_samples, batch_size, "batches_per_epoch");
  HC_CHECK(num_samples % batch_size == 0, core::Error,
           "batches_per_epoch: N = " + std::to_string(num_samples) + " is not a multiple of S = " +
               std::to_string(batch_size) + " (epoch formulas need equal batches)");
  return num_samples / batch_size;
}

double minibatch_factor(index num_samples, index batch_size, Sampling sampling) {
  check_batch(num_samples, batch_size, "minibatch_factor");
  const auto n = static_cast<double>(num_samples), s = static_cast<double>(batch_size);
  if (sampling == Sampling::with_replacement) return 1.0 / s;
  HC_CHECK(num_samples >= 2, core::Error, "minibatch_factor: without replacement needs N >= 2");
  return (n - s) / (s * (n - 1.0));
}

double epoch_noise_factor(index num_samples, index batch_size) {
  check_batch(num_samples, batch_size, "epoch_noise_factor");
  HC_CHECK(num_samples >= 2, core::Error, "epoch_noise_factor: needs N >= 2 (C0 divides by N - 1)");
  // (N − S)/(S N) rather than 1/S − 1/N: no cancellation when S is close to N.
  const auto n = static_cast<double>(num_samples), s = static_cast<double>(batch_size);
  return (n - s) / (s * n);
}

double epoch_noise_correlation(index batches, index lag) {
  HC_CHECK(batches >= 1, core::Error, "epoch_noise_correlation: M = " + std::to_string(batches) + " must be >= 1");
  const index h = std::llabs(lag);
  if (h == 0) return 1.0;
  if (batches == 1 || h >= batches) return 0.0;
  const auto m = static_cast<double>(batches);
  return -(m - static_cast<double>(h)) / (m * (m - 1.0));
}

std::vector<double> epoch_noise_autocorrelation(index batches, index max_lag) {
  HC_CHECK(max_lag >= 0, core::Error, "epoch_noise_autocorrelation: max lag " + std::to_string(max_lag) + " < 0");
  std::vector<double> rho(static_cast<size_t>(max_lag + 1));
  for (index h = 0; h <= max_lag; ++h) rho[static_cast<size_t>(h)] = epoch_noise_correlation(batches, h);
  return rho;
}

std::vector<double> centered_second_moment(const std::vector<double>& per_sample, index num_samples,
                                           index num_params) {
  HC_CHECK(num_samples >= 1 && num_params >= 1 &&
               static_cast<index>(per_sample.size()) == num_samples * num_params,
           core::DimensionMismatch,
           "centered_second_moment: " + std::to_string(per_sample.size()) + " entries, expected N*P = " +
               std::to_string(num_samples) + "*" + std::to_string(num_params));
  const auto p = static_cast<size_t>(num_params);
  std::vector<double> mean(p, 0.0);
  for (index n = 0; n < num_samples; ++n)
    for (size_t j = 0; j < p; ++j) mean[j] += per_sample[static_cast<size_t>(n) * p + j];
  for (double& m : mean) m /= static_cast<double>(num_samples);
  std::vector<double> moment(p * p, 0.0), centred(p);
  for (index n = 0; n < num_samples; ++n) {
    for (size_t j = 0; j < p; ++j) centred[j] = per_sample[static_cast<size_t>(n) * p + j] - mean[j];
    for (size_t i = 0; i < p; ++i)
      for (size_t j = 0; j < p; ++j) moment[i * p + j] += centred[i] * centred[j];
  }
  for (double& m : moment) m /= static_cast<double>(num_samples);
  return moment;
}

std::vector<double> minibatch_noise_covariance(const std::vector<double>& per_sample, index num_samples,
                                               index num_params, index batch_size, Sampling sampling) {
  const double factor = minibatch_factor(num_samples, batch_size, sampling);
  std::vector<double> covariance = centered_second_moment(per_sample, num_samples, num_params);
  for (double& c : covariance) c *= factor;
  return covariance;
}

}  // namespace hesscov::stats::theory
