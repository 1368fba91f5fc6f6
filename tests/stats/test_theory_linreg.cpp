// The Study 4 linear-regression oracle (stats/theory_linreg.hpp): SCIENCE.md's 1-D value by hand,
// the closed form against the general quadratic solver fed the closed form's own noise
// (self-consistency of Σ = 𝓛(C(Σ)) in a rotated basis), simulations of SGD on fresh Gaussian
// samples (1-D plain, 2-D rotated with momentum), the finite-N solver against a simulation of SGD
// on a fixed small data set with replacement sampling and against the Gaussian closed form for a
// large data set, and the exact zero-noise cases.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "stats/theory_linreg.hpp"
#include "stats/theory_quadratic.hpp"
#include "support/expect.hpp"

namespace hesscov::stats::theory {
namespace {

using Matrix = std::vector<double>;

double relative(double value, double reference) { return std::abs(value - reference) / std::abs(reference); }

// Rotation by angle φ (2×2, row-major) and R diag(d) Rᵀ.
Matrix rotation(double phi) { return {std::cos(phi), -std::sin(phi), std::sin(phi), std::cos(phi)}; }
Matrix rotate_diagonal(const Matrix& r, double d0, double d1) {
  return {r[0] * r[0] * d0 + r[1] * r[1] * d1, r[0] * r[2] * d0 + r[1] * r[3] * d1,
          r[2] * r[0] * d0 + r[3] * r[1] * d1, r[2] * r[2] * d0 + r[3] * r[3] * d1};
}

TEST(TheoryLinreg, OneDimensionalValueOfScience) {
  const LinregGaussian r = linreg_gaussian_stationary({1.0}, 0.5, 4, 0.0, 1.0);
  ASSERT_TRUE(r.stable);
  EXPECT_NEAR(r.sigma_diag[0], 0.1, 1e-15);
  EXPECT_NEAR(r.trace_a_sigma, 0.1, 1e-15);
  EXPECT_NEAR(r.test_loss, 0.05, 1e-15);
  EXPECT_NEAR(r.train_loss, 0.55, 1e-15);
  EXPECT_NEAR(r.noise_diag[0], 0.3, 1e-15);  // (1/4)(0.1 + 4/(4 − 4/11))
  // SCIENCE.md's 1-D μ = 0 form ησ²/(S(2 − ηa) − 2ηa) over other settings.
  for (double eta : {0.1, 0.7})
    for (index s : {1, 3, 16})
      for (double a : {0.5, 2.0}) {
        const LinregGaussian q = linreg_gaussian_stationary({a}, eta, s, 0.0, 1.7);
        const double denominator = s * (2.0 - eta * a) - 2.0 * eta * a;
        if (denominator <= 0.0) {
          EXPECT_FALSE(q.stable) << eta << " " << s << " " << a;
          continue;
        }
        EXPECT_NEAR(q.sigma_diag[0], eta * 1.7 / denominator, 1e-14) << eta << " " << s << " " << a;
      }
}

// Σ = 𝓛(C(Σ)) with C(Σ) = (1/S)(AΣA + tr(AΣ)A + σ²A): feed the closed form's Σ, rotated into a
// non-diagonal basis, to the general quadratic solver and get it back.
TEST(TheoryLinreg, ClosedFormIsAFixedPointOfTheLyapunovEquation) {
  const double eta = 0.4, mu = 0.5, sigma2 = 0.5;
  const index s = 4;
  const LinregGaussian r = linreg_gaussian_stationary({1.0, 0.25}, eta, s, mu, sigma2);
  ASSERT_TRUE(r.stable);
  const Matrix rot = rotation(0.6);
  const Matrix a = rotate_diagonal(rot, 1.0, 0.25), sigma = rotate_diagonal(rot, r.sigma_diag[0], r.sigma_diag[1]);
  const Matrix expected_noise = rotate_diagonal(rot, r.noise_diag[0], r.noise_diag[1]);
  Matrix as(4, 0.0), noise(4);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j)
      for (int k = 0; k < 2; ++k) as[i * 2 + j] += a[i * 2 + k] * sigma[k * 2 + j];
  const double trace = as[0] + as[3];
  EXPECT_NEAR(trace, r.trace_a_sigma, 1e-15);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) {
      double asa = 0.0;
      for (int k = 0; k < 2; ++k) asa += as[i * 2 + k] * a[k * 2 + j];
      noise[i * 2 + j] = (asa + trace * a[i * 2 + j] + sigma2 * a[i * 2 + j]) / static_cast<double>(s);
    }
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(noise[i], expected_noise[i], 1e-14);
  const Matrix back = QuadraticStationary(a, 2, eta, mu).solve(noise).ww;
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(back[i], sigma[i], 1e-14) << i;
  EXPECT_NEAR(r.train_loss, sigma2 / 2.0 + r.test_loss, 1e-15);
}

