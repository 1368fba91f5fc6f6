// Tests of fluctuation_statistics, the one-call driver (SCIENCE.md "Study 2", "Measurement"):
// exact power laws built from closed-form trajectories, agreement with the per-quantity
// functions, an end-to-end simulated run, and its argument checks.
#include "stats/fluctuation.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "support/expect.hpp"

namespace hesscov::stats {
namespace {

using Array = std::vector<double>;

// k directions, λ_i = 10·0.8^i, T even. θ_t,i = level_i + drift_i·t + A_i cos(2π·3(t − t̄)/T) has
// least-squares (and endpoint) variance A_i²/2 exactly (see test_fluctuation_series.cpp), and
// v_t,i = u_i + B_i(−1)^t has variance B_i² exactly. With A_i² = 2·c·λ_i^p and B_i² = d·λ_i^q:
// σ²_θ = cλ^p, σ²_v = dλ^q and τ = (2c/d)λ^(p−q), all exact power laws.
struct ExactWindow {
  index steps = 0, k = 0;
  Array eigvals, weights, velocities;
};

ExactWindow exact_window(index steps, index k, double p, double q) {
  ExactWindow window{steps, k, {}, Array(static_cast<size_t>(steps * k)), Array(static_cast<size_t>(steps * k))};
  const double count = static_cast<double>(steps), centre = 0.5 * (count - 1.0);
  for (index i = 0; i < k; ++i) window.eigvals.push_back(10.0 * std::pow(0.8, static_cast<double>(i)));
  for (index t = 0; t < steps; ++t) {
    const double time = static_cast<double>(t);
    const double wave = std::cos(2.0 * std::numbers::pi * 3.0 * (time - centre) / count);
    for (index i = 0; i < k; ++i) {
      const double lambda = window.eigvals[static_cast<size_t>(i)];
      const double amplitude = std::sqrt(2.0 * 0.4 * std::pow(lambda, p));
      const double velocity_amplitude = std::sqrt(3.0 * std::pow(lambda, q));
      window.weights[static_cast<size_t>(t * k + i)] = 5.0 * i - 1e-3 * i * time + amplitude * wave;
      window.velocities[static_cast<size_t>(t * k + i)] = 0.2 * i + velocity_amplitude * (t % 2 == 0 ? 1.0 : -1.0);
    }
  }
  return window;
}

TEST(FluctuationDriver, RecoversExactPowerLaws) {
  const double p = -1.0, q = 0.5;
  const ExactWindow window = exact_window(1000, 30, p, q);
  FluctuationOptions options;
  options.steps_per_epoch = 10;
  options.theta_fit = {0, 20};
  options.tau_fit = {5, -1};
  options.crossover.n_flat = 5;
  const FluctuationStats stats = fluctuation_statistics(
      {window.steps, window.k, window.eigvals, window.weights, window.velocities, {}}, options);
  ASSERT_TRUE(stats.theta_fit.ok() && stats.velocity_fit.ok() && stats.tau_fit.ok());
  EXPECT_NEAR(stats.theta_fit.fit.exponent, p, 1e-10);
  EXPECT_NEAR(stats.theta_fit.fit.intercept, std::log(0.4), 1e-10);
  EXPECT_EQ(stats.theta_fit.fit.used, 20);
  EXPECT_NEAR(stats.velocity_fit.fit.exponent, q, 1e-10);
  EXPECT_NEAR(stats.velocity_fit.fit.intercept, std::log(3.0), 1e-10);
  EXPECT_EQ(stats.velocity_fit.fit.used, 30);
  EXPECT_NEAR(stats.tau_fit.fit.exponent, p - q, 1e-10);
  EXPECT_NEAR(stats.tau_fit.fit.intercept, std::log(0.8 / 3.0), 1e-10);
  EXPECT_EQ(stats.tau_fit.fit.used, 25);
  for (index i = 0; i < window.k; ++i) {
    const double lambda = window.eigvals[static_cast<size_t>(i)];
    EXPECT_NEAR(stats.sigma2_theta_endpoint[static_cast<size_t>(i)], 0.4 * std::pow(lambda, p),
                1e-12 * std::pow(lambda, p));
    EXPECT_NEAR(stats.tau_endpoint[static_cast<size_t>(i)], stats.tau_lsq[static_cast<size_t>(i)],
                1e-11 * stats.tau_lsq[static_cast<size_t>(i)]);
  }
  // τ ∝ λ^(−1.5) has no plateau: the crossover is the line (exact) met with the mean of the last
  // five τ, which the driver must take from τ_lsq.
  EXPECT_TRUE(stats.crossover.ok()) << stats.crossover.reason;
  EXPECT_NEAR(stats.crossover.fast_line.fit.exponent, p - q, 1e-10);
  double tail = 0.0;
  for (index i = 25; i < 30; ++i) tail += stats.tau_lsq[static_cast<size_t>(i)] / 5.0;
  EXPECT_NEAR(stats.crossover.tau_sgd, tail, 1e-12 * tail);
  EXPECT_NEAR(stats.crossover.lambda_cross, std::pow(tail / (0.8 / 3.0), 1.0 / (p - q)), 1e-10);
  EXPECT_FALSE(stats.has_noise);
  EXPECT_TRUE(stats.white_fraction.empty() && stats.noise.rho.empty());
  EXPECT_TRUE(std::isnan(stats.white_fraction_mean));
}

// An SGD-like window: direction i is θ_t = (1 − ηλ_i)θ_{t−1} − ηξ_t with white ξ (the recorded
// noise), plus a drift; τ_i = 1/(ηλ_i) (SCIENCE.md, β = 0, uncorrelated noise), so the τ fit has
// slope −1 within its own standard error, and ε ≈ 1. Checks the driver against the per-quantity
// functions on the same arrays and the default H = min(3M, T − 1).
TEST(FluctuationDriver, SimulatedWhiteNoiseWindow) {
  const index steps = 50000, k = 24, m = 50;
  const double eta = 0.1;
  Array eigvals, weights(static_cast<size_t>(steps * k)), velocities(weights.size()), noise(weights.size());
  for (index i = 0; i < k; ++i) eigvals.push_back(5.0 * std::pow(0.85, static_cast<double>(i)));
  for (index i = 0; i < k; ++i) {
    const core::CounterRng rng(21, "test/fluctuation/driver/" + std::to_string(i));
    const double a = 1.0 - eta * eigvals[static_cast<size_t>(i)];
    double state = 0.0, previous = 0.0;
    for (index t = -2000; t < steps; ++t) {  // burn-in to stationarity
      const double xi = rng.normal(static_cast<std::uint64_t>(t + 2000));
      state = a * state - eta * xi;
      const double theta = state + 1e-4 * static_cast<double>(t);
      if (t >= 0) {
        const auto at = static_cast<size_t>(t * k + i);
        weights[at] = theta;
        velocities[at] = theta - previous;
        noise[at] = xi;
      }
      previous = theta;
    }
  }
  FluctuationOptions options;
  options.steps_per_epoch = m;
  options.crossover.n_fast = 10;
  options.crossover.n_flat = 5;
  const FluctuationStats stats = fluctuation_statistics({steps, k, eigvals, weights, velocities, noise}, options);

  EXPECT_EQ(stats.sigma2_theta_lsq, weight_variance_lsq(weights, steps, k));
  EXPECT_EQ(stats.sigma2_theta_endpoint, weight_variance_endpoint(weights, steps, k));
  EXPECT_EQ(stats.sigma2_v, velocity_variance(velocities, steps, k));
  EXPECT_EQ(stats.tau_lsq, correlation_times(stats.sigma2_theta_lsq, stats.sigma2_v));
  ASSERT_TRUE(stats.has_noise);
  EXPECT_EQ(stats.noise.max_lag, 3 * m);
  EXPECT_EQ(stats.noise.rho, noise_autocorrelation(noise, steps, k, 3 * m).rho);
  EXPECT_EQ(stats.white_fraction, white_noise_fractions(stats.noise, m));
  double rho_sum = 0.0;
  for (index h = 1; h <= m; ++h) rho_sum += stats.noise.mean[static_cast<size_t>(h)];
  EXPECT_NEAR(stats.white_fraction_mean, 1.0 + 2.0 * rho_sum, 1e-12);

  // Per direction ε̂ − 1 has sd ≈ 2√(M/T) = 0.063, so 2·SE over 24 directions ≈ 0.026.
  EXPECT_NEAR(stats.white_fraction_mean, 1.0, 2.0 * stats.white_fraction_band);
  EXPECT_LT(stats.white_fraction_band, 0.05);
  ASSERT_TRUE(stats.tau_fit.ok()) << stats.tau_fit.failure;
  EXPECT_NEAR(stats.tau_fit.fit.exponent, -1.0, 4.0 * stats.tau_fit.fit.standard_error);
  EXPECT_LT(stats.tau_fit.fit.standard_error, 0.02);
  EXPECT_NEAR(stats.tau_fit.fit.intercept, -std::log(eta), 0.05);
  // Per direction, the relative error bound of Ar1CorrelationTimeMatchesClosedForm (a = 1 − ηλ).
  for (index i = 0; i < k; ++i) {
    const double a = 1.0 - eta * eigvals[static_cast<size_t>(i)], expected = 1.0 / (1.0 - a);
    const double relative = std::sqrt(2.0 * (1.0 + a * a) / ((1.0 - a * a) * steps)) + std::sqrt(3.0 / steps);
    EXPECT_NEAR(stats.tau_lsq[static_cast<size_t>(i)], expected, 4.0 * relative * expected) << "direction " << i;
  }
}

TEST(FluctuationDriver, RejectsBadShapesAndOptions) {
  const ExactWindow window = exact_window(20, 4, -1.0, 0.0);
  FluctuationOptions options;
  options.steps_per_epoch = 4;
  options.crossover.n_fast = 3;
  options.crossover.n_flat = 1;
  const Array short_velocities(window.velocities.begin(), window.velocities.end() - 1);
  testing::expect_error_naming<core::DimensionMismatch>(
      [&] {
        (void)fluctuation_statistics({20, 4, window.eigvals, window.weights, short_velocities, {}}, options);
      },
      "velocities");
  testing::expect_error_naming<core::DimensionMismatch>(
      [&] {
        (void)fluctuation_statistics({20, 4, window.eigvals, window.weights, window.velocities, Array(7, 0.0)},
                                     options);
      },
      "noise");
  const Array three_eigvals(window.eigvals.begin(), window.eigvals.begin() + 3);
  testing::expect_error_naming<core::DimensionMismatch>(
      [&] { (void)fluctuation_statistics({20, 4, three_eigvals, window.weights, window.velocities, {}}, options); },
      "eigenvalues");
  const FluctuationInput input{20, 4, window.eigvals, window.weights, window.velocities, window.weights};
  FluctuationOptions bad = options;
  bad.steps_per_epoch = 0;
  testing::expect_error_naming<core::Error>([&] { (void)fluctuation_statistics(input, bad); }, "steps_per_epoch");
  bad = options;
  bad.max_lag = 3;
  testing::expect_error_naming<core::Error>([&] { (void)fluctuation_statistics(input, bad); }, "max_lag");
  bad.max_lag = 20;
  testing::expect_error_naming<core::Error>([&] { (void)fluctuation_statistics(input, bad); }, "max_lag");
  bad = options;
  bad.crossover.n_fast = 1;
  testing::expect_error_naming<core::Error>([&] { (void)fluctuation_statistics(input, bad); }, "n_fast");
  // Default H = min(3M, T − 1) = 12 here; a window shorter than 3M clamps to T − 1.
  EXPECT_EQ(fluctuation_statistics(input, options).noise.max_lag, 12);
  options.steps_per_epoch = 8;
  EXPECT_EQ(fluctuation_statistics(input, options).noise.max_lag, 19);
}

}  // namespace
}  // namespace hesscov::stats
