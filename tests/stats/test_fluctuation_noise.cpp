// Tests of the gradient-noise autocorrelation and the white-noise fraction (SCIENCE.md "Study 2":
// cov(δg_k, δg_{k+h}) and "Measurement"): hand-computed lags, white noise inside its 2σ band,
// epoch sampling without replacement (ρ(1) = −1/M, Σ_{h=1}^{M} ρ(h) = −1/2, ε = 0) and with
// replacement (ε = 1), each simulated from fixed seeds.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "stats/fluctuation.hpp"
#include "stats/fluctuation_series.hpp"
#include "support/expect.hpp"

namespace hesscov::stats {
namespace {

using Series = std::vector<double>;

// x = {1, −1, 2, 0, −2} (mean 0): γ(0) = 10/5 = 2, γ(1) = (−1 − 2 + 0 + 0)/4 = −0.75,
// γ(2) = (2 + 0 − 4)/3 = −2/3: ρ = {1, −0.375, −1/3}. Shifted by +1 the mean is 1: subtracting it
// gives the same ρ; keeping it gives γ(0) = 15/5 = 3, γ(1) = (0 + 0 + 3 − 1)/4 = 0.5, ρ(1) = 1/6.
TEST(FluctuationNoise, HandComputedAutocorrelation) {
  const Series centred = {1.0, -1.0, 2.0, 0.0, -2.0}, shifted = {2.0, 0.0, 3.0, 1.0, -1.0};
  const Series rho = autocorrelation(centred, 2);
  ASSERT_EQ(rho.size(), 3u);
  EXPECT_DOUBLE_EQ(rho[0], 1.0);
  EXPECT_NEAR(rho[1], -0.375, 1e-15);
  EXPECT_NEAR(rho[2], -1.0 / 3.0, 1e-15);
  const Series demeaned = autocorrelation(shifted, 2, true);
  EXPECT_NEAR(demeaned[1], -0.375, 1e-15);
  EXPECT_NEAR(demeaned[2], -1.0 / 3.0, 1e-15);
  EXPECT_NEAR(autocorrelation(shifted, 1, false)[1], 1.0 / 6.0, 1e-15);
  // ε = 1 + 2(−0.375 − 1/3) with M = 2; with M = 1 only ρ(1).
  EXPECT_NEAR(white_noise_fraction(rho, 2), 1.0 + 2.0 * (-0.375 - 1.0 / 3.0), 1e-15);
  EXPECT_NEAR(white_noise_fraction(rho, 1), 0.25, 1e-15);
  for (double value : autocorrelation(Series(6, 0.0), 3)) EXPECT_TRUE(std::isnan(value));
}

// Columns: the series above (ρ(1) = −0.375), zeros (a NaN row, left out of the mean), and
// {1, 1, −1, −1, 0}: γ(0) = 4/5, γ(1) = (1 − 1 + 1 + 0)/4 = 1/4, ρ(1) = 5/16. With two valid
// directions the mean is their average and 2·SE = 2·(|a − b|/√2)/√2 = |a − b|.
TEST(FluctuationNoise, DirectionMeanAndBandOfHandComputedColumns) {
  const Series first = {1.0, -1.0, 2.0, 0.0, -2.0}, second = {1.0, 1.0, -1.0, -1.0, 0.0};
  Series noise;
  for (size_t t = 0; t < 5; ++t) noise.insert(noise.end(), {first[t], 0.0, second[t]});
  const NoiseAutocorrelation result = noise_autocorrelation(noise, 5, 3, 1);
  EXPECT_EQ(result.max_lag, 1);
  EXPECT_EQ(result.directions, 3);
  EXPECT_EQ(result.valid_directions, 2);
  ASSERT_EQ(result.rho.size(), 6u);
  EXPECT_NEAR(result.rho[1], -0.375, 1e-15);
  EXPECT_TRUE(std::isnan(result.rho[2]) && std::isnan(result.rho[3]));
  EXPECT_NEAR(result.rho[5], 5.0 / 16.0, 1e-15);
  EXPECT_DOUBLE_EQ(result.mean[0], 1.0);
  EXPECT_DOUBLE_EQ(result.band[0], 0.0);
  EXPECT_NEAR(result.mean[1], 0.5 * (-0.375 + 5.0 / 16.0), 1e-15);
  EXPECT_NEAR(result.band[1], 0.375 + 5.0 / 16.0, 1e-15);
  const std::vector<double> epsilon = white_noise_fractions(result, 1);
  EXPECT_NEAR(epsilon[0], 0.25, 1e-15);
  EXPECT_TRUE(std::isnan(epsilon[1]));
  EXPECT_NEAR(epsilon[2], 1.625, 1e-15);
}

// k independent directions of unit white noise (the with-replacement limit, any distribution).
Series white_noise(size_t steps, size_t k, std::uint64_t seed) {
  const core::CounterRng rng(seed, "test/fluctuation/white");
  Series noise(steps * k);
  for (size_t j = 0; j < noise.size(); ++j) noise[j] = rng.normal(j);
  return noise;
}

// For white noise ρ̂_i(h), h ≥ 1, has standard deviation ≈ 1/√T, so 2·SE ≈ 2/√(Tk). Over H = 60
// lags a 2σ band holds the mean ~95% of the time: the count outside is Binomial(60, 0.046) (mean
// 2.7, sd 1.6), so at most 9 outside is a 4σ bound, and no lag beyond 2.25 bands (4.5σ).
TEST(FluctuationNoise, WhiteNoiseStaysInsideTheBand) {
  const size_t steps = 20000, k = 50;
  const index max_lag = 60;
  const NoiseAutocorrelation result = noise_autocorrelation(white_noise(steps, k, 3), steps, k, max_lag);
  EXPECT_EQ(result.valid_directions, static_cast<index>(k));
  int outside = 0;
  double band_sum = 0.0;
  for (index h = 1; h <= max_lag; ++h) {
    const double mean = result.mean[static_cast<size_t>(h)], band = result.band[static_cast<size_t>(h)];
    if (std::abs(mean) > band) ++outside;
    EXPECT_LT(std::abs(mean), 2.25 * band) << "lag " << h;
    band_sum += band;
  }
  EXPECT_LE(outside, 9);
  // The band itself: the mean over 60 lags of a sample std from 50 directions is good to ~1.5%.
  EXPECT_NEAR(band_sum / max_lag, 2.0 / std::sqrt(static_cast<double>(steps * k)), 0.06 * 2.0 / std::sqrt(steps * k));
}

// Epoch sampling: per direction N fixed centred values, a fresh permutation per epoch (Fisher-
// Yates on counter streams), batch S, M = N/S batch means per epoch; with_replacement draws every
// batch uniformly with replacement instead. Directions have independent values and permutations,
// so the spread over directions gives the standard errors.
Series sampled_noise(size_t n_samples, size_t batch, size_t epochs, size_t k, bool with_replacement,
                     std::uint64_t seed) {
  const size_t m = n_samples / batch, steps = m * epochs;
  Series noise(steps * k);
  for (size_t i = 0; i < k; ++i) {
    const core::CounterRng rng(seed, "test/fluctuation/epochs/" + std::to_string(i));
    Series values(n_samples);
    for (size_t n = 0; n < n_samples; ++n) values[n] = rng.normal(n);
    const double mean = std::accumulate(values.begin(), values.end(), 0.0) / n_samples;
    for (double& v : values) v -= mean;
    std::vector<size_t> order(n_samples);
    std::iota(order.begin(), order.end(), size_t{0});
    std::uint64_t counter = 1u << 20;
    for (size_t epoch = 0; epoch < epochs; ++epoch) {
      for (size_t j = n_samples - 1; j > 0; --j) {
        const auto pick = static_cast<size_t>(rng.uniform(counter++) * static_cast<double>(j + 1));
        std::swap(order[j], order[std::min(pick, j)]);
      }
      for (size_t b = 0; b < m; ++b) {
        double sum = 0.0;
        for (size_t s = 0; s < batch; ++s) {
          const size_t n = with_replacement
                               ? std::min(static_cast<size_t>(rng.uniform(counter++) * n_samples), n_samples - 1)
                               : order[b * batch + s];
          sum += values[n];
        }
        noise[(epoch * m + b) * k + i] = sum / batch;
      }
    }
  }
  return noise;
}

// E ρ̂(h) for epoch sampling with T a multiple of M: of the T − h pairs at lag h ≤ M, (T/M)(M − h)
// lie in one epoch, where two distinct batch means have covariance −Var/(M − 1) (the M batch means
// of a permutation of centred values sum to zero); pairs across epochs are independent. So
// E ρ̂(h) = −(M − h)T/(M(M − 1)(T − h)) → −(M − h)/(M(M − 1)) (SCIENCE.md) as T → ∞.
double expected_epoch_rho(double h, double m, double steps) { return -(m - h) * steps / (m * (m - 1.0) * (steps - h)); }

TEST(FluctuationNoise, EpochSamplingIsAntiCorrelatedWithinAnEpoch) {
  const size_t n_samples = 100, batch = 5, m = 20, epochs = 1000, k = 40, steps = m * epochs;
  const index max_lag = 3 * static_cast<index>(m);
  const Series noise = sampled_noise(n_samples, batch, epochs, k, false, 7);
  const NoiseAutocorrelation result = noise_autocorrelation(noise, steps, k, max_lag);
  const double md = static_cast<double>(m), td = static_cast<double>(steps);
  // ρ̄(1) ≈ −1/M = −0.05 with 2·SE ≈ 2/√(Tk) ≈ 0.0022; within 2 bands (4σ) of the expectation.
  EXPECT_NEAR(result.mean[1], expected_epoch_rho(1.0, md, td), 2.0 * result.band[1]);
  EXPECT_NEAR(result.mean[1], -1.0 / md, 0.1 / md);
  for (index h = 1; h <= max_lag; ++h) {
    const double expected = h <= static_cast<index>(m) ? expected_epoch_rho(static_cast<double>(h), md, td) : 0.0;
    EXPECT_NEAR(result.mean[static_cast<size_t>(h)], expected, 2.25 * result.band[static_cast<size_t>(h)])
        << "lag " << h;
  }
  const std::vector<double> epsilon = white_noise_fractions(result, static_cast<index>(m));
  double sum = 0.0, squares = 0.0, expected_sum = 0.0;
  for (double e : epsilon) sum += e, squares += e * e;
  for (size_t h = 1; h <= m; ++h) expected_sum += expected_epoch_rho(static_cast<double>(h), md, td);
  const double mean = sum / k, se = std::sqrt((squares - k * mean * mean) / (k - 1.0) / k);
  double rho_sum = 0.0;
  for (size_t h = 1; h <= m; ++h) rho_sum += result.mean[h];
  EXPECT_NEAR(rho_sum, -0.5, 4.0 * se / 2.0 + std::abs(expected_sum + 0.5));
  EXPECT_NEAR(mean, 1.0 + 2.0 * expected_sum, 4.0 * se) << "SE " << se;
  EXPECT_NEAR(mean, 0.0, 0.05);
  EXPECT_LT(se, 0.02);  // so that ε = 1 (white) would be far outside
}

TEST(FluctuationNoise, WithReplacementSamplingIsWhite) {
  const size_t n_samples = 100, batch = 5, m = 20, epochs = 1000, k = 40, steps = m * epochs;
  const Series noise = sampled_noise(n_samples, batch, epochs, k, true, 7);
  const NoiseAutocorrelation result = noise_autocorrelation(noise, steps, k, static_cast<index>(m));
  EXPECT_NEAR(result.mean[1], 0.0, 2.25 * result.band[1]);
  const std::vector<double> epsilon = white_noise_fractions(result, static_cast<index>(m));
  double sum = 0.0, squares = 0.0;
  for (double e : epsilon) sum += e, squares += e * e;
  const double mean = sum / k, se = std::sqrt((squares - k * mean * mean) / (k - 1.0) / k);
  // Per direction ε̂ − 1 = 2Σρ̂ has sd ≈ 2√(M/T) ≈ 0.063, so SE ≈ 0.01.
  EXPECT_NEAR(mean, 1.0, 4.0 * se) << "SE " << se;
  EXPECT_LT(se, 0.02);
}

TEST(FluctuationNoise, RejectsBadLagsAndShapes) {
  testing::expect_error_naming<core::Error>([] { (void)autocorrelation(Series(5, 1.0), 5); }, "max_lag");
  testing::expect_error_naming<core::Error>([] { (void)autocorrelation(Series(5, 1.0), -1); }, "max_lag");
  testing::expect_error_naming<core::DimensionMismatch>([] { (void)noise_autocorrelation(Series(9, 1.0), 5, 2, 1); },
                                                        "noise");
  const NoiseAutocorrelation result = noise_autocorrelation(Series(10, 1.0), 5, 2, 2);
  testing::expect_error_naming<core::Error>([&] { (void)white_noise_fractions(result, 3); }, "steps_per_epoch");
  testing::expect_error_naming<core::Error>([] { (void)white_noise_fraction(Series{1.0, 0.5}, 2); }, "lags");
}

}  // namespace
}  // namespace hesscov::stats