TEST(TheoryLinreg, StabilityNeedsEveryGPositiveAndTBelowS) {
  // g = 2 − (1 + 1/S)η a = 0 at η a = 1, S = 1.
  EXPECT_FALSE(linreg_gaussian_stationary({1.0}, 1.0, 1, 0.0, 1.0).stable);
  // Each g_i = 1 > 0, but t = 10 · 0.5 = 5 ≥ S = 1: the label noise feeds back through tr(AΣ).
  const LinregGaussian many = linreg_gaussian_stationary(std::vector<double>(10, 1.0), 0.5, 1, 0.0, 1.0);
  EXPECT_FALSE(many.stable);
  EXPECT_NEAR(many.t, 5.0, 1e-14);
  EXPECT_TRUE(std::isnan(many.sigma_diag[0]));
  EXPECT_TRUE(linreg_gaussian_stationary(std::vector<double>(10, 1.0), 0.5, 6, 0.0, 1.0).stable);
  testing::expect_error_naming<core::Error>([] { (void)linreg_gaussian_stationary({1.0, -0.5}, 0.1, 2, 0.0, 1.0); }, "a_2");
  testing::expect_error_naming<core::Error>([] { (void)linreg_gaussian_stationary({1.0}, 0.1, 2, 1.0, 1.0); }, "mu");
}

// SGD with momentum on fresh Gaussian samples, x = R diag(√a) z, label noise ε ~ N(0, σ²); the
// iterate is tracked as e = w − u. Returns the time average of e eᵀ (2×2; 1-D uses entry 0).
Matrix simulate_fresh(const Matrix& rot, double a0, double a1, index dim, double eta, index s, double mu, double sigma2,
                      index steps, std::uint64_t seed) {
  const core::CounterRng rng(seed, "test/theory/linreg_fresh");
  std::uint64_t counter = 0;
  double e[2] = {0.0, 0.0}, m[2] = {0.0, 0.0};
  Matrix second(4, 0.0);
  const index burn_in = 5000;
  for (index k = 0; k < burn_in + steps; ++k) {
    double g[2] = {0.0, 0.0};
    for (index j = 0; j < s; ++j) {
      const double z0 = std::sqrt(a0) * rng.normal(counter++), z1 = dim == 2 ? std::sqrt(a1) * rng.normal(counter++) : 0.0;
      const double x0 = dim == 2 ? rot[0] * z0 + rot[1] * z1 : z0, x1 = dim == 2 ? rot[2] * z0 + rot[3] * z1 : 0.0;
      const double residual = x0 * e[0] + x1 * e[1] - std::sqrt(sigma2) * rng.normal(counter++);
      g[0] += x0 * residual / static_cast<double>(s);
      g[1] += x1 * residual / static_cast<double>(s);
    }
    for (int i = 0; i < 2; ++i) {
      m[i] = mu * m[i] + g[i];
      e[i] -= eta * m[i];
    }
    if (k >= burn_in)
      for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 2; ++j) second[i * 2 + j] += e[i] * e[j] / static_cast<double>(steps);
  }
  return second;
}

TEST(TheoryLinreg, FreshSampleSimulationOneDimensional) {
  const Matrix second = simulate_fresh(rotation(0.0), 1.0, 0.0, 1, 0.5, 4, 0.0, 1.0, 2000000, 3);
  RecordProperty("relative_error", std::to_string(second[0] / 0.1 - 1.0));
  EXPECT_NEAR(second[0], 0.1, 0.002);
}

