// Tests of the empirical crossover and the NaN-with-reason fits (SCIENCE.md "Study 2",
// "Measurement"): a synthetic τ(λ) = min(c/λ, τ0) — the fast law c/λ, capped by the plateau τ0
// below λ = c/τ0 — whose asymptotes meet at λ = c/τ0, both flat rules, and every degenerate case
// the header lists.
#include "stats/fluctuation_crossover.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "support/expect.hpp"

namespace hesscov::stats {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// 200 eigenvalues log-spaced from 100 down to 1e-2 (4 decades).
std::vector<double> log_spaced_eigvals(int k = 200) {
  std::vector<double> eigvals;
  for (int i = 0; i < k; ++i) eigvals.push_back(100.0 * std::pow(10.0, -4.0 * i / (k - 1)));
  return eigvals;
}

std::vector<double> plateau_tau(const std::vector<double>& eigvals, double c, double tau0) {
  std::vector<double> tau;
  for (double lambda : eigvals) tau.push_back(std::min(c / lambda, tau0));
  return tau;
}

bool contains(const std::string& text, const std::string& word) { return text.find(word) != std::string::npos; }

// c = 2.5, τ0 = 7: λ_cross = c/τ0 ≈ 0.357. The top 20 λ (100 … 41) lie on c/λ and the last 40
// (λ ≤ 0.06) on τ0, so the line is exactly log c − log λ and the plateau exactly τ0.
TEST(FluctuationCrossover, RecoversSyntheticCrossoverWithLastCount) {
  const std::vector<double> eigvals = log_spaced_eigvals();
  const double c = 2.5, tau0 = 7.0;
  CrossoverOptions options;
  options.n_flat = 40;
  const Crossover result = empirical_crossover(eigvals, plateau_tau(eigvals, c, tau0), options);
  ASSERT_TRUE(result.ok()) << result.reason;
  EXPECT_NEAR(result.lambda_cross, c / tau0, 1e-12 * c / tau0);
  EXPECT_NEAR(result.tau_sgd, tau0, 1e-14);
  EXPECT_NEAR(result.fast_line.fit.exponent, -1.0, 1e-12);
  EXPECT_NEAR(result.fast_line.fit.intercept, std::log(c), 1e-12);
  EXPECT_EQ(result.fast_line.fit.used, 20);
  EXPECT_EQ(result.flat_first, 160);
  EXPECT_EQ(result.flat_count, 40);
  EXPECT_EQ(result.flat_skipped, 0);
}

// Threshold 5e-4 · λ_1 = 0.05: the directions with λ < 0.05 are the 35 from index 165 on
// (λ_164 ≈ 0.0505, λ_165 ≈ 0.0482; the count is also recomputed below from the spectrum).
TEST(FluctuationCrossover, RecoversSyntheticCrossoverWithFractionRule) {
  const std::vector<double> eigvals = log_spaced_eigvals();
  const double c = 1.0, tau0 = 10.0;
  CrossoverOptions options;
  options.flat_rule = FlatRule::kBelowFraction;
  options.flat_fraction = 5e-4;
  const Crossover result = empirical_crossover(eigvals, plateau_tau(eigvals, c, tau0), options);
  ASSERT_TRUE(result.ok()) << result.reason;
  index below = 0;
  for (double lambda : eigvals) below += lambda < 0.05 ? 1 : 0;
  EXPECT_EQ(below, 35);
  EXPECT_EQ(result.flat_count, below);
  EXPECT_EQ(result.flat_first, 200 - below);
  EXPECT_NEAR(result.lambda_cross, c / tau0, 1e-12 * c / tau0);
  EXPECT_NEAR(result.tau_sgd, tau0, 1e-14);
}

// Some flat τ are NaN (σ²_v = 0): they are skipped and counted; some fast τ are ≤ 0: skipped by
// the fit, which still has enough points.
TEST(FluctuationCrossover, SkipsUnusableDirections) {
  const std::vector<double> eigvals = log_spaced_eigvals();
  std::vector<double> tau = plateau_tau(eigvals, 1.0, 10.0);
  tau[3] = 0.0;
  tau[7] = -1.0;
  tau[190] = kNaN;
  tau[199] = std::numeric_limits<double>::infinity();
  CrossoverOptions options;
  options.n_flat = 40;
  const Crossover result = empirical_crossover(eigvals, tau, options);
  ASSERT_TRUE(result.ok()) << result.reason;
  EXPECT_EQ(result.fast_line.fit.used, 18);
  EXPECT_EQ(result.fast_line.fit.skipped, 2);
  EXPECT_EQ(result.flat_skipped, 2);
  EXPECT_NEAR(result.lambda_cross, 0.1, 1e-12);
}

TEST(FluctuationCrossover, DegenerateInputsGiveNaNWithAReason) {
  const std::vector<double> eigvals = log_spaced_eigvals();
  const std::vector<double> tau = plateau_tau(eigvals, 1.0, 10.0);
  CrossoverOptions options;
  options.n_flat = 40;
  const auto expect_nan = [](const Crossover& result, const std::string& word) {
    EXPECT_TRUE(std::isnan(result.lambda_cross));
    EXPECT_FALSE(result.ok());
    EXPECT_TRUE(contains(result.reason, word)) << result.reason;
  };

  const std::vector<double> few(eigvals.begin(), eigvals.begin() + 10), few_tau(tau.begin(), tau.begin() + 10);
  const Crossover too_few = empirical_crossover(few, few_tau, options);
  expect_nan(too_few, "n_fast = 20");
  EXPECT_TRUE(std::isnan(too_few.tau_sgd));
  EXPECT_TRUE(std::isnan(too_few.fast_line.fit.exponent));

  const std::vector<double> some(eigvals.begin(), eigvals.begin() + 50), some_tau(tau.begin(), tau.begin() + 50);
  expect_nan(empirical_crossover(some, some_tau, options), "overlap");

  std::vector<double> bad_fast = tau;
  for (int i = 0; i < 18; ++i) bad_fast[static_cast<size_t>(i)] = -1.0;
  const Crossover no_line = empirical_crossover(eigvals, bad_fast, options);
  expect_nan(no_line, "2 usable points");
  EXPECT_NEAR(no_line.tau_sgd, 10.0, 1e-14);  // the plateau is still reported

  std::vector<double> bad_flat = tau;
  for (size_t i = 160; i < 200; ++i) bad_flat[i] = kNaN;
  const Crossover no_plateau = empirical_crossover(eigvals, bad_flat, options);
  expect_nan(no_plateau, "finite tau");
  EXPECT_EQ(no_plateau.flat_skipped, 40);
  EXPECT_NEAR(no_plateau.fast_line.fit.exponent, -1.0, 1e-12);  // the line is still reported

  std::vector<double> zero_flat = tau;
  for (size_t i = 160; i < 200; ++i) zero_flat[i] = 0.0;
  expect_nan(empirical_crossover(eigvals, zero_flat, options), "not > 0");

  std::vector<double> rising = eigvals;  // τ ∝ λ over the fast set
  expect_nan(empirical_crossover(eigvals, rising, options), "slope");

  std::vector<double> unsorted = eigvals;
  std::swap(unsorted[4], unsorted[5]);
  expect_nan(empirical_crossover(unsorted, tau, options), "index 4");
  std::vector<double> with_nan = eigvals;
  with_nan[30] = kNaN;
  expect_nan(empirical_crossover(with_nan, tau, options), "index 30");

  std::vector<double> negative(eigvals.size());
  for (size_t i = 0; i < negative.size(); ++i) negative[i] = -static_cast<double>(i);
  CrossoverOptions fraction;
  fraction.flat_rule = FlatRule::kBelowFraction;
  expect_nan(empirical_crossover(negative, tau, fraction), "lambda_1");
  fraction.flat_fraction = 1e-9;
  expect_nan(empirical_crossover(eigvals, tau, fraction), "no flat directions");

  // Both failures are named.
  const Crossover both = empirical_crossover(eigvals, std::vector<double>(eigvals.size(), kNaN), options);
  expect_nan(both, "fast-direction line");
  EXPECT_TRUE(contains(both.reason, "flat set")) << both.reason;
}

TEST(FluctuationCrossover, RejectsInvalidOptionsAndSizes) {
  const std::vector<double> eigvals = log_spaced_eigvals(), tau = plateau_tau(eigvals, 1.0, 10.0);
  CrossoverOptions options;
  options.n_fast = 2;
  testing::expect_error_naming<core::Error>([&] { (void)empirical_crossover(eigvals, tau, options); }, "n_fast");
  options = {};
  options.n_flat = 0;
  testing::expect_error_naming<core::Error>([&] { (void)empirical_crossover(eigvals, tau, options); }, "n_flat");
  options = {};
  options.flat_rule = FlatRule::kBelowFraction;
  for (const double bad : {0.0, 1.5, kNaN}) {
    options.flat_fraction = bad;
    testing::expect_error_naming<core::Error>([&] { (void)empirical_crossover(eigvals, tau, options); },
                                              "flat_fraction");
  }
  testing::expect_error_naming<core::DimensionMismatch>(
      [&] { (void)empirical_crossover(eigvals, std::vector<double>(3, 1.0)); }, "correlation times");
  testing::expect_error_naming<core::DimensionMismatch>(
      [&] { (void)fit_power_law_or_nan(eigvals, std::vector<double>(3, 1.0), {}); }, "fit_power_law_or_nan");
}

TEST(FluctuationCrossover, PowerLawOrNaN) {
  std::vector<double> x, y;
  for (int i = 0; i < 12; ++i) {
    x.push_back(std::pow(1.7, i));
    y.push_back(0.3 * std::pow(x.back(), -1.25));
  }
  const PowerLawResult exact = fit_power_law_or_nan(x, y, {2, 8});
  ASSERT_TRUE(exact.ok()) << exact.failure;
  EXPECT_NEAR(exact.fit.exponent, -1.25, 1e-10);
  EXPECT_NEAR(exact.fit.intercept, std::log(0.3), 1e-10);
  EXPECT_EQ(exact.fit.used, 8);
  const PowerLawResult past_end = fit_power_law_or_nan(x, y, {5, 10});
  EXPECT_FALSE(past_end.ok());
  EXPECT_TRUE(std::isnan(past_end.fit.exponent) && std::isnan(past_end.fit.standard_error));
  EXPECT_TRUE(contains(past_end.failure, "exceeds")) << past_end.failure;
  const PowerLawResult two = fit_power_law_or_nan(x, y, {0, 2});
  EXPECT_TRUE(contains(two.failure, "2 usable points")) << two.failure;
}

}  // namespace
}  // namespace hesscov::stats
