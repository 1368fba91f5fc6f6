// Tier (a) tests of the Study 2 detrended variances and correlation times (SCIENCE.md "Study 2",
// "Measurement"): hand-computed five-step windows, closed forms (pure drift, a symmetric cosine,
// a discrete Legendre polynomial), a long-double reference at a large offset, the AR(1)
// correlation time, and the 7/6 inflation of the endpoint detrend on a simulated process.
#include "stats/fluctuation_series.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "stats/fluctuation.hpp"
#include "support/expect.hpp"

namespace hesscov::stats {
namespace {

using Series = std::vector<double>;

// θ = {1, 3, 2, 5, 4}. Endpoint: slope (4 − 1)/4 = 0.75, residuals {0, 1.25, −0.5, 1.75, 0}, mean
// 0.5, squared deviations {0.25, 0.5625, 1, 1.5625, 0.25}: 3.625/5 = 0.725. Least squares: t̄ = 2,
// θ̄ = 3, Σ(t−2)(θ−3) = 8, Σ(t−2)² = 10, b = 0.8, residuals {−0.4, 0.8, −1, 1.2, −0.6}: 3.6/5 = 0.72.
// v = {1, 2, −1, 3, −1}: mean 0.8, squared deviations sum to 12.8: 12.8/5 = 2.56.
TEST(FluctuationSeries, HandComputedFiveSteps) {
  const Series theta = {1.0, 3.0, 2.0, 5.0, 4.0}, velocity = {1.0, 2.0, -1.0, 3.0, -1.0};
  EXPECT_NEAR(endpoint_detrended_variance(theta), 0.725, 1e-15);
  EXPECT_NEAR(lsq_detrended_variance(theta), 0.72, 1e-15);
  EXPECT_NEAR(centred_variance(velocity), 2.56, 1e-15);
  EXPECT_DOUBLE_EQ(lsq_detrended_variance(Series{2.0, 7.0}), 0.0);
  EXPECT_DOUBLE_EQ(centred_variance(Series{4.0}), 0.0);
}

// The same window as column 1 of a [5 × 3] array (columns 0 and 2 are other directions), so the
// per-direction functions must read with stride k.
TEST(FluctuationSeries, ColumnsOfARecordedWindow) {
  const Series theta_1 = {1.0, 3.0, 2.0, 5.0, 4.0}, velocity_1 = {1.0, 2.0, -1.0, 3.0, -1.0};
  Series weights, velocities;
  for (size_t t = 0; t < 5; ++t) {
    const double step = static_cast<double>(t);
    weights.insert(weights.end(), {7.0 + 2.0 * step, theta_1[t], step * step});
    velocities.insert(velocities.end(), {2.0, velocity_1[t], step});
  }
  const std::vector<double> endpoint = weight_variance_endpoint(weights, 5, 3);
  const std::vector<double> lsq = weight_variance_lsq(weights, 5, 3);
  const std::vector<double> sigma2_v = velocity_variance(velocities, 5, 3);
  ASSERT_EQ(endpoint.size(), 3u);
  EXPECT_NEAR(endpoint[0], 0.0, 1e-14);
  EXPECT_NEAR(endpoint[1], 0.725, 1e-15);
  EXPECT_NEAR(lsq[1], 0.72, 1e-15);
  // t²: the endpoint residuals are t² − 4t = {0, −3, −4, −3, 0} (mean −2, variance 14/5);
  // the least-squares residuals are the Legendre p₂ = (t−2)² − 2 = {2, −1, −2, −1, 2} (14/5).
  EXPECT_NEAR(endpoint[2], 2.8, 1e-14);
  EXPECT_NEAR(lsq[2], 2.8, 1e-14);
  EXPECT_NEAR(sigma2_v[0], 0.0, 1e-15);
  EXPECT_NEAR(sigma2_v[1], 2.56, 1e-15);
  EXPECT_NEAR(sigma2_v[2], 2.0, 1e-15);
  const std::vector<double> tau = correlation_times(lsq, sigma2_v);
  EXPECT_NEAR(tau[1], 2.0 * 0.72 / 2.56, 1e-15);
  EXPECT_NEAR(tau[2], 2.0 * 2.8 / 2.0, 1e-14);
  EXPECT_TRUE(std::isnan(tau[0]));  // σ²_v = 0: no time scale
  EXPECT_NEAR(correlation_times(endpoint, sigma2_v)[1], 2.0 * 0.725 / 2.56, 1e-15);
}

TEST(FluctuationSeries, PureDriftHasNoVarianceAfterEitherDetrend) {
  const size_t steps = 20000;
  Series drift(steps);
  for (size_t t = 0; t < steps; ++t) drift[t] = 1234.5 + 0.1 * static_cast<double>(t);
  const double span_squared = std::pow(0.1 * static_cast<double>(steps), 2);
  EXPECT_LT(endpoint_detrended_variance(drift), 1e-28 * span_squared);
  EXPECT_LT(lsq_detrended_variance(drift), 1e-28 * span_squared);
  EXPECT_GT(centred_variance(drift), 0.08 * span_squared);  // (span²/12 before detrending)
}

// x_t = a + b t + A cos(2πm(t − t̄)/T): the cosine is even about t̄ (orthogonal to t − t̄) and sums
// to zero over m whole periods, so least squares removes exactly a + b t and leaves Σcos²/T = A²/2.
// Its endpoints are equal, so the endpoint slope is exactly b and the endpoint variance is A²/2 too.
TEST(FluctuationSeries, SymmetricCosineHasClosedFormVariance) {
  for (const size_t steps : {size_t{7}, size_t{100}, size_t{1001}}) {
    const double amplitude = 0.37, count = static_cast<double>(steps), centre = 0.5 * (count - 1.0);
    const double omega = 2.0 * std::numbers::pi * 3.0 / count;
    Series x(steps);
    for (size_t t = 0; t < steps; ++t) {
      const double time = static_cast<double>(t);
      x[t] = -50.0 + 0.02 * time + amplitude * std::cos(omega * (time - centre));
    }
    const double expected = 0.5 * amplitude * amplitude;
    EXPECT_NEAR(lsq_detrended_variance(x), expected, 1e-13 * expected) << "T = " << steps;
    EXPECT_NEAR(endpoint_detrended_variance(x), expected, 1e-13 * expected) << "T = " << steps;
  }
}

// x_t = a + b t + p₂(t), p₂(t) = (t − t̄)² − (T² − 1)/12 is orthogonal to 1 and t, so it is the
// residual. Σ(t − t̄)⁴ = T(T² − 1)(3T² − 7)/240 gives Σp₂² = T(T²−1)(3T²−7)/240 − T(T²−1)²/144.
TEST(FluctuationSeries, LegendreResidualHasClosedFormLsqVariance) {
  for (const size_t steps : {size_t{5}, size_t{64}, size_t{999}}) {
    const double count = static_cast<double>(steps), centre = 0.5 * (count - 1.0);
    Series x(steps);
    for (size_t t = 0; t < steps; ++t) {
      const double time = static_cast<double>(t);
      x[t] = 3.0 - 0.7 * time + (time - centre) * (time - centre) - (count * count - 1.0) / 12.0;
    }
    const double n2 = count * count - 1.0;
    const double expected = (n2 * (3.0 * count * count - 7.0) / 240.0 - n2 * n2 / 144.0);
    EXPECT_NEAR(lsq_detrended_variance(x), expected, 1e-12 * expected) << "T = " << steps;
  }
}

// Plain long-double formulas (two passes, no compensation) as the reference; 64-bit mantissas are
// enough at this offset. The one-pass fp64 formula E[x²] − x̄² is shown to fail on the same data,
// so the comparison has teeth.
struct LongDoubleReference {
  long double lsq = 0.0L, centred = 0.0L;
};

LongDoubleReference long_double_reference(const Series& x) {
  const auto count = static_cast<long double>(x.size());
  long double mean = 0.0L;
  for (double value : x) mean += value;
  mean /= count;
  const long double time_mean = (count - 1.0L) / 2.0L;
  long double cross = 0.0L, time_squares = 0.0L, centred = 0.0L;
  for (size_t t = 0; t < x.size(); ++t) {
    const long double dt = static_cast<long double>(t) - time_mean, dx = x[t] - mean;
    cross += dt * dx;
    time_squares += dt * dt;
    centred += dx * dx;
  }
  const long double slope = cross / time_squares;
  long double residuals = 0.0L;
  for (size_t t = 0; t < x.size(); ++t) {
    const long double e = (x[t] - mean) - slope * (static_cast<long double>(t) - time_mean);
    residuals += e * e;
  }
  return {residuals / count, centred / count};
}

TEST(FluctuationSeries, LargeOffsetMatchesLongDoubleReference) {
  const size_t steps = 20000;
  const core::CounterRng rng(11, "test/fluctuation/offset");
  Series theta(steps), velocity(steps);
  for (size_t t = 0; t < steps; ++t) {
    theta[t] = 1e7 + 0.01 * static_cast<double>(t) + 1e-3 * rng.normal(t);
    velocity[t] = 3e4 + 1e-4 * rng.normal(steps + t);
  }
  const LongDoubleReference theta_ref = long_double_reference(theta), velocity_ref = long_double_reference(velocity);
  const double lsq = lsq_detrended_variance(theta), sigma2_v = centred_variance(velocity);
  EXPECT_NEAR(lsq, static_cast<double>(theta_ref.lsq), 1e-9 * lsq);
  EXPECT_NEAR(sigma2_v, static_cast<double>(velocity_ref.centred), 1e-9 * sigma2_v);
  EXPECT_NEAR(lsq, 1e-6, 0.05e-6);  // the recorded fluctuation, so the reference is not 0 vs 0
  double sum = 0.0, squares = 0.0;
  for (double v : velocity) sum += v, squares += v * v;
  const double one_pass = squares / steps - (sum / steps) * (sum / steps);
  EXPECT_GT(std::abs(one_pass - sigma2_v), sigma2_v);
}

// Direction i of `a` is θ_t = a_i θ_{t−1} + ξ_t (unit normal ξ) in stationarity, plus a level and
// a drift; column i of the velocities is θ_t − θ_{t−1}, with θ_{−1} simulated too.
struct Simulated {
  Series weights, velocities;
};

Simulated simulate_ar1(const std::vector<double>& a, size_t steps, std::uint64_t seed, double level, double drift) {
  const size_t k = a.size();
  Simulated sim{Series(steps * k), Series(steps * k)};
  for (size_t i = 0; i < k; ++i) {
    const core::CounterRng rng(seed, "test/fluctuation/ar1/" + std::to_string(i));
    double state = rng.normal(0) / std::sqrt(1.0 - a[i] * a[i]);  // stationary start
    double previous = level - drift + state;
    for (size_t t = 0; t < steps; ++t) {
      state = a[i] * state + rng.normal(t + 1);
      const double theta = level + drift * static_cast<double>(t) + state;
      sim.weights[t * k + i] = theta;
      sim.velocities[t * k + i] = theta - previous;
      previous = theta;
    }
  }
  return sim;
}

// AR(1) θ_t = aθ_{t−1} + ξ_t, Var ξ = σ²: Var θ = σ²/(1 − a²) and cov(θ_t, θ_{t−1}) = a Var θ, so
// Var(θ_t − θ_{t−1}) = 2(1 − a) Var θ = 2σ²/(1 + a) and τ = 2 Var θ / Var(θ_t − θ_{t−1}) = 1/(1 − a)
// (SCIENCE.md's (1+β)/(ηλ) at β = 0, a = 1 − ηλ). Tolerance: Bartlett's relative standard error
// of a sample variance, sqrt(2(1 + a²)/((1 − a²)T)) for θ and sqrt(2(1 + 2ρ₁²)/T) ≤ sqrt(3/T) for
// the increments (ρ₁ = −(1 − a)/2), added (a bound whatever their correlation), times 4.
TEST(FluctuationSeries, Ar1CorrelationTimeMatchesClosedForm) {
  const std::vector<double> a = {0.0, 0.5, 0.9, 0.98};
  const size_t steps = 1000000;
  const Simulated sim = simulate_ar1(a, steps, 5, 250.0, 2e-4);
  const auto k = static_cast<index>(a.size()), count = static_cast<index>(steps);
  const std::vector<double> sigma2_theta = weight_variance_lsq(sim.weights, count, k);
  const std::vector<double> sigma2_v = velocity_variance(sim.velocities, count, k);
  const std::vector<double> tau = correlation_times(sigma2_theta, sigma2_v);
  for (size_t i = 0; i < a.size(); ++i) {
    const double se_theta = std::sqrt(2.0 * (1.0 + a[i] * a[i]) / ((1.0 - a[i] * a[i]) * steps));
    const double se_v = std::sqrt(3.0 / steps);
    EXPECT_NEAR(sigma2_theta[i], 1.0 / (1.0 - a[i] * a[i]), 4.0 * se_theta / (1.0 - a[i] * a[i])) << "a " << a[i];
    EXPECT_NEAR(sigma2_v[i], 2.0 / (1.0 + a[i]), 4.0 * se_v * 2.0 / (1.0 + a[i])) << "a " << a[i];
    const double expected_tau = 1.0 / (1.0 - a[i]);
    EXPECT_NEAR(tau[i], expected_tau, 4.0 * (se_theta + se_v) * expected_tau) << "a " << a[i];
  }
}

// Endpoint vs least squares on fast directions (τ = 2 ≪ T): k = 4000 independent AR(1) directions
// with a = 0.5, T = 2000, a drift and a level. The ratio of the direction means of the two
// variances estimates 1 + E(y₀ − y_{T−1})²/(12 s²) = 7/6 (endpoint_detrended_variance explains it);
// its standard error comes from the spread of the per-direction differences (about 0.24 s²/√k ≈
// 0.004 here) and the O(τ/T) terms neglected by the 7/6 are below 4/(T(1 − a)) = 0.004.
TEST(FluctuationSeries, EndpointDetrendInflatesFastDirectionsBySevenSixths) {
  const double a = 0.5;
  const size_t steps = 2000, k = 4000;
  const Simulated sim = simulate_ar1(std::vector<double>(k, a), steps, 17, -3.0, 5e-3);
  const std::vector<double> endpoint = weight_variance_endpoint(sim.weights, steps, k);
  const std::vector<double> lsq = weight_variance_lsq(sim.weights, steps, k);
  double mean_lsq = 0.0, mean_diff = 0.0, diff_squares = 0.0;
  for (size_t i = 0; i < k; ++i) {
    const double diff = endpoint[i] - lsq[i];
    mean_lsq += lsq[i] / k;
    mean_diff += diff / k;
    diff_squares += diff * diff;
  }
  const double diff_std = std::sqrt((diff_squares - k * mean_diff * mean_diff) / (k - 1.0));
  const double ratio = 1.0 + mean_diff / mean_lsq;
  const double standard_error = diff_std / std::sqrt(static_cast<double>(k)) / mean_lsq;
  EXPECT_LT(standard_error, 0.006);
  EXPECT_NEAR(mean_lsq, 1.0 / (1.0 - a * a), 0.01);
  EXPECT_NEAR(ratio, 7.0 / 6.0, 4.0 * standard_error + 4.0 / (steps * (1.0 - a))) << "SE " << standard_error;
  // The per-direction inflation is 1 + χ²₁/6: its spread is sqrt(2)/6 ≈ 0.24 of s².
  EXPECT_NEAR(diff_std / mean_lsq, std::sqrt(2.0) / 6.0, 0.03);
}

TEST(FluctuationSeries, RejectsTooShortSeries) {
  testing::expect_error_naming<core::Error>([] { (void)endpoint_detrended_variance(Series{1.0}); },
                                            "endpoint_detrended_variance");
  testing::expect_error_naming<core::Error>([] { (void)lsq_detrended_variance(Series{1.0}); }, "at least 2");
  testing::expect_error_naming<core::Error>([] { (void)centred_variance(Series{}); }, "centred_variance");
  testing::expect_error_naming<core::DimensionMismatch>(
      [] { (void)weight_variance_lsq(Series(10, 0.0), 4, 3); }, "weights");
  testing::expect_error_naming<core::DimensionMismatch>(
      [] { (void)correlation_times({1.0, 2.0}, {1.0}); }, "correlation_times");
}

}  // namespace
}  // namespace hesscov::stats
