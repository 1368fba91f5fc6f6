// The Study 3 valley toy (stats/theory_trace_drift.hpp): the closed forms by hand, and the
// finite-η drift against a Monte-Carlo simulation of the full four-coordinate SGD, started from
// (t1, t2) drawn from their stationary law at (t3, t4) = (1, 1), many repetitions, the mean of
// (T_K − T_0)/K compared within 4 standard errors and 2%.
#include <gtest/gtest.h>

#include <cmath>

#include "backend/types.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "stats/theory_trace_drift.hpp"
#include "support/expect.hpp"

namespace hesscov::stats::theory {
namespace {

TEST(TheoryTraceDrift, ClosedFormsAtTheStartPoint) {
  const TraceDrift d = valley_trace_drift(0.1, 2.0);
  EXPECT_EQ(d.lambda1, 4.0);
  EXPECT_EQ(d.lambda2, 6.0);
  EXPECT_EQ(d.trace, 10.0);
  EXPECT_EQ(d.flat_gradient_norm2, 52.0);
  EXPECT_NEAR(d.leading_order, -13.0 * 0.01 * 2.0, 1e-15);
  EXPECT_NEAR(d.finite_eta, -2.0 * 0.01 * 2.0 * (5.0 / 1.6 + 8.0 / 1.4), 1e-15);
  // The finite-η form tends to the leading order as η → 0.
  const TraceDrift slow = valley_trace_drift(1e-6, 1.0);
  EXPECT_NEAR(slow.finite_eta / slow.leading_order, 1.0, 1e-5);
  EXPECT_EQ(valley_trace(1.0, 1.0), 10.0);
  testing::expect_error_naming<core::Error>([] { (void)valley_trace_drift(0.4, 1.0); }, "eta*lambda");
  testing::expect_error_naming<core::Error>([] { (void)valley_trace_drift(0.1, 1.0, 2.0, -2.0); }, "kink");
}

struct MonteCarlo {
  double mean, standard_error;
};

// R independent runs of K steps of t ← t − η(∇L + ξ), ξ ~ N(0, κ diag(4, 6, 0, 0)).
MonteCarlo simulate_drift(double eta, double kappa, index repetitions, index steps, std::uint64_t seed) {
  const core::CounterRng rng(seed, "test/theory/valley");
  const double lambda1 = 4.0, lambda2 = 6.0;
  std::uint64_t counter = 0;
  double sum = 0.0, sum_sq = 0.0;
  for (index r = 0; r < repetitions; ++r) {
    double t1 = std::sqrt(eta * kappa / (2.0 - eta * lambda1)) * rng.normal(counter++);
    double t2 = std::sqrt(eta * kappa / (2.0 - eta * lambda2)) * rng.normal(counter++);
    double t3 = 1.0, t4 = 1.0;
    const double start = valley_trace(t3, t4);
    for (index k = 0; k < steps; ++k) {
      const double a = t3 + t4, b = t3 + 2.0 * t4, sa = a > 0 ? 1.0 : -1.0, sb = b > 0 ? 1.0 : -1.0;
      const double g1 = 2.0 * std::abs(a) * t1 + std::sqrt(kappa * lambda1) * rng.normal(counter++);
      const double g2 = 2.0 * std::abs(b) * t2 + std::sqrt(kappa * lambda2) * rng.normal(counter++);
      const double g3 = sa * t1 * t1 + sb * t2 * t2, g4 = sa * t1 * t1 + 2.0 * sb * t2 * t2;
      t1 -= eta * g1, t2 -= eta * g2, t3 -= eta * g3, t4 -= eta * g4;
    }
    const double rate = (valley_trace(t3, t4) - start) / static_cast<double>(steps);
    sum += rate, sum_sq += rate * rate;
  }
  const double n = static_cast<double>(repetitions), mean = sum / n;
  return {mean, std::sqrt((sum_sq / n - mean * mean) / (n - 1.0))};
}

TEST(TheoryTraceDrift, MonteCarloMatchesTheFiniteEtaDrift) {
  // κ small enough that T moves by < 0.1% over a run, so the curvatures stay at their start values.
  struct Case {
    double eta;
    index repetitions, steps;
  };
  for (const Case& c : {Case{0.1, 1000, 400}, Case{0.02, 2000, 500}}) {
    const double kappa = 1e-4;
    const TraceDrift theory = valley_trace_drift(c.eta, kappa);
    const MonteCarlo mc = simulate_drift(c.eta, kappa, c.repetitions, c.steps, 31);
    RecordProperty("eta_" + std::to_string(c.eta), std::to_string(mc.mean / theory.finite_eta - 1.0) + " se " +
                                                        std::to_string(mc.standard_error / std::abs(theory.finite_eta)));
    EXPECT_NEAR(mc.mean, theory.finite_eta, 4.0 * mc.standard_error) << "eta = " << c.eta;
    EXPECT_NEAR(mc.mean, theory.finite_eta, 0.02 * std::abs(theory.finite_eta)) << "eta = " << c.eta;
    // ... and tells the finite-η form from the leading order (36% apart at η = 0.1, 5.5% at 0.02).
    EXPECT_GT(std::abs(mc.mean - theory.leading_order), 4.0 * mc.standard_error) << "eta = " << c.eta;
  }
}

}  // namespace
}  // namespace hesscov::stats::theory
