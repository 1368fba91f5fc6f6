#include "stats/fluctuation.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <tuple>
#include <utility>

#include "core/error.hpp"
#include "stats/alignment_stats.hpp"
#include "stats/fluctuation_series.hpp"

namespace hesscov::stats {
namespace {

using std::size_t;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_array(std::span<const double> values, index steps, index directions, const char* caller,
                 const char* name) {
  HC_CHECK(steps >= 0 && directions >= 0, core::DimensionMismatch,
           std::string(caller) + ": T = " + std::to_string(steps) + " and k = " + std::to_string(directions) +
               " must be >= 0");
  HC_CHECK(static_cast<index>(values.size()) == steps * directions, core::DimensionMismatch,
           std::string(caller) + ": " + name + " has " + std::to_string(values.size()) +
               " entries, expected T*k = " + std::to_string(steps) + "*" + std::to_string(directions));
}

// Column i of a row-major [T × k] array, contiguous.
std::vector<double> column(std::span<const double> values, index steps, index directions, index i) {
  std::vector<double> series(static_cast<size_t>(steps));
  for (index t = 0; t < steps; ++t) series[static_cast<size_t>(t)] = values[static_cast<size_t>(t * directions + i)];
  return series;
}

template <class Kernel>
std::vector<double> per_column(std::span<const double> values, index steps, index directions, const char* caller,
                               const char* name, Kernel kernel) {
  check_array(values, steps, directions, caller, name);
  std::vector<double> result(static_cast<size_t>(directions));
  for (index i = 0; i < directions; ++i) result[static_cast<size_t>(i)] = kernel(column(values, steps, directions, i));
  return result;
}

// Mean and 2·SE over the finite entries of `values` (summarize: divisor n − 1).
std::pair<double, double> mean_and_band(const std::vector<double>& values) {
  std::vector<double> finite;
  for (double value : values)
    if (std::isfinite(value)) finite.push_back(value);
  if (finite.empty()) return {kNaN, kNaN};
  const SeedSummary summary = summarize(finite);
  const double band =
      summary.n < 2 ? kNaN : 2.0 * summary.std / std::sqrt(static_cast<double>(summary.n));
  return {summary.mean, band};
}

}  // namespace

std::vector<double> weight_variance_endpoint(std::span<const double> weights, index steps, index directions) {
  return per_column(weights, steps, directions, "weight_variance_endpoint", "weights",
                    [](const std::vector<double>& series) { return endpoint_detrended_variance(series); });
}

std::vector<double> weight_variance_lsq(std::span<const double> weights, index steps, index directions) {
  return per_column(weights, steps, directions, "weight_variance_lsq", "weights",
                    [](const std::vector<double>& series) { return lsq_detrended_variance(series); });
}

std::vector<double> velocity_variance(std::span<const double> velocities, index steps, index directions) {
  return per_column(velocities, steps, directions, "velocity_variance", "velocities",
                    [](const std::vector<double>& series) { return centred_variance(series); });
}

std::vector<double> correlation_times(const std::vector<double>& sigma2_theta, const std::vector<double>& sigma2_v) {
  HC_CHECK(sigma2_theta.size() == sigma2_v.size(), core::DimensionMismatch,
           "correlation_times: " + std::to_string(sigma2_theta.size()) + " weight variances but " +
               std::to_string(sigma2_v.size()) + " velocity variances");
  std::vector<double> tau(sigma2_theta.size());
  for (size_t i = 0; i < tau.size(); ++i) tau[i] = sigma2_v[i] > 0.0 ? 2.0 * sigma2_theta[i] / sigma2_v[i] : kNaN;
  return tau;
}

NoiseAutocorrelation noise_autocorrelation(std::span<const double> noise, index steps, index directions,
                                           index max_lag, bool subtract_mean) {
  check_array(noise, steps, directions, "noise_autocorrelation", "noise");
  HC_CHECK(max_lag >= 0 && max_lag < steps, core::Error,
           "noise_autocorrelation: max_lag = " + std::to_string(max_lag) + " must lie in [0, T) for T = " +
               std::to_string(steps));
  NoiseAutocorrelation result;
  result.max_lag = max_lag;
  result.directions = directions;
  const auto lags = static_cast<size_t>(max_lag + 1);
  result.rho.resize(static_cast<size_t>(directions) * lags);
  for (index i = 0; i < directions; ++i) {
    const std::vector<double> rho = autocorrelation(column(noise, steps, directions, i), max_lag, subtract_mean);
    std::copy(rho.begin(), rho.end(), result.rho.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(i) * lags));
  }
  summarize_noise(result);
  return result;
}

void summarize_noise(NoiseAutocorrelation& noise) {
  const auto lags = static_cast<size_t>(noise.max_lag + 1);
  HC_CHECK(noise.rho.size() == static_cast<size_t>(noise.directions) * lags, core::DimensionMismatch,
           "summarize_noise: rho has " + std::to_string(noise.rho.size()) + " entries, expected k*(H+1)");
  noise.valid_directions = 0;
  for (index i = 0; i < noise.directions; ++i)
    if (std::isfinite(noise.rho[static_cast<size_t>(i) * lags])) ++noise.valid_directions;
  noise.mean.assign(lags, kNaN);
  noise.band.assign(lags, kNaN);
  std::vector<double> at_lag(static_cast<size_t>(noise.directions));
  for (size_t h = 0; h < lags; ++h) {
    for (index i = 0; i < noise.directions; ++i)
      at_lag[static_cast<size_t>(i)] = noise.rho[static_cast<size_t>(i) * lags + h];
    std::tie(noise.mean[h], noise.band[h]) = mean_and_band(at_lag);
  }
}

