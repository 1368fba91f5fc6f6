// The Study 3 valley toy (stats/theory_trace_drift.hpp): the closed forms by hand, and the
// finite-η drift against a Monte-Carlo simulation of the full four-coordinate SGD, started from
// (t1, t2) drawn from their stationary law at (t3, t4) = (1, 1), many repetitions, the mean of
// (T_K − T_0)/K compared within 4 standard errors and 2%.
#include <gtest/gtest.h>

#include <cmath>
#include <utility>

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

// Toy 2's curvatures written out again, and their gradients by central differences: the oracle's
// closed-form derivatives are checked against them.
double toy2_lambda(int i, double t3, double t4) {
  return i == 0 ? 8.0 - 4.0 * std::exp(-(t3 * t3 + t4 * t4)) : 2.0 * std::exp(-(t3 - t4) * (t3 - t4));
}

TEST(TheoryTraceDrift, ToyTwoAgainstFiniteDifferencesOfItsCurvatures) {
  const double eta = 0.05, h = 1e-6;
  for (const double power : {1.0, 0.0, 0.5})
    for (const auto& [t3, t4] : {std::pair{1.0, -1.0}, std::pair{0.3, 0.8}, std::pair{-1.2, 0.1}}) {
      const ValleyDrift d = valley_drift(2, eta, 0.7, power, t3, t4);
      double trace_rate = 0.0, log_det_rate = 0.0;
      double grad[2][2], lambda[2];
      for (int i = 0; i < 2; ++i) {
        lambda[i] = toy2_lambda(i, t3, t4);
        grad[i][0] = (toy2_lambda(i, t3 + h, t4) - toy2_lambda(i, t3 - h, t4)) / (2.0 * h);
        grad[i][1] = (toy2_lambda(i, t3, t4 + h) - toy2_lambda(i, t3, t4 - h)) / (2.0 * h);
      }
      for (int i = 0; i < 2; ++i) {
        const double variance = eta * 0.7 * std::pow(lambda[i], power) / (lambda[i] * (2.0 - eta * lambda[i]));
        for (int a = 0; a < 2; ++a) {
          const double move = -0.5 * eta * variance * grad[i][a];
          trace_rate += move * (grad[0][a] + grad[1][a]);
          log_det_rate += move * (grad[0][a] / lambda[0] + grad[1][a] / lambda[1]);
        }
      }
      EXPECT_DOUBLE_EQ(d.lambda1, lambda[0]);
      EXPECT_DOUBLE_EQ(d.lambda2, lambda[1]);
      EXPECT_NEAR(d.log_det, std::log(lambda[0] * lambda[1]), 1e-14);
      EXPECT_NEAR(d.trace_rate, trace_rate, 1e-8 * std::abs(trace_rate) + 1e-16) << t3 << "," << t4 << " p " << power;
      EXPECT_NEAR(d.log_det_rate, log_det_rate, 1e-8 * std::abs(log_det_rate) + 1e-16) << t3 << "," << t4;
    }
  // At (1, -1), SGD-like noise descends the trace and climbs the determinant; isotropic the reverse.
  const ValleyDrift sgd = valley_drift(2, 0.05, 1.0, 1.0, 1.0, -1.0), iso = valley_drift(2, 0.05, 1.0, 0.0, 1.0, -1.0);
  EXPECT_LT(sgd.trace_rate, 0.0);
  EXPECT_GT(sgd.log_det_rate, 0.0);
  EXPECT_GT(iso.trace_rate, 0.0);
  EXPECT_LT(iso.log_det_rate, 0.0);
  testing::expect_error_naming<core::Error>([] { (void)valley_drift(3, 0.1, 1.0, 1.0, 1.0, 1.0); }, "toy 3");
  testing::expect_error_naming<core::Error>([] { (void)valley_drift(2, 0.6, 1.0, 1.0, 0.0, 0.0); }, "eta*lambda");
  // Toy 1 through the general form is the SCIENCE.md closed form.
  EXPECT_NEAR(valley_drift(1, 0.1, 2.0, 1.0, 1.0, 1.0).trace_rate, valley_trace_drift(0.1, 2.0).finite_eta, 1e-16);
}

}  // namespace
}  // namespace hesscov::stats::theory
