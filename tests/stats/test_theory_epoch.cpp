// The Study 2 oracle (stats/theory_noise.hpp, stats/theory_epoch.hpp) against independent
// references: the epoch sampler's noise by exact enumeration of every permutation; the stable
// fluctuation formula against SCIENCE.md's direct E/F formula evaluated in 226-bit arithmetic
// (a double-__float128 type defined here), against the impulse-response definition, against
// published values and against long simulations of heavy-ball SGD driven by epoch-sampled and
// with-replacement noise (the project's counter-based RNG, fixed seeds).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "stats/theory_epoch.hpp"
#include "stats/theory_epoch_direct.hpp"
#include "stats/theory_noise.hpp"
#include "support/expect.hpp"

namespace hesscov::stats::theory {
namespace {

double relative(double value, double reference) { return std::abs(value - reference) / std::abs(reference); }

std::string format(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3g", value);
  return buffer;
}

// ---------------------------------------------------------------------------------------------
// Epoch noise by exact enumeration.

TEST(TheoryEpochNoise, EnumerationOfEveryPermutationGivesTheFormula) {
  const std::vector<double> values{3, -1, 4, -1, -5, 0};  // centred: they sum to 0
  const index n = 6, s = 2, m = 3;
  std::vector<int> order(6);
  std::iota(order.begin(), order.end(), 0);
  // δg at each of the M positions of one epoch, for each of the 720 orderings.
  std::vector<std::vector<double>> epochs;
  do {
    std::vector<double> noise(m);
    for (index p = 0; p < m; ++p) noise[p] = (values[order[2 * p]] + values[order[2 * p + 1]]) / 2.0;
    epochs.push_back(noise);
  } while (std::next_permutation(order.begin(), order.end()));
  ASSERT_EQ(epochs.size(), 720U);
  const double count = 720.0;
  std::vector<double> mean(m, 0.0);
  for (const auto& e : epochs)
    for (index p = 0; p < m; ++p) mean[p] += e[p] / count;
  // Within an epoch: cov(δg_p, δg_q) over the orderings.
  auto within = [&](index p, index q) {
    double sum = 0.0;
    for (const auto& e : epochs) sum += e[p] * e[q] / count;
    return sum - mean[p] * mean[q];
  };
  // Across two consecutive, independently permuted epochs: every pair of orderings.
  auto across = [&](index p, index q) {
    double sum = 0.0;
    for (const auto& first : epochs)
      for (const auto& second : epochs) sum += first[p] * second[q];
    return sum / (count * count) - mean[p] * mean[q];
  };
  // R(h): the lag-h covariance averaged over the position p of step k in its epoch.
  std::vector<double> lag_covariance(2 * m, 0.0);
  for (index h = 0; h < 2 * m; ++h)
    for (index p = 0; p < m; ++p)
      lag_covariance[h] += (p + h < m ? within(p, p + h) : across(p, (p + h) % m)) / static_cast<double>(m);

  for (index p = 0; p < m; ++p) EXPECT_NEAR(mean[p], 0.0, 1e-15);
  EXPECT_NEAR(lag_covariance[0], 52.0 / 15.0, 1e-14);
  EXPECT_NEAR(lag_covariance[1], -52.0 / 45.0, 1e-14);
  EXPECT_NEAR(lag_covariance[2], -26.0 / 45.0, 1e-14);
  for (index h = 3; h < 2 * m; ++h) EXPECT_NEAR(lag_covariance[h], 0.0, 1e-14) << "h = " << h;
  // Every pair of distinct positions of one epoch: −C/(M−1), the exchangeability the formula uses.
  EXPECT_NEAR(within(0, 2), -52.0 / 30.0, 1e-14);

  // The formula: C = (1/S − 1/N) C₀, R(h) = C ρ(h).
  const double c0 = centered_second_moment(values, n, 1)[0] * n / (n - 1.0);
  EXPECT_NEAR(c0, 52.0 / 5.0, 1e-14);
  const double c = epoch_noise_factor(n, s) * c0;
  ASSERT_EQ(batches_per_epoch(n, s), m);
  for (index h = 0; h < 2 * m; ++h)
    EXPECT_NEAR(c * epoch_noise_correlation(m, h), lag_covariance[h], 1e-14) << "h = " << h;
  // The same variance as the without-replacement factor times M₀.
  EXPECT_NEAR(minibatch_factor(n, s, Sampling::without_replacement) * centered_second_moment(values, n, 1)[0],
              52.0 / 15.0, 1e-14);
}

TEST(TheoryEpochNoise, CorrelationSumsAndEdgeCases) {
  for (index m : {2, 3, 7, 50, 1000}) {
    double sum = 0.0;
    for (index h = 1; h <= m; ++h) sum += epoch_noise_correlation(m, h);
    EXPECT_NEAR(sum, -0.5, 1e-13) << "M = " << m;
    EXPECT_NEAR(epoch_noise_correlation(m, 1), -1.0 / m, 1e-16);
    EXPECT_EQ(epoch_noise_correlation(m, -1), epoch_noise_correlation(m, 1));
    EXPECT_EQ(epoch_noise_correlation(m, m), 0.0);
    EXPECT_EQ(epoch_noise_correlation(m, m + 3), 0.0);
  }
  EXPECT_EQ(epoch_noise_correlation(1, 0), 1.0);
  EXPECT_EQ(epoch_noise_correlation(1, 1), 0.0);
  testing::expect_error_naming<core::Error>([] { (void)batches_per_epoch(10, 3); }, "not a multiple");
  testing::expect_error_naming<core::Error>([] { (void)minibatch_factor(5, 6, Sampling::with_replacement); }, "S = 6");
}

// Minibatch covariance by enumeration of every batch: all S-tuples (with replacement) and all
// S-subsets (without), for vector-valued per-sample gradients.
TEST(TheoryEpochNoise, MinibatchCovarianceByEnumeration) {
  const index n = 5, p = 2, s = 3;
  const std::vector<double> grads{1, 0, 2, 1, -1, 3, 0.5, -2, 4, 1};  // N×P, not centred
  std::vector<double> with(p * p, 0.0), without(p * p, 0.0), full_mean(p, 0.0);
  for (index k = 0; k < n; ++k)
    for (index j = 0; j < p; ++j) full_mean[j] += grads[k * p + j] / n;
  auto accumulate = [&](const std::vector<index>& batch, std::vector<double>& into, double weight) {
    std::vector<double> noise(p, 0.0);
    for (index k : batch)
      for (index j = 0; j < p; ++j) noise[j] += grads[k * p + j] / s;
    for (index i = 0; i < p; ++i)
      for (index j = 0; j < p; ++j) into[i * p + j] += weight * (noise[i] - full_mean[i]) * (noise[j] - full_mean[j]);
  };
  for (index a = 0; a < n; ++a)
    for (index b = 0; b < n; ++b)
      for (index c = 0; c < n; ++c) {
        accumulate({a, b, c}, with, 1.0 / (n * n * n));
        if (a < b && b < c) accumulate({a, b, c}, without, 1.0 / 10.0);  // C(5,3) = 10 subsets
      }
  const auto oracle_with = minibatch_noise_covariance(grads, n, p, s, Sampling::with_replacement);
  const auto oracle_without = minibatch_noise_covariance(grads, n, p, s, Sampling::without_replacement);
  for (index i = 0; i < p * p; ++i) {
    EXPECT_NEAR(oracle_with[i], with[i], 1e-14);
    EXPECT_NEAR(oracle_without[i], without[i], 1e-14);
  }
}

// ---------------------------------------------------------------------------------------------
// A 226-bit real: an unevaluated sum hi + lo of two __float128 (Dekker/Knuth error-free
// transformations, Dekker's split at 2^57 + 1 for the 113-bit significand), about 68 digits.

using Quad = __float128;

struct DoubleQuad {
  Quad hi = 0, lo = 0;
  DoubleQuad() = default;
  DoubleQuad(double value) : hi(value) {}  // NOLINT: implicit, like a builtin type
  DoubleQuad(Quad h, Quad l) : hi(h), lo(l) {}
};

DoubleQuad quick_two_sum(Quad a, Quad b) {
  const Quad s = a + b;
  return {s, b - (s - a)};
}
DoubleQuad two_sum(Quad a, Quad b) {
  const Quad s = a + b, bb = s - a;
  return {s, (a - (s - bb)) + (b - bb)};
}
DoubleQuad two_prod(Quad a, Quad b) {
  const Quad split = static_cast<Quad>(144115188075855873.0L);  // 2^57 + 1
  const Quad ca = split * a, ah = ca - (ca - a), al = a - ah;
  const Quad cb = split * b, bh = cb - (cb - b), bl = b - bh;
  const Quad p = a * b;
  return {p, ((ah * bh - p) + ah * bl + al * bh) + al * bl};
}
DoubleQuad operator+(DoubleQuad a, DoubleQuad b) {
  DoubleQuad s = two_sum(a.hi, b.hi);
  const DoubleQuad t = two_sum(a.lo, b.lo);
  s.lo += t.hi;
  s = quick_two_sum(s.hi, s.lo);
  s.lo += t.lo;
  return quick_two_sum(s.hi, s.lo);
}
DoubleQuad operator-(DoubleQuad a) { return {-a.hi, -a.lo}; }
DoubleQuad operator-(DoubleQuad a, DoubleQuad b) { return a + (-b); }
DoubleQuad operator*(DoubleQuad a, DoubleQuad b) {
  DoubleQuad p = two_prod(a.hi, b.hi);
  p.lo += a.hi * b.lo + a.lo * b.hi;
  return quick_two_sum(p.hi, p.lo);
}
DoubleQuad operator/(DoubleQuad a, DoubleQuad b) {
  const Quad q1 = a.hi / b.hi;
  DoubleQuad r = a - b * DoubleQuad(q1, 0);
  const Quad q2 = r.hi / b.hi;
  r = r - b * DoubleQuad(q2, 0);
  const Quad q3 = r.hi / b.hi;
  return quick_two_sum(q1, q2) + DoubleQuad(q3, 0);
}
double to_double(DoubleQuad a) { return static_cast<double>(a.hi + a.lo); }

TEST(TheoryDoubleQuad, ArithmeticIsAccurateFarBeyondQuad) {
  // (1 + 2^-100)² − 1 − 2^-99 = 2^-200: below __float128's resolution of 1 (2^-112), exact here.
  const DoubleQuad one(1.0), x = one + DoubleQuad(std::ldexp(1.0, -100));
  EXPECT_EQ(to_double(x * x - one - DoubleQuad(std::ldexp(1.0, -99))), std::ldexp(1.0, -200));
  const Quad quad_x = 1 + static_cast<Quad>(std::ldexp(1.0, -100));
  EXPECT_EQ(static_cast<double>(quad_x * quad_x - 1 - static_cast<Quad>(std::ldexp(1.0, -99))), 0.0);
  // Division: 3 · (1/3) − 1 at the 2^-226 level.
  const DoubleQuad third = one / DoubleQuad(3.0);
  EXPECT_LT(std::abs(to_double(third * DoubleQuad(3.0) - one)), 1e-66);
  EXPECT_GT(std::abs(to_double(DoubleQuad(static_cast<Quad>(1) / 3, 0) * DoubleQuad(3.0) - one)), 1e-36);
}

struct DirectCase {
  double eta, beta;
  index batches;
};

// The stable form against the direct formula in 226-bit arithmetic, λ/λ_cross in [1e-8, 1e3].
// The direct form loses ~log10(1/(ηλ)³) digits (ηλ ≥ 1e-12 here: ~36), far fewer than 68.
TEST(TheoryEpochFluctuations, StableFormAgreesWithTheDirectFormulaInDoubleQuad) {
  for (const DirectCase& c : {DirectCase{0.1, 0.9, 1000}, DirectCase{0.1, 0.9, 200}, DirectCase{0.1, 0.0, 2000},
                              DirectCase{0.01, 0.5, 2000}, DirectCase{0.3, 0.95, 50}}) {
    const double cross = crossover_curvature(c.eta, c.beta, c.batches);
    double worst = 0.0;
    for (int k = 0; k <= 44; ++k) {
      const double ratio = std::pow(10.0, -8.0 + 11.0 * k / 44.0), lambda = ratio * cross;
      ASSERT_TRUE(is_stationary(c.eta, c.beta, lambda)) << "case M = " << c.batches << " ratio " << ratio;
      const Fluctuations stable = epoch_fluctuations({c.eta, c.beta, c.batches, lambda, 1.0});
      const auto reference = epoch_fluctuations_direct<DoubleQuad>(c.eta, c.beta, c.batches, lambda, 1.0);
      const double e_theta = relative(stable.sigma2_theta, to_double(reference.sigma2_theta));
      const double e_v = relative(stable.sigma2_v, to_double(reference.sigma2_v));
      EXPECT_LT(e_theta, 1e-12) << "eta " << c.eta << " beta " << c.beta << " M " << c.batches << " ratio " << ratio;
      EXPECT_LT(e_v, 1e-12) << "eta " << c.eta << " beta " << c.beta << " M " << c.batches << " ratio " << ratio;
      EXPECT_NEAR(stable.tau, 2.0 * stable.sigma2_theta / stable.sigma2_v, 1e-12 * stable.tau);
      worst = std::max({worst, e_theta, e_v});
    }
    RecordProperty("worst_relative_error_M" + std::to_string(c.batches) + "_beta" + std::to_string(c.beta), format(worst));
  }
}

// The reference itself: where __float128 alone is accurate (ηλ not tiny), the double-quad and the
// quad evaluations of the direct formula agree far below the 1e-12 asked of the oracle.
TEST(TheoryEpochFluctuations, DoubleQuadReferenceAgreesWithQuadWhereQuadSuffices) {
  const double eta = 0.1, beta = 0.9, cross = crossover_curvature(eta, beta, 1000);
  for (double ratio : {1e-2, 1.0, 1e2}) {
    const auto quad = epoch_fluctuations_direct<Quad>(eta, beta, 1000, ratio * cross, 1.0);
    const auto dq = epoch_fluctuations_direct<DoubleQuad>(eta, beta, 1000, ratio * cross, 1.0);
    EXPECT_LT(relative(static_cast<double>(quad.sigma2_theta), to_double(dq.sigma2_theta)), 1e-20) << ratio;
    EXPECT_LT(relative(static_cast<double>(quad.sigma2_v), to_double(dq.sigma2_v)), 1e-20) << ratio;
  }
}

// SCIENCE.md: the direct form "loses all accuracy for small ηλ (37% error at λ/λ_cross = 1e-4 in
// double)". The size of the error depends on M and on the order of operations; what holds is that
// it is far beyond any tolerance. Recorded as test properties (docs/theory.md quotes them).
TEST(TheoryEpochFluctuations, DirectFormulaFailsInDoubleForSmallCurvature) {
  for (const DirectCase& c : {DirectCase{0.1, 0.9, 50}, DirectCase{0.005, 0.9, 1000}}) {
    const double lambda = 1e-4 * crossover_curvature(c.eta, c.beta, c.batches);
    const Fluctuations exact = epoch_fluctuations({c.eta, c.beta, c.batches, lambda, 1.0});
    const auto naive = epoch_fluctuations_direct<double>(c.eta, c.beta, c.batches, lambda, 1.0);
    const double error = relative(naive.sigma2_theta, exact.sigma2_theta);
    RecordProperty("direct_double_error_M" + std::to_string(c.batches), format(error));
    EXPECT_GT(error, 1e-2) << "M = " << c.batches;
    const auto fine = epoch_fluctuations_direct<double>(c.eta, c.beta, c.batches, 1e4 * lambda, 1.0);
    EXPECT_LT(relative(fine.sigma2_theta, epoch_fluctuations({c.eta, c.beta, c.batches, 1e4 * lambda, 1.0}).sigma2_theta), 1e-6);
  }
}

TEST(TheoryEpochFluctuations, PublishedValues) {
  const auto at = [](double lambda) { return epoch_fluctuations({0.1, 0.9, 50, lambda, 1.0}); };
  EXPECT_LT(relative(at(0.06).sigma2_theta, 3.7299848703), 1e-9);
  EXPECT_LT(relative(at(0.06).sigma2_v, 0.046564327432), 1e-9);
  EXPECT_LT(relative(at(0.06).tau, 160.2078276), 1e-9);
  EXPECT_LT(relative(at(0.6).sigma2_theta, 0.79875843615), 1e-9);
  EXPECT_NEAR(crossover_curvature(0.1, 0.9, 50), 0.06, 1e-15);
  EXPECT_NEAR(sgd_correlation_time(0.9, 50), 50.0 / 3.0 * 19.0, 1e-12);
  // σ² scales both variances and leaves τ alone.
  const Fluctuations scaled = epoch_fluctuations({0.1, 0.9, 50, 0.06, 2.5});
  EXPECT_LT(relative(scaled.sigma2_theta, 2.5 * at(0.06).sigma2_theta), 1e-14);
  EXPECT_NEAR(scaled.tau, at(0.06).tau, 1e-12);
  EXPECT_NEAR(epoch_fluctuations({0.1, 0.9, 50, 0.06, 0.0}).tau, at(0.06).tau, 1e-12);
}

// θ_k = Σ_j ψ_j (−η δg_{k−j}) with ψ the impulse response: σ²_θ = η²σ² Σ_ij ψ_i ψ_j ρ(i − j)
// (likewise the velocity with ψ_j − ψ_{j−1}), summed directly until ψ has decayed.
Fluctuations impulse_response_definition(double eta, double beta, index m, double lambda, bool white) {
  const double a1 = 1.0 + beta - eta * lambda;
  std::vector<double> psi{1.0, a1};
  while (psi.size() < 400000 && (std::abs(psi.back()) + std::abs(psi[psi.size() - 2]) > 1e-30 || psi.size() < 10))
    psi.push_back(a1 * psi.back() - beta * psi[psi.size() - 2]);
  const auto sums = [&](const std::vector<double>& response) {
    double total = 0.0;
    for (size_t i = 0; i < response.size(); ++i) {
      total += response[i] * response[i];
      if (white) continue;
      for (index h = 1; h < m && i + h < response.size(); ++h)
        total += 2.0 * epoch_noise_correlation(m, h) * response[i] * response[i + h];
    }
    return total;
  };
  std::vector<double> velocity(psi.size());
  for (size_t j = 0; j < psi.size(); ++j) velocity[j] = psi[j] - (j > 0 ? psi[j - 1] : 0.0);
  const double theta = eta * eta * sums(psi), v = eta * eta * sums(velocity);
  return {theta, v, 2.0 * theta / v};
}

TEST(TheoryEpochFluctuations, MatchesTheImpulseResponseDefinition) {
  const double eta = 0.1, beta = 0.9;
  for (index m : {1, 2, 5, 50}) {
    for (double ratio : {0.3, 1.0, 10.0, 200.0}) {
      const double lambda = ratio * crossover_curvature(eta, beta, 50);
      if (!is_stationary(eta, beta, lambda)) continue;
      const Fluctuations oracle = epoch_fluctuations({eta, beta, m, lambda, 1.0});
      const Fluctuations definition = impulse_response_definition(eta, beta, m, lambda, false);
      EXPECT_LT(relative(oracle.sigma2_theta, definition.sigma2_theta), 1e-10) << "M " << m << " ratio " << ratio;
      EXPECT_LT(relative(oracle.sigma2_v, definition.sigma2_v), 1e-10) << "M " << m << " ratio " << ratio;
      const Fluctuations white = replacement_fluctuations({eta, beta, m, lambda, 1.0});
      const Fluctuations white_definition = impulse_response_definition(eta, beta, m, lambda, true);
      EXPECT_LT(relative(white.sigma2_theta, white_definition.sigma2_theta), 1e-10) << ratio;
      EXPECT_LT(relative(white.sigma2_v, white_definition.sigma2_v), 1e-10) << ratio;
      EXPECT_NEAR(white.tau, (1.0 + beta) / (eta * lambda), 1e-10 * white.tau);
    }
  }
}

TEST(TheoryEpochFluctuations, FlatLimitIsTheExactFormulasLimit) {
  for (const DirectCase& c : {DirectCase{0.1, 0.9, 50}, DirectCase{0.1, 0.0, 7}, DirectCase{0.02, 0.5, 1000},
                              DirectCase{0.1, 0.75, 2}}) {
    const double lambda = 1e-12 * crossover_curvature(c.eta, c.beta, c.batches);
    const Fluctuations exact = epoch_fluctuations({c.eta, c.beta, c.batches, lambda, 1.0});
    const Fluctuations limit = flat_limit_fluctuations({c.eta, c.beta, c.batches, 0.0, 1.0});
    EXPECT_LT(relative(exact.sigma2_theta, limit.sigma2_theta), 1e-10) << "beta " << c.beta << " M " << c.batches;
    EXPECT_LT(relative(exact.sigma2_v, limit.sigma2_v), 1e-10) << "beta " << c.beta << " M " << c.batches;
    EXPECT_LT(relative(exact.tau, limit.tau), 1e-10);
  }
  // β = 0: σ²_θ(0) = η²σ²(M + 1)/6, σ²_v(0) = η²σ²(1 − 0) (white velocity: u = −η δg).
  const Fluctuations sgd = flat_limit_fluctuations({0.1, 0.0, 11, 0.0, 1.0});
  EXPECT_NEAR(sgd.sigma2_theta, 0.01 * 12.0 / 6.0, 1e-16);
  EXPECT_NEAR(sgd.sigma2_v, 0.01, 1e-16);
}

TEST(TheoryEpochFluctuations, AsymptotesAndCrossover) {
  const double eta = 0.1, beta = 0.9;
  // Small curvature: the flat limit approaches η²σ²M/(6(1−β)²) and τ_SGD as M grows (O(1/M)).
  const index big = 100000;
  const Fluctuations flat = flat_limit_fluctuations({eta, beta, big, 0.0, 1.0});
  const Fluctuations small = small_curvature_asymptote({eta, beta, big, 0.0, 1.0});
  EXPECT_LT(relative(flat.sigma2_theta, small.sigma2_theta), 1e-3);
  EXPECT_LT(relative(flat.tau, sgd_correlation_time(beta, big)), 1e-3);
  EXPECT_NEAR(small.tau, sgd_correlation_time(beta, big), 1e-9 * small.tau);
  // Large curvature: at fixed ηλ, λ/λ_cross → ∞ as M → ∞, and the exact result tends to the
  // uncorrelated one with a relative gap ∝ 1/M.
  const double lambda = 0.5;
  const auto gap = [&](index m) {
    return relative(epoch_fluctuations({eta, beta, m, lambda, 1.0}).sigma2_theta,
                    replacement_fluctuations({eta, beta, m, lambda, 1.0}).sigma2_theta);
  };
  EXPECT_LT(gap(100000), 1e-4);
  EXPECT_NEAR(gap(1000) / gap(10000), 10.0, 0.5);
  // At λ_cross the two asymptotes meet and the exact σ²_θ is ~54% of them (large M).
  const index m = 1000;
  const double cross = crossover_curvature(eta, beta, m);
  const double at_cross = epoch_fluctuations({eta, beta, m, cross, 1.0}).sigma2_theta;
  const double small_asymptote = small_curvature_asymptote({eta, beta, m, cross, 1.0}).sigma2_theta;
  const double large_asymptote = replacement_fluctuations({eta, beta, m, cross, 1.0}).sigma2_theta;
  EXPECT_LT(relative(small_asymptote, large_asymptote), 2e-3);
  EXPECT_NEAR(at_cross / small_asymptote, 0.54, 0.01);
}

TEST(TheoryEpochFluctuations, OutsideTheStationaryDomainIsNamed) {
  testing::expect_error_naming<core::Error>([] { (void)epoch_fluctuations({0.1, 0.9, 50, 38.0, 1.0}); }, "eta*lambda");
  testing::expect_error_naming<core::Error>([] { (void)epoch_fluctuations({0.1, 0.9, 50, 0.0, 1.0}); }, "eta*lambda");
  testing::expect_error_naming<core::Error>([] { (void)epoch_fluctuations({0.1, 1.0, 50, 0.1, 1.0}); }, "beta");
  testing::expect_error_naming<core::Error>([] { (void)replacement_fluctuations({-0.1, 0.5, 50, 0.1, 1.0}); }, "eta");
  testing::expect_error_naming<core::Error>([] { (void)epoch_fluctuations({0.1, 0.5, 50, 0.1, -1.0}); }, "sigma2");
  EXPECT_FALSE(is_stationary(0.1, 0.9, 38.0));
  EXPECT_TRUE(is_stationary(0.1, 0.9, 37.9));
  EXPECT_FALSE(is_stationary(0.1, -0.1, 1.0));
}

// ---------------------------------------------------------------------------------------------
// Simulation: θ_k = (1+β−ηλ)θ_{k−1} − βθ_{k−2} − η δg_k with δg_k the mean of a batch of S of N
// fixed, centred per-example values: consecutive slices of a fresh permutation per epoch, or S
// independent uniform draws (with replacement).

struct Simulated {
  double sigma2_theta, sigma2_v;
};

Simulated simulate(double eta, double beta, double lambda, const std::vector<double>& values, index s, bool replacement,
                   index steps, std::uint64_t seed) {
  const index n = static_cast<index>(values.size()), m = n / s, burn_in = 20000;
  const core::CounterRng rng(seed, replacement ? "test/theory/replacement" : "test/theory/epoch");
  std::uint64_t counter = 0;
  std::vector<index> order(n);
  std::iota(order.begin(), order.end(), index{0});
  const double a1 = 1.0 + beta - eta * lambda;
  double theta = 0.0, previous = 0.0, sum_theta = 0.0, sum_v = 0.0;
  for (index k = 0; k < burn_in + steps; ++k) {
    double noise = 0.0;
    if (replacement) {
      for (index j = 0; j < s; ++j) noise += values[static_cast<index>(rng.uniform(counter++) * n)];
    } else {
      if (k % m == 0)
        for (index i = n - 1; i > 0; --i) std::swap(order[i], order[static_cast<index>(rng.uniform(counter++) * (i + 1))]);
      for (index j = 0; j < s; ++j) noise += values[order[(k % m) * s + j]];
    }
    noise /= static_cast<double>(s);
    const double next = a1 * theta - beta * previous - eta * noise;
    previous = theta;
    theta = next;
    if (k >= burn_in) {
      sum_theta += theta * theta;
      sum_v += (theta - previous) * (theta - previous);
    }
  }
  return {sum_theta / steps, sum_v / steps};
}

std::vector<double> centred_values(index n, std::uint64_t seed) {
  const core::CounterRng rng(seed, "test/theory/values");
  std::vector<double> values(n);
  for (index i = 0; i < n; ++i) values[i] = rng.normal(i);
  const double mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(n);
  for (double& v : values) v -= mean;
  return values;
}

TEST(TheoryEpochSimulation, EpochSampledSgdMatchesTheExactFormula) {
  const index n = 20, s = 2, m = 10, steps = 2000000;
  const double eta = 0.1, beta = 0.9, cross = crossover_curvature(eta, beta, m);
  const std::vector<double> values = centred_values(n, 7);
  const double c0 = centered_second_moment(values, n, 1)[0] * n / (n - 1.0);
  const double sigma2 = epoch_noise_factor(n, s) * c0;
  for (double ratio : {0.01, 0.1, 1.0, 10.0, 100.0}) {
    const Fluctuations oracle = epoch_fluctuations({eta, beta, m, ratio * cross, sigma2});
    const Simulated sim = simulate(eta, beta, ratio * cross, values, s, false, steps, 11);
    RecordProperty("epoch_ratio_" + std::to_string(ratio), format(sim.sigma2_theta / oracle.sigma2_theta - 1.0) +
                                                             " " + format(sim.sigma2_v / oracle.sigma2_v - 1.0));
    EXPECT_LT(relative(sim.sigma2_theta, oracle.sigma2_theta), 0.03) << "lambda/lambda_cross = " << ratio;
    EXPECT_LT(relative(sim.sigma2_v, oracle.sigma2_v), 0.01) << "lambda/lambda_cross = " << ratio;
    // The uncorrelated formula is wrong below the crossover: the simulation tells them apart.
    if (ratio <= 0.1)
      EXPECT_GT(relative(sim.sigma2_theta, replacement_fluctuations({eta, beta, m, ratio * cross, sigma2}).sigma2_theta), 0.5);
  }
}

TEST(TheoryEpochSimulation, WithReplacementSgdMatchesTheUncorrelatedFormula) {
  const index n = 20, s = 2, m = 10, steps = 2000000;
  const double eta = 0.1, beta = 0.9, cross = crossover_curvature(eta, beta, m);
  const std::vector<double> values = centred_values(n, 7);
  const double sigma2 = minibatch_factor(n, s, Sampling::with_replacement) * centered_second_moment(values, n, 1)[0];
  for (double ratio : {1.0, 10.0, 100.0}) {
    const Fluctuations oracle = replacement_fluctuations({eta, beta, m, ratio * cross, sigma2});
    const Simulated sim = simulate(eta, beta, ratio * cross, values, s, true, steps, 13);
    RecordProperty("replacement_ratio_" + std::to_string(ratio), format(sim.sigma2_theta / oracle.sigma2_theta - 1.0) +
                                                                   " " + format(sim.sigma2_v / oracle.sigma2_v - 1.0));
    EXPECT_LT(relative(sim.sigma2_theta, oracle.sigma2_theta), 0.03) << "lambda/lambda_cross = " << ratio;
    EXPECT_LT(relative(sim.sigma2_v, oracle.sigma2_v), 0.01) << "lambda/lambda_cross = " << ratio;
  }
}

}  // namespace
}  // namespace hesscov::stats::theory