std::vector<double> noise_variance(std::span<const double> noise, index steps, index directions) {
  return per_column(noise, steps, directions, "noise_variance", "noise",
                    [](const std::vector<double>& series) { return centred_variance(series); });
}

std::vector<double> white_noise_fractions(const NoiseAutocorrelation& noise, index steps_per_epoch) {
  HC_CHECK(steps_per_epoch >= 1 && steps_per_epoch <= noise.max_lag, core::Error,
           "white_noise_fractions: steps_per_epoch = " + std::to_string(steps_per_epoch) +
               " must lie in [1, max_lag = " + std::to_string(noise.max_lag) + "]");
  const auto lags = static_cast<size_t>(noise.max_lag + 1);
  HC_CHECK(noise.rho.size() == static_cast<size_t>(noise.directions) * lags, core::DimensionMismatch,
           "white_noise_fractions: rho has " + std::to_string(noise.rho.size()) + " entries, expected k*(H+1)");
  std::vector<double> epsilon(static_cast<size_t>(noise.directions));
  for (size_t i = 0; i < epsilon.size(); ++i)
    epsilon[i] = white_noise_fraction(std::span<const double>(noise.rho).subspan(i * lags, lags), steps_per_epoch);
  return epsilon;
}

FluctuationStats direction_statistics(const FluctuationInput& input, const FluctuationOptions& options) {
  const index steps = input.steps, k = input.directions;
  check_array(input.weights, steps, k, "fluctuation_statistics", "weights");
  check_array(input.velocities, steps, k, "fluctuation_statistics", "velocities");
  HC_CHECK(static_cast<index>(input.eigvals.size()) == k, core::DimensionMismatch,
           "fluctuation_statistics: " + std::to_string(input.eigvals.size()) + " eigenvalues for k = " +
               std::to_string(k) + " directions");
  HC_CHECK(steps >= 2, core::Error,
           "fluctuation_statistics: T = " + std::to_string(steps) + " steps, at least 2 are needed for a detrend");
  HC_CHECK(options.steps_per_epoch >= 1, core::Error,
           "fluctuation_statistics: steps_per_epoch = " + std::to_string(options.steps_per_epoch) +
               " must be >= 1");
  check_crossover_options(options.crossover);
  const bool has_noise = !input.noise.empty();
  if (has_noise) check_array(input.noise, steps, k, "fluctuation_statistics", "noise");
  const index max_lag = options.max_lag == -1 ? std::min(3 * options.steps_per_epoch, steps - 1) : options.max_lag;
  if (has_noise)
    HC_CHECK(max_lag >= options.steps_per_epoch && max_lag < steps, core::Error,
             "fluctuation_statistics: max_lag = " + std::to_string(max_lag) + " must lie in [M, T) = [" +
                 std::to_string(options.steps_per_epoch) + ", " + std::to_string(steps) + ")");

  FluctuationStats stats;
  stats.steps = steps;
  stats.directions = k;
  stats.steps_per_epoch = options.steps_per_epoch;
  stats.sigma2_theta_endpoint = weight_variance_endpoint(input.weights, steps, k);
  stats.sigma2_theta_lsq = weight_variance_lsq(input.weights, steps, k);
  stats.sigma2_v = velocity_variance(input.velocities, steps, k);
  stats.tau_endpoint = correlation_times(stats.sigma2_theta_endpoint, stats.sigma2_v);
  stats.tau_lsq = correlation_times(stats.sigma2_theta_lsq, stats.sigma2_v);
  stats.has_noise = has_noise;
  if (has_noise) {
    stats.noise = noise_autocorrelation(input.noise, steps, k, max_lag, options.subtract_noise_mean);
    stats.white_fraction = white_noise_fractions(stats.noise, options.steps_per_epoch);
  }
  return stats;
}

void summarize_statistics(FluctuationStats& stats, const std::vector<double>& eigvals, const FluctuationOptions& options) {
  HC_CHECK(static_cast<index>(eigvals.size()) == stats.directions &&
               static_cast<index>(stats.tau_lsq.size()) == stats.directions,
           core::DimensionMismatch,
           "summarize_statistics: " + std::to_string(eigvals.size()) + " eigenvalues and " +
               std::to_string(stats.tau_lsq.size()) + " directions for k = " + std::to_string(stats.directions));
  stats.white_fraction_mean = stats.white_fraction_band = kNaN;
  if (stats.has_noise) {
    summarize_noise(stats.noise);
    std::tie(stats.white_fraction_mean, stats.white_fraction_band) = mean_and_band(stats.white_fraction);
  }
  stats.theta_fit = fit_power_law_or_nan(eigvals, stats.sigma2_theta_lsq, options.theta_fit);
  stats.velocity_fit = fit_power_law_or_nan(eigvals, stats.sigma2_v, options.velocity_fit);
  stats.tau_fit = fit_power_law_or_nan(eigvals, stats.tau_lsq, options.tau_fit);
  stats.crossover = empirical_crossover(eigvals, stats.tau_lsq, options.crossover);
}

FluctuationStats fluctuation_statistics(const FluctuationInput& input, const FluctuationOptions& options) {
  FluctuationStats stats = direction_statistics(input, options);
  summarize_statistics(stats, std::vector<double>(input.eigvals.begin(), input.eigvals.end()), options);
  return stats;
}

}  // namespace hesscov::stats
