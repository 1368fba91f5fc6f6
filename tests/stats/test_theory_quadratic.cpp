// The Study 4 quadratic oracle (stats/theory_quadratic.hpp) against independent references: the
// vectorised Kronecker form of the Stein equation Σ_aug = AΣ_augAᵀ + BCBᵀ solved with LAPACK on
// the assembled 2P×2P A (scalar and matrix learning rate); the commuting closed form; the
// continuous-time answer's predicted factor; the trace closed form of the training loss; the
// eigenvalues of the assembled A for stability; and a long simulation of SGD with momentum.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "stats/theory_quadratic.hpp"
#include "support/expect.hpp"

extern "C" void dgesv_(const int* n, const int* nrhs, double* a, const int* lda, int* ipiv, double* b, const int* ldb,
                       int* info);
extern "C" void dgeev_(const char* jobvl, const char* jobvr, const int* n, double* a, const int* lda, double* wr,
                       double* wi, double* vl, const int* ldvl, double* vr, const int* ldvr, double* work,
                       const int* lwork, int* info);

namespace hesscov::stats::theory {
namespace {

using Matrix = std::vector<double>;

Matrix multiply(const Matrix& a, const Matrix& b, index n) {
  Matrix c(n * n, 0.0);
  for (index i = 0; i < n; ++i)
    for (index k = 0; k < n; ++k)
      for (index j = 0; j < n; ++j) c[i * n + j] += a[i * n + k] * b[k * n + j];
  return c;
}

Matrix transpose(const Matrix& a, index n) {
  Matrix t(n * n);
  for (index i = 0; i < n; ++i)
    for (index j = 0; j < n; ++j) t[j * n + i] = a[i * n + j];
  return t;
}

// Random orthogonal Q by Gram–Schmidt on a Gaussian matrix (std::mt19937_64, independent of LAPACK).
Matrix random_orthogonal(index n, std::uint64_t seed) {
  std::mt19937_64 generator(seed);
  std::normal_distribution<double> normal;
  Matrix q(n * n);
  for (double& v : q) v = normal(generator);
  for (index j = 0; j < n; ++j)
    for (int pass = 0; pass < 2; ++pass) {
      for (index p = 0; p < j; ++p) {
        double dot = 0.0;
        for (index i = 0; i < n; ++i) dot += q[i * n + p] * q[i * n + j];
        for (index i = 0; i < n; ++i) q[i * n + j] -= dot * q[i * n + p];
      }
      double norm = 0.0;
      for (index i = 0; i < n; ++i) norm += q[i * n + j] * q[i * n + j];
      for (index i = 0; i < n; ++i) q[i * n + j] /= std::sqrt(norm);
    }
  return q;
}

Matrix with_spectrum(const std::vector<double>& values, const Matrix& q) {
  const index n = static_cast<index>(values.size());
  Matrix d(n * n, 0.0);
  for (index i = 0; i < n; ++i) d[i * n + i] = values[i];
  return multiply(q, multiply(d, transpose(q, n), n), n);
}

Matrix random_psd(index n, std::uint64_t seed) {
  std::mt19937_64 generator(seed);
  std::normal_distribution<double> normal;
  Matrix g(n * n);
  for (double& v : g) v = normal(generator);
  Matrix c = multiply(g, transpose(g, n), n);
  for (double& v : c) v /= static_cast<double>(n);
  return c;
}

// The 2P×2P A and B (2P×P) of SCIENCE.md with a matrix learning rate E.
struct Augmented {
  Matrix a, b;
};
Augmented assemble(const Matrix& h, const Matrix& e, double mu, index p) {
  const index n = 2 * p;
  Augmented sys{Matrix(n * n, 0.0), Matrix(n * p, 0.0)};
  const Matrix eh = multiply(e, h, p);
  for (index i = 0; i < p; ++i)
    for (index j = 0; j < p; ++j) {
      sys.a[i * n + j] = (i == j ? 1.0 : 0.0) - eh[i * p + j];
      sys.a[i * n + p + j] = -mu * e[i * p + j];
      sys.a[(p + i) * n + j] = h[i * p + j];
      sys.a[(p + i) * n + p + j] = i == j ? mu : 0.0;
      sys.b[i * p + j] = -e[i * p + j];
      sys.b[(p + i) * p + j] = i == j ? 1.0 : 0.0;
    }
  return sys;
}

// vec(X) solving (I − A⊗A) vec(X) = vec(B C Bᵀ): (4P²)² dense LU.
Matrix kronecker_stein(const Augmented& sys, const Matrix& c, index p) {
  const index n = 2 * p, unknowns = n * n;
  Matrix q(unknowns, 0.0);
  for (index i = 0; i < n; ++i)
    for (index j = 0; j < n; ++j)
      for (index k = 0; k < p; ++k)
        for (index l = 0; l < p; ++l) q[i * n + j] += sys.b[i * p + k] * c[k * p + l] * sys.b[j * p + l];
  Matrix system(unknowns * unknowns, 0.0);  // column-major for LAPACK
  for (index i = 0; i < n; ++i)
    for (index j = 0; j < n; ++j)
      for (index k = 0; k < n; ++k)
        for (index l = 0; l < n; ++l) {
          const index row = i * n + j, col = k * n + l;
          system[col * unknowns + row] = (row == col ? 1.0 : 0.0) - sys.a[i * n + k] * sys.a[j * n + l];
        }
  const int size = static_cast<int>(unknowns), one = 1;
  std::vector<int> pivots(unknowns);
  int info = 0;
  dgesv_(&size, &one, system.data(), &size, pivots.data(), q.data(), &size, &info);
  EXPECT_EQ(info, 0);
  return q;
}

double spectral_radius_of(const Matrix& a, index n) {
  Matrix column_major = transpose(a, n);
  std::vector<double> wr(n), wi(n), work(8 * n);
  const int size = static_cast<int>(n), one = 1, lwork = static_cast<int>(work.size());
  double dummy = 0.0;
  int info = 0;
  dgeev_("N", "N", &size, column_major.data(), &size, wr.data(), wi.data(), &dummy, &one, &dummy, &one, work.data(),
         &lwork, &info);
  double radius = 0.0;
  for (index i = 0; i < n; ++i) radius = std::max(radius, std::hypot(wr[i], wi[i]));
  return radius;
}

double max_abs(const Matrix& m) {
  double v = 0.0;
  for (double x : m) v = std::max(v, std::abs(x));
  return v;
}

void expect_blocks_match(const QuadraticCovariance& oracle, const Matrix& reference, index p, double tolerance) {
  const index n = 2 * p;
  const double scale = max_abs(reference);
  for (index i = 0; i < p; ++i)
    for (index j = 0; j < p; ++j) {
      EXPECT_NEAR(oracle.ww[i * p + j], reference[i * n + j], tolerance * scale) << i << "," << j;
      EXPECT_NEAR(oracle.wm[i * p + j], reference[i * n + p + j], tolerance * scale) << i << "," << j;
      EXPECT_NEAR(oracle.mm[i * p + j], reference[(p + i) * n + p + j], tolerance * scale) << i << "," << j;
    }
}

TEST(TheoryQuadratic, NonCommutingScalarRateMatchesTheKroneckerSystem) {
  const index p = 4;
  const Matrix h = with_spectrum({0.05, 0.3, 1.0, 2.2}, random_orthogonal(p, 3));
  const Matrix c = random_psd(p, 5);
  for (double mu : {0.0, 0.5, 0.9}) {
    const double eta = 0.7;
    Matrix e(p * p, 0.0);
    for (index i = 0; i < p; ++i) e[i * p + i] = eta;
    const QuadraticStationary problem(h, p, eta, mu);
    ASSERT_TRUE(problem.stable());
    const Augmented sys = assemble(h, e, mu, p);
    expect_blocks_match(problem.solve(c), kronecker_stein(sys, c, p), p, 1e-11);
    EXPECT_NEAR(problem.spectral_radius(), spectral_radius_of(sys.a, 2 * p), 1e-7);
  }
}

TEST(TheoryQuadratic, MatrixLearningRateMatchesTheKroneckerSystem) {
  const index p = 3;
  const Matrix h = with_spectrum({0.2, 1.0, 3.0}, random_orthogonal(p, 7));
  const Matrix e = with_spectrum({0.1, 0.4, 0.25}, random_orthogonal(p, 9));  // does not commute with H
  const Matrix c = random_psd(p, 11);
  const double mu = 0.6;
  const QuadraticStationary problem(h, p, e, mu);
  ASSERT_TRUE(problem.stable());
  const Augmented sys = assemble(h, e, mu, p);
  expect_blocks_match(problem.solve(c), kronecker_stein(sys, c, p), p, 1e-11);
  EXPECT_NEAR(problem.spectral_radius(), spectral_radius_of(sys.a, 2 * p), 1e-7);
  // E = ηI gives the scalar answer.
  Matrix scalar_e(p * p, 0.0);
  for (index i = 0; i < p; ++i) scalar_e[i * p + i] = 0.3;
  const auto as_matrix = QuadraticStationary(h, p, scalar_e, mu).solve(c).ww;
  const auto as_scalar = QuadraticStationary(h, p, 0.3, mu).solve(c).ww;
  for (index i = 0; i < p * p; ++i) EXPECT_NEAR(as_matrix[i], as_scalar[i], 1e-12 * max_abs(as_scalar));
  // The continuous-time answer with a matrix rate solves ΣHE + EHΣ = ECE/(1−μ).
  const Matrix sigma = problem.continuous(c);
  const Matrix lhs_a = multiply(sigma, multiply(h, e, p), p), lhs_b = multiply(e, multiply(h, sigma, p), p);
  const Matrix rhs = multiply(e, multiply(c, e, p), p);
  for (index i = 0; i < p * p; ++i) EXPECT_NEAR(lhs_a[i] + lhs_b[i], rhs[i] / (1.0 - mu), 1e-12 * max_abs(rhs));
}

// P = 30 (too big for a quick Kronecker solve): the residual of the Stein equation on the assembled A.
TEST(TheoryQuadratic, ThirtyParametersSolveTheSteinEquation) {
  const index p = 30, n = 2 * p;
  std::vector<double> spectrum(p), rates(p);
  for (index i = 0; i < p; ++i) spectrum[i] = 0.01 * std::pow(300.0, static_cast<double>(i) / (p - 1));
  for (index i = 0; i < p; ++i) rates[i] = 0.05 + 0.1 * static_cast<double>(i % 4);
  const Matrix h = with_spectrum(spectrum, random_orthogonal(p, 23)), e = with_spectrum(rates, random_orthogonal(p, 29));
  const Matrix c = random_psd(p, 31);
  const double mu = 0.9;
  const QuadraticStationary problem(h, p, e, mu);
  ASSERT_TRUE(problem.stable());
  const QuadraticCovariance sigma = problem.solve(c);
  Matrix x(n * n);
  for (index i = 0; i < p; ++i)
    for (index j = 0; j < p; ++j) {
      x[i * n + j] = sigma.ww[i * p + j];
      x[i * n + p + j] = sigma.wm[i * p + j];
      x[(p + i) * n + j] = sigma.wm[j * p + i];
      x[(p + i) * n + p + j] = sigma.mm[i * p + j];
    }
  const Augmented sys = assemble(h, e, mu, p);
  Matrix residual = multiply(sys.a, multiply(x, transpose(sys.a, n), n), n);
  for (index i = 0; i < n; ++i)
    for (index j = 0; j < n; ++j) {
      for (index k = 0; k < p; ++k)
        for (index l = 0; l < p; ++l) residual[i * n + j] += sys.b[i * p + k] * c[k * p + l] * sys.b[j * p + l];
      residual[i * n + j] -= x[i * n + j];
    }
  EXPECT_LT(max_abs(residual), 1e-11 * max_abs(x));
}

TEST(TheoryQuadratic, CommutingClosedFormEqualsTheGeneralSolver) {
  const index p = 5;
  const Matrix q = random_orthogonal(p, 13);
  const std::vector<double> h{0.01, 0.2, 0.9, 1.7, 2.5}, c{1.0, 0.3, 2.0, 0.7, 0.05};
  for (double mu : {0.0, 0.5}) {
    const double eta = 0.5;
    const std::vector<double> closed = commuting_variances(h, c, eta, mu);
    const Matrix expected = with_spectrum(closed, q);
    const Matrix sigma = QuadraticStationary(with_spectrum(h, q), p, eta, mu).solve(with_spectrum(c, q)).ww;
    for (index i = 0; i < p * p; ++i) EXPECT_NEAR(sigma[i], expected[i], 1e-12 * max_abs(expected)) << i;
    // By hand for one entry: η c/((1−μ) h (2 − ηh/(1+μ))).
    EXPECT_NEAR(closed[2], eta * 2.0 / ((1.0 - mu) * 0.9 * (2.0 - eta * 0.9 / (1.0 + mu))), 1e-15);
  }
}

TEST(TheoryQuadratic, ContinuousTimeMissesTheFactorTwoAtEtaHEqualsOnePlusMu) {
  for (double mu : {0.0, 0.5}) {
    const double h = 2.0, eta = (1.0 + mu) / h;  // η h = 1 + μ (= 1 for plain SGD)
    const QuadraticStationary problem({h}, 1, eta, mu);
    const double discrete = problem.solve({0.8}).ww[0], continuous = problem.continuous({0.8})[0];
    EXPECT_NEAR(continuous, eta * 0.8 / ((1.0 - mu) * 2.0 * h), 1e-15);  // ΣH + HΣ = ηC/(1−μ)
    EXPECT_NEAR(discrete / continuous, 2.0, 1e-13) << "mu = " << mu;
  }
  // Small η: they agree to first order (ratio 1 + ηh/(2(1+μ)) + ...).
  const QuadraticStationary slow({1.0}, 1, 1e-4, 0.5);
  EXPECT_NEAR(slow.solve({1.0}).ww[0] / slow.continuous({1.0})[0], 1.0 + 1e-4 / 3.0, 1e-8);
}

TEST(TheoryQuadratic, TrainingLossClosedFormForNonCommutingNoise) {
  const index p = 3;
  const Matrix h = with_spectrum({0.3, 1.1, 2.0}, random_orthogonal(p, 17));
  const Matrix c = random_psd(p, 19);
  const double eta = 0.6, mu = 0.4;
  // η/(4(1−μ)) tr[(I − ηH/(2(1+μ)))⁻¹ C], the inverse by LAPACK on the assembled matrix.
  Matrix m(p * p), inverse_c = c;
  for (index i = 0; i < p; ++i)
    for (index j = 0; j < p; ++j) m[j * p + i] = (i == j ? 1.0 : 0.0) - eta * h[i * p + j] / (2.0 * (1.0 + mu));
  const int size = p;
  std::vector<int> pivots(p);
  int info = 0;
  Matrix c_column_major = transpose(c, p);
  dgesv_(&size, &size, m.data(), &size, pivots.data(), c_column_major.data(), &size, &info);
  ASSERT_EQ(info, 0);
  double trace = 0.0;
  for (index i = 0; i < p; ++i) trace += c_column_major[i * p + i];
  const double closed = eta / (4.0 * (1.0 - mu)) * trace;
  const QuadraticStationary problem(h, p, eta, mu);
  EXPECT_NEAR(quadratic_excess_loss(h, problem.solve(c).ww, p), closed, 1e-13 * closed);
  EXPECT_NEAR(problem.excess_loss(c), closed, 1e-13 * closed);
}

TEST(TheoryQuadratic, InstabilityIsDetectedAtTwoOnePlusMu) {
  for (double mu : {0.0, 0.5, 0.9}) {
    const double edge = 2.0 * (1.0 + mu);
    const QuadraticStationary below({1.0, 0.0, 0.0, 0.5}, 2, edge * (1.0 - 1e-9), mu);
    EXPECT_TRUE(below.stable());
    EXPECT_LT(below.spectral_radius(), 1.0);
    for (double factor : {1.0, 1.01}) {
      const QuadraticStationary at({1.0, 0.0, 0.0, 0.5}, 2, edge * factor, mu);
      EXPECT_FALSE(at.stable()) << "mu " << mu << " factor " << factor;
      EXPECT_GE(at.spectral_radius(), 1.0 - 1e-12);
      testing::expect_error_naming<core::Error>([&] { (void)at.solve({1.0, 0.0, 0.0, 1.0}); }, "eta*h");
    }
  }
  // A flat or negative direction has no stationary state either.
  EXPECT_FALSE(QuadraticStationary({1.0, 0.0, 0.0, 0.0}, 2, 0.1, 0.0).stable());
  EXPECT_FALSE(QuadraticStationary({1.0, 0.0, 0.0, -0.1}, 2, 0.1, 0.0).stable());
  testing::expect_error_naming<core::Error>([] { (void)QuadraticStationary({1.0, 0.2, 0.0, 1.0}, 2, 0.1, 0.0); },
                                            "not symmetric");
  testing::expect_error_naming<core::Error>([] { (void)QuadraticStationary({1.0}, 1, 0.1, 1.0); }, "mu");
}

// SGD with momentum on the quadratic with Gaussian noise ξ ~ N(0, C): the time average of wwᵀ.
TEST(TheoryQuadratic, LongSimulationWithMomentumAndNonCommutingNoise) {
  const Matrix h{1.0, 0.3, 0.3, 0.2}, c{1.0, -0.4, -0.4, 0.5};
  const double eta = 0.5, mu = 0.5;
  const Matrix sigma = QuadraticStationary(h, 2, eta, mu).solve(c).ww;
  // Cholesky factor of C for the noise.
  const double l00 = std::sqrt(c[0]), l10 = c[2] / l00, l11 = std::sqrt(c[3] - l10 * l10);
  const core::CounterRng rng(21, "test/theory/quadratic");
  double w0 = 0.0, w1 = 0.0, m0 = 0.0, m1 = 0.0, s00 = 0.0, s01 = 0.0, s11 = 0.0;
  const index burn_in = 10000, steps = 2000000;
  for (index k = 0; k < burn_in + steps; ++k) {
    const double z0 = rng.normal(2 * k), z1 = rng.normal(2 * k + 1);
    const double g0 = h[0] * w0 + h[1] * w1 + l00 * z0, g1 = h[2] * w0 + h[3] * w1 + l10 * z0 + l11 * z1;
    m0 = mu * m0 + g0;
    m1 = mu * m1 + g1;
    w0 -= eta * m0;
    w1 -= eta * m1;
    if (k >= burn_in) s00 += w0 * w0, s01 += w0 * w1, s11 += w1 * w1;
  }
  s00 /= steps, s01 /= steps, s11 /= steps;
  EXPECT_NEAR(s00, sigma[0], 0.02 * sigma[0]);
  EXPECT_NEAR(s11, sigma[3], 0.02 * sigma[3]);
  EXPECT_NEAR(s01, sigma[1], 0.02 * std::sqrt(sigma[0] * sigma[3]));
  // The off-diagonal is not small: the test can tell a wrong coupling from a right one.
  EXPECT_GT(std::abs(sigma[1]), 0.2 * std::sqrt(sigma[0] * sigma[3]));
}

}  // namespace
}  // namespace hesscov::stats::theory