TEST(TheoryLinreg, FreshSampleSimulationTwoDimensionalWithMomentum) {
  const double eta = 0.4, mu = 0.5, sigma2 = 0.5;
  const index s = 4;
  const LinregGaussian r = linreg_gaussian_stationary({1.0, 0.25}, eta, s, mu, sigma2);
  const Matrix rot = rotation(0.6), sigma = rotate_diagonal(rot, r.sigma_diag[0], r.sigma_diag[1]);
  const Matrix second = simulate_fresh(rot, 1.0, 0.25, 2, eta, s, mu, sigma2, 1000000, 5);
  EXPECT_NEAR(second[0], sigma[0], 0.03 * sigma[0]);
  EXPECT_NEAR(second[3], sigma[3], 0.03 * sigma[3]);
  EXPECT_NEAR(second[1], sigma[1], 0.03 * std::sqrt(sigma[0] * sigma[3]));
  const Matrix a = rotate_diagonal(rot, 1.0, 0.25);
  const double test_loss = 0.5 * (a[0] * second[0] + a[1] * second[2] + a[2] * second[1] + a[3] * second[3]);
  EXPECT_NEAR(test_loss, r.test_loss, 0.03 * r.test_loss);
}

// A fixed data set: N = 12 points in 2-D with label noise.
struct Dataset {
  Matrix x;
  std::vector<double> y;
};
Dataset small_dataset(index n, std::uint64_t seed, double noise) {
  const core::CounterRng rng(seed, "test/theory/linreg_data");
  Dataset d;
  for (index i = 0; i < n; ++i) {
    const double x0 = rng.normal(3 * i), x1 = 0.5 * rng.normal(3 * i + 1) + 0.3 * x0;
    d.x.push_back(x0);
    d.x.push_back(x1);
    d.y.push_back(0.7 * x0 - 1.2 * x1 + noise * rng.normal(3 * i + 2));
  }
  return d;
}

TEST(TheoryLinreg, FiniteDatasetMatchesSimulationWithReplacement) {
  const index n = 12, s = 3;
  const double eta = 0.3, mu = 0.3;
  const Dataset data = small_dataset(n, 9, 0.5);
  const LinregDataset oracle = linreg_dataset_stationary(data.x, data.y, n, 2, eta, s, mu, Sampling::with_replacement);
  ASSERT_TRUE(oracle.stable);
  // w* by hand from the 2×2 normal equations.
  double h00 = 0, h01 = 0, h11 = 0, b0 = 0, b1 = 0;
  for (index i = 0; i < n; ++i) {
    const double x0 = data.x[2 * i], x1 = data.x[2 * i + 1];
    h00 += x0 * x0 / n, h01 += x0 * x1 / n, h11 += x1 * x1 / n, b0 += x0 * data.y[i] / n, b1 += x1 * data.y[i] / n;
  }
  const double det = h00 * h11 - h01 * h01, w0 = (h11 * b0 - h01 * b1) / det, w1 = (h00 * b1 - h01 * b0) / det;
  EXPECT_NEAR(oracle.minimizer[0], w0, 1e-12);
  EXPECT_NEAR(oracle.minimizer[1], w1, 1e-12);
  const core::CounterRng rng(17, "test/theory/linreg_dataset");
  std::uint64_t counter = 0;
  double w[2] = {w0, w1}, m[2] = {0.0, 0.0}, s00 = 0, s01 = 0, s11 = 0, loss = 0;
  const index burn_in = 5000, steps = 2000000;
  for (index k = 0; k < burn_in + steps; ++k) {
    double g[2] = {0.0, 0.0};
    for (index j = 0; j < s; ++j) {
      const index i = static_cast<index>(rng.uniform(counter++) * n);
      const double residual = data.x[2 * i] * w[0] + data.x[2 * i + 1] * w[1] - data.y[i];
      g[0] += data.x[2 * i] * residual / s;
      g[1] += data.x[2 * i + 1] * residual / s;
    }
    for (int c = 0; c < 2; ++c) m[c] = mu * m[c] + g[c], w[c] -= eta * m[c];
    if (k < burn_in) continue;
    const double e0 = w[0] - w0, e1 = w[1] - w1;
    s00 += e0 * e0 / steps, s01 += e0 * e1 / steps, s11 += e1 * e1 / steps;
    double full = 0.0;
    for (index i = 0; i < n; ++i) {
      const double r = data.x[2 * i] * w[0] + data.x[2 * i + 1] * w[1] - data.y[i];
      full += 0.5 * r * r / n;
    }
    loss += full / steps;
  }
  const Matrix& sigma = oracle.sigma;
  EXPECT_NEAR(s00, sigma[0], 0.03 * sigma[0]);
  EXPECT_NEAR(s11, sigma[3], 0.03 * sigma[3]);
  EXPECT_NEAR(s01, sigma[1], 0.03 * std::sqrt(sigma[0] * sigma[3]));
  EXPECT_NEAR(loss, oracle.train_loss, 0.03 * (oracle.train_loss - oracle.min_loss));
  // The state-dependent part matters here: the residual-only noise would give a clearly smaller Σ.
  const Matrix residual_only = QuadraticStationary(oracle.hessian, 2, eta, mu).solve([&] {
    Matrix c(4, 0.0);
    for (index i = 0; i < n; ++i) {
      const double x0 = data.x[2 * i], x1 = data.x[2 * i + 1], r = data.y[i] - x0 * w0 - x1 * w1;
      c[0] += r * r * x0 * x0 / (n * s), c[1] += r * r * x0 * x1 / (n * s), c[3] += r * r * x1 * x1 / (n * s);
    }
    c[2] = c[1];
    return c;
  }()).ww;
  EXPECT_GT(sigma[0] / residual_only[0], 1.1);
}

TEST(TheoryLinreg, LargeGaussianDatasetApproachesTheFreshSampleClosedForm) {
  const index n = 40000, s = 4;
  const double eta = 0.4, mu = 0.5, sigma2 = 0.5;
  const core::CounterRng rng(23, "test/theory/linreg_large");
  Matrix x;
  std::vector<double> y;
  for (index i = 0; i < n; ++i) {
    x.push_back(rng.normal(3 * i));
    x.push_back(0.5 * rng.normal(3 * i + 1));
    y.push_back(x[2 * i] - x[2 * i + 1] + std::sqrt(sigma2) * rng.normal(3 * i + 2));
  }
  const LinregDataset finite = linreg_dataset_stationary(x, y, n, 2, eta, s, mu, Sampling::with_replacement);
  const LinregGaussian closed = linreg_gaussian_stationary({1.0, 0.25}, eta, s, mu, sigma2);
  ASSERT_TRUE(finite.stable);
  EXPECT_NEAR(finite.sigma[0], closed.sigma_diag[0], 0.03 * closed.sigma_diag[0]);
  EXPECT_NEAR(finite.sigma[3], closed.sigma_diag[1], 0.03 * closed.sigma_diag[1]);
  EXPECT_NEAR(finite.sigma[1], 0.0, 0.03 * std::sqrt(closed.sigma_diag[0] * closed.sigma_diag[1]));
  EXPECT_NEAR(finite.trace_h_sigma, closed.trace_a_sigma, 0.03 * closed.trace_a_sigma);
}

TEST(TheoryLinreg, ExactZeroNoiseCases) {
  const index n = 12;
  // Zero residuals: every per-sample gradient vanishes at w*, so C = 0 and Σ = 0.
  const Dataset clean = small_dataset(n, 9, 0.0);
  const LinregDataset zero = linreg_dataset_stationary(clean.x, clean.y, n, 2, 0.3, 3, 0.3, Sampling::with_replacement);
  ASSERT_TRUE(zero.stable);
  for (double v : zero.sigma) EXPECT_NEAR(v, 0.0, 1e-25);
  EXPECT_NEAR(zero.min_loss, 0.0, 1e-25);
  // Full batch without replacement: c_S = 0, gradient descent, Σ = 0 despite the residuals.
  const Dataset noisy = small_dataset(n, 9, 0.5);
  const LinregDataset full = linreg_dataset_stationary(noisy.x, noisy.y, n, 2, 0.3, n, 0.3, Sampling::without_replacement);
  for (double v : full.sigma) EXPECT_NEAR(v, 0.0, 1e-25);
  EXPECT_NEAR(full.train_loss, full.min_loss, 1e-25);
  // Too large a step: no stationary state.
  EXPECT_FALSE(linreg_dataset_stationary(noisy.x, noisy.y, n, 2, 5.0, 3, 0.3, Sampling::with_replacement).stable);
}

}  // namespace
}  // namespace hesscov::stats::theory
