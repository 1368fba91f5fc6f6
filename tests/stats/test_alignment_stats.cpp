// Tier (a) tests of the Study 1 statistics (SCIENCE.md "Study 1"): hand-computed cases, exact
// constructions (commuting C and H, exact power laws) and an independent dense reference for the
// least-squares standard error; the random-frame null against a Haar-rotated spectrum.
#include "stats/alignment_stats.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"

extern "C" void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w,
                        double* work, const int* lwork, int* iwork, const int* liwork, int* info);

namespace hesscov::stats {
namespace {

using Matrix = std::vector<double>;

double& at(Matrix& m, index k, index i, index j) { return m[static_cast<size_t>(i * k + j)]; }
double at(const Matrix& m, index k, index i, index j) { return m[static_cast<size_t>(i * k + j)]; }

Matrix multiply(const Matrix& a, const Matrix& b, index k) {
  Matrix product(static_cast<size_t>(k * k), 0.0);
  for (index i = 0; i < k; ++i)
    for (index l = 0; l < k; ++l)
      for (index j = 0; j < k; ++j) at(product, k, i, j) += at(a, k, i, l) * at(b, k, l, j);
  return product;
}

Matrix transpose(const Matrix& a, index k) {
  Matrix result(a.size());
  for (index i = 0; i < k; ++i)
    for (index j = 0; j < k; ++j) at(result, k, j, i) = at(a, k, i, j);
  return result;
}

Matrix diagonal_matrix(const std::vector<double>& values) {
  const auto k = static_cast<index>(values.size());
  Matrix result(static_cast<size_t>(k * k), 0.0);
  for (index i = 0; i < k; ++i) at(result, k, i, i) = values[static_cast<size_t>(i)];
  return result;
}

// Random orthogonal Q by twice-applied modified Gram-Schmidt on the columns of a Gaussian matrix:
// independent of the library's LAPACK-based haar_rotate.
Matrix random_orthogonal(index k, std::uint64_t seed) {
  std::mt19937_64 generator(seed);
  std::normal_distribution<double> normal;
  Matrix q(static_cast<size_t>(k * k));
  for (double& entry : q) entry = normal(generator);
  for (index j = 0; j < k; ++j)
    for (int pass = 0; pass < 2; ++pass) {
      for (index p = 0; p < j; ++p) {
        double dot = 0.0;
        for (index i = 0; i < k; ++i) dot += at(q, k, i, p) * at(q, k, i, j);
        for (index i = 0; i < k; ++i) at(q, k, i, j) -= dot * at(q, k, i, p);
      }
      double norm = 0.0;
      for (index i = 0; i < k; ++i) norm += at(q, k, i, j) * at(q, k, i, j);
      for (index i = 0; i < k; ++i) at(q, k, i, j) /= std::sqrt(norm);
    }
  return q;
}

std::vector<double> eigenvalues(Matrix matrix, index k) {
  const int n = static_cast<int>(k), lwork = 2 * n + 1, liwork = 1;
  std::vector<double> values(static_cast<size_t>(k)), work(static_cast<size_t>(lwork));
  int iwork = 0, info = 0;
  const char jobz = 'N', uplo = 'U';
  dsyevd_(&jobz, &uplo, &n, matrix.data(), &n, values.data(), work.data(), &lwork, &iwork, &liwork, &info);
  EXPECT_EQ(info, 0);
  return values;
}

double max_abs_difference(const Matrix& a, const Matrix& b) {
  double worst = 0.0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
  return worst;
}

template <class Callable>
std::string error_message(Callable&& call) {
  try {
    call();
  } catch (const core::Error& error) {
    return error.what();
  }
  return "<no exception>";
}

// H = Q diag(λ) Qᵀ and C = Q diag(prefactor λ^γ) Qᵀ commute; with V = Q, C_V = Vᵀ C V.
struct CommutingCase {
  index k = 0;
  std::vector<double> lambda;
  Matrix c_v;
};

CommutingCase commuting_case(index k, double gamma, double prefactor) {
  CommutingCase result{k, {}, {}};
  std::mt19937_64 generator(11);
  std::uniform_real_distribution<double> uniform(0.5, 2.0);
  std::vector<double> c_values;
  for (index i = 0; i < k; ++i) {
    result.lambda.push_back(uniform(generator));
    c_values.push_back(prefactor * std::pow(result.lambda.back(), gamma));
  }
  const Matrix q = random_orthogonal(k, 5);
  const Matrix c = multiply(multiply(q, diagonal_matrix(c_values), k), transpose(q, k), k);
  result.c_v = multiply(multiply(transpose(q, k), c, k), q, k);
  return result;
}

TEST(CorrelationMatrix, MatchesHandComputed3x3) {
  const Matrix c = {4.0, 2.0, -1.0,  //
                    2.0, 9.0, 1.5,   //
                    -1.0, 1.5, 1.0};
  // sqrt(diag) = (2, 3, 1): ρ01 = 2/6, ρ02 = −1/2, ρ12 = 1.5/3.
  const Matrix expected = {1.0, 1.0 / 3.0, -0.5,  //
                           1.0 / 3.0, 1.0, 0.5,   //
                           -0.5, 0.5, 1.0};
  const Matrix rho = correlation_matrix(c, 3);
  ASSERT_EQ(rho.size(), 9u);
  for (size_t i = 0; i < 9; ++i) EXPECT_NEAR(rho[i], expected[i], 1e-15) << "entry " << i;
}

TEST(CorrelationMatrix, NonPositiveDiagonalThrowsNamingIndex) {
  Matrix c = {4.0, 0.1, 0.2, 0.1, 1.0, 0.3, 0.2, 0.3, 0.0};
  const std::string message = error_message([&] { (void)correlation_matrix(c, 3); });
  EXPECT_NE(message.find("C[2,2]"), std::string::npos) << message;
  EXPECT_NE(message.find("must be positive"), std::string::npos) << message;
  c[8] = -1.0;
  EXPECT_THROW((void)correlation_matrix(c, 3), core::Error);
  c[8] = std::nan("");
  EXPECT_THROW((void)correlation_matrix(c, 3), core::Error);
  EXPECT_THROW((void)correlation_matrix(c, 2), core::DimensionMismatch);
}

TEST(MeanOffdiagonalAbs, MatchesHandComputed) {
  const Matrix rho = {1.0, -0.2, 0.4,  //
                      -0.2, 1.0, 0.6,  //
                      0.4, 0.6, 1.0};
  EXPECT_NEAR(mean_offdiagonal_abs(rho, 3), (0.2 + 0.4 + 0.6) / 3.0, 1e-15);
  EXPECT_THROW((void)mean_offdiagonal_abs({1.0}, 1), core::Error);
}

TEST(Commuting, EigenbasisProjectionIsDiagonal) {
  const CommutingCase exact = commuting_case(30, 1.37, 0.5);
  const Matrix rho = correlation_matrix(exact.c_v, exact.k);
  const Matrix identity = diagonal_matrix(std::vector<double>(30, 1.0));
  EXPECT_LT(max_abs_difference(rho, identity), 1e-12);
  EXPECT_LT(mean_offdiagonal_abs(rho, exact.k), 1e-12);
  EXPECT_LT(relative_commutator_norm(exact.c_v, exact.lambda, exact.k), 1e-12);

  // Positive control: a symmetric perturbation that does not commute is seen by both measures.
  Matrix perturbed = exact.c_v;
  for (index i = 0; i + 1 < exact.k; ++i) {
    at(perturbed, exact.k, i, i + 1) += 0.05;
    at(perturbed, exact.k, i + 1, i) += 0.05;
  }
  EXPECT_GT(mean_offdiagonal_abs(correlation_matrix(perturbed, exact.k), exact.k), 1e-3);
  EXPECT_GT(relative_commutator_norm(perturbed, exact.lambda, exact.k), 1e-3);
}

TEST(Commutator, MatchesHandComputed2x2) {
  // (CΛ − ΛC)_01 = 2·(4 − 1) = 6, (…)_10 = −6: sqrt(72) / sqrt(1 + 4 + 4 + 9) = 2.
  EXPECT_NEAR(relative_commutator_norm({1.0, 2.0, 2.0, 3.0}, {1.0, 4.0}, 2), 2.0, 1e-15);
  EXPECT_THROW((void)relative_commutator_norm({0.0, 0.0, 0.0, 0.0}, {1.0, 4.0}, 2), core::Error);
  EXPECT_THROW((void)relative_commutator_norm({1.0, 2.0, 2.0, 3.0}, {1.0}, 2), core::DimensionMismatch);
}

TEST(PowerLaw, DiagonalOfProjectedCovarianceGivesExponent) {
  const CommutingCase exact = commuting_case(30, 1.37, 0.5);
  const PowerLawFit fit = fit_power_law(exact.lambda, diagonal(exact.c_v, exact.k));
  EXPECT_NEAR(fit.exponent, 1.37, 1e-8);
  EXPECT_NEAR(fit.intercept, std::log(0.5), 1e-8);
  EXPECT_NEAR(fit.r_squared, 1.0, 1e-12);
  EXPECT_LT(fit.standard_error, 1e-8);
  EXPECT_EQ(fit.used, 30);
  EXPECT_EQ(fit.skipped, 0);
}

TEST(PowerLaw, ExactPowerLawSpectrumInWindow) {
  std::vector<double> lambda, c_diag;
  for (int i = 1; i <= 200; ++i) {
    lambda.push_back(10.0 * std::pow(i, -1.1));
    c_diag.push_back(std::pow(lambda.back(), 1.37));
  }
  // Spoil the entries outside the window so that reading them would change the fit.
  c_diag[0] = 1e6;
  c_diag[199] = 1e-9;
  const PowerLawFit fit = fit_power_law(lambda, c_diag, 1, 150);
  EXPECT_NEAR(fit.exponent, 1.37, 1e-8);
  EXPECT_NEAR(fit.intercept, 0.0, 1e-8);
  EXPECT_NEAR(fit.r_squared, 1.0, 1e-12);
  EXPECT_EQ(fit.used, 150);
  EXPECT_EQ(fit.skipped, 0);
  EXPECT_EQ(fit_power_law(lambda, c_diag, 190).used, 10);
}

TEST(PowerLaw, NoisyFitMatchesNormalEquations) {
  std::mt19937_64 generator(2024);
  std::uniform_real_distribution<double> uniform(0.01, 100.0);
  std::normal_distribution<double> noise(0.0, 0.3);
  const int n = 80;
  std::vector<double> x, y;
  for (int i = 0; i < n; ++i) {
    x.push_back(uniform(generator));
    y.push_back(2.0 * std::pow(x.back(), 1.5) * std::exp(noise(generator)));
  }
  // Reference: β = (XᵀX)⁻¹ Xᵀ log y with X = [1, log x], the 2×2 inverse written out.
  double s1 = 0.0, sx = 0.0, sxx = 0.0, sy = 0.0, sxy = 0.0;
  for (int i = 0; i < n; ++i) {
    const double lx = std::log(x[static_cast<size_t>(i)]), ly = std::log(y[static_cast<size_t>(i)]);
    s1 += 1.0, sx += lx, sxx += lx * lx, sy += ly, sxy += lx * ly;
  }
  const double det = s1 * sxx - sx * sx;
  const double inverse00 = sxx / det, inverse01 = -sx / det, inverse11 = s1 / det;
  const double intercept = inverse00 * sy + inverse01 * sxy, slope = inverse01 * sy + inverse11 * sxy;
  double rss = 0.0, tss = 0.0;
  for (int i = 0; i < n; ++i) {
    const double lx = std::log(x[static_cast<size_t>(i)]), ly = std::log(y[static_cast<size_t>(i)]);
    rss += (ly - intercept - slope * lx) * (ly - intercept - slope * lx);
    tss += (ly - sy / n) * (ly - sy / n);
  }
  const double standard_error = std::sqrt(rss / (n - 2) * inverse11);

  const PowerLawFit fit = fit_power_law(x, y);
  EXPECT_NEAR(fit.exponent, slope, 1e-10);
  EXPECT_NEAR(fit.intercept, intercept, 1e-10);
  EXPECT_NEAR(fit.standard_error, standard_error, 1e-10 * standard_error);
  EXPECT_NEAR(fit.r_squared, 1.0 - rss / tss, 1e-10);
  EXPECT_GT(fit.standard_error, 1e-3);  // the noise is visible, so the comparison is not 0 vs 0
  EXPECT_LT(std::abs(fit.exponent - 1.5), 4.0 * fit.standard_error);
}

TEST(PowerLaw, SkipsAndCountsUnusableEntries) {
  // y = 2x² on the usable points (1,2), (2,8), (8,128), (3,18).
  const std::vector<double> x = {1.0, 2.0, 0.0, 4.0, -1.0, 8.0, 16.0, 3.0, std::nan("")};
  const std::vector<double> y = {2.0, 8.0, 5.0, 0.0, 3.0, 128.0, -1.0, 18.0, 1.0};
  const PowerLawFit fit = fit_power_law(x, y);
  EXPECT_EQ(fit.used, 4);
  EXPECT_EQ(fit.skipped, 5);
  EXPECT_NEAR(fit.exponent, 2.0, 1e-12);
  EXPECT_NEAR(fit.intercept, std::log(2.0), 1e-12);
}

TEST(PowerLaw, RejectsTooFewPointsAndBadWindows) {
  const std::vector<double> x = {1.0, 2.0, 0.0, 4.0}, y = {1.0, 4.0, 9.0, -16.0};
  const std::string message = error_message([&] { (void)fit_power_law(x, y); });
  EXPECT_NE(message.find("2 usable points"), std::string::npos) << message;
  EXPECT_THROW((void)fit_power_law(x, {1.0, 2.0}), core::DimensionMismatch);
  EXPECT_THROW((void)fit_power_law(x, y, 2, 3), core::DimensionMismatch);
  EXPECT_THROW((void)fit_power_law(x, y, 5), core::DimensionMismatch);
  EXPECT_THROW((void)fit_power_law({2.0, 2.0, 2.0}, {1.0, 2.0, 3.0}), core::Error);
}

TEST(ParticipationRatio, EqualSpikesCountThemselves) {
  EXPECT_DOUBLE_EQ(participation_ratio(diagonal_matrix({1.0, 1.0, 1.0, 1.0}), 4), 4.0);
  EXPECT_DOUBLE_EQ(participation_ratio(diagonal_matrix({1.0, 0.0, 0.0}), 3), 1.0);
  EXPECT_DOUBLE_EQ(participation_ratio(4.0, 4.0), 4.0);
  // (1 + 3)² / (1 + 9): traces of diag(1, 3).
  EXPECT_DOUBLE_EQ(participation_ratio(diagonal_matrix({1.0, 3.0}), 2), 1.6);
  EXPECT_THROW((void)participation_ratio(0.0, 0.0), core::Error);
}

TEST(AnalyticNull, MatchesHandComputedValues) {
  // k_eff = 10, k = 100 (4950 pairs); values from 40-digit decimal arithmetic, Φ by its series.
  const NullTest above = analytic_null(0.3, 100, 10.0);
  EXPECT_NEAR(above.expected, 0.25231325220201600482, 1e-15);
  EXPECT_NEAR(above.standard_error, 0.0027094306965938105264, 1e-17);
  EXPECT_NEAR(above.z, 17.600283283840363523, 1e-11);
  EXPECT_NEAR(above.p_value, 1.0, 1e-15);
  const NullTest below = analytic_null(0.24, 100, 10.0);
  EXPECT_DOUBLE_EQ(below.observed, 0.24);
  EXPECT_NEAR(below.z, -4.5445902039479142756, 1e-11);
  EXPECT_NEAR(below.p_value, 2.7521116282653204039e-6, 1e-12 * 2.75e-6);
  EXPECT_THROW((void)analytic_null(0.3, 1, 10.0), core::Error);
  EXPECT_THROW((void)analytic_null(0.3, 100, 0.0), core::Error);
}

// The Gaussian null is a large-k_eff, large-P approximation: relative errors of about +1/(4 k_eff)
// (|ρ| of a rank-k_eff matrix is a cosine in k_eff dimensions, not a Gaussian) and −k_eff/(2P)
// (E ρ² ≈ 1/k_eff − 1/P for an orthonormal frame), against a standard error of about 1.07/k
// relative. Rotating the whole space (P = k = 400, 20 spikes) puts m_rand 4 SE below the null for
// every seed, so the check uses the study's geometry instead: a Haar k-frame (k = 100) of a
// P = 1000 space and 25 equal spikes, where both terms are about 1 SE and opposite in sign. A flat
// spectrum keeps the pairs nearly independent; with a smooth one the SE is too small by ~2×.
TEST(AnalyticNull, HaarFrameOfFlatSpectrumMatchesNull) {
  const index dim = 1000, k = 100, spikes = 25;
  std::vector<double> spectrum(static_cast<size_t>(dim), 0.0);
  std::fill_n(spectrum.begin(), spikes, 1.0);
  const Matrix c = diagonal_matrix(spectrum);
  const double k_eff = participation_ratio(static_cast<double>(spikes), static_cast<double>(spikes));
  EXPECT_DOUBLE_EQ(k_eff, 25.0);
  for (std::uint64_t seed : {1u, 2u}) {
    const Matrix rotated = haar_rotate(c, dim, seed);
    Matrix c_frame(static_cast<size_t>(k * k));
    for (index i = 0; i < k; ++i)
      for (index j = 0; j < k; ++j) at(c_frame, k, i, j) = at(rotated, dim, i, j);
    const double m_rand = mean_offdiagonal_abs(correlation_matrix(c_frame, k), k);
    const NullTest test = analytic_null(m_rand, k, k_eff);
    EXPECT_LT(std::abs(test.z), 4.0) << "seed " << seed << ": m_rand " << m_rand << " vs " << test.expected;
  }
}

TEST(AnalyticNull, NearDiagonalMatrixIsFarBelowNull) {
  const index k = 100;
  std::mt19937_64 generator(3);
  std::uniform_real_distribution<double> small(-1e-3, 1e-3);
  Matrix c(static_cast<size_t>(k * k), 0.0);
  for (index i = 0; i < k; ++i) {
    at(c, k, i, i) = 1.0 + 0.01 * static_cast<double>(i);
    for (index j = 0; j < i; ++j) at(c, k, i, j) = at(c, k, j, i) = small(generator);
  }
  const double m = mean_offdiagonal_abs(correlation_matrix(c, k), k);
  const NullTest test = analytic_null(m, k, participation_ratio(c, k));
  // m ≈ 5e-4 against E|ρ| ≈ 0.080 (k_eff ≈ 99) with SE ≈ 8.6e-4: z ≈ −92.
  EXPECT_LT(m, 1e-3);
  EXPECT_LT(test.z, -50.0);
  EXPECT_LT(test.p_value, 1e-100);
}

TEST(Bands, MatchHandComputed4x4) {
  const Matrix m = {5.0, 1.0, -2.0, 3.0,    //
                    1.0, 6.0, 0.5, -0.5,    //
                    -2.0, 0.5, 7.0, 1.0,    //
                    3.0, -0.5, 1.0, 8.0};
  const std::vector<BandStat> bands = band_offdiagonal_means(m, 4, {0, 1, 4});
  ASSERT_EQ(bands.size(), 2u);
  EXPECT_EQ(bands[0].row_begin, 0);
  EXPECT_EQ(bands[0].row_end, 1);
  EXPECT_EQ(bands[0].count, 3);
  EXPECT_NEAR(bands[0].mean_abs, (1.0 + 2.0 + 3.0) / 3.0, 1e-15);
  EXPECT_EQ(bands[1].row_begin, 1);
  EXPECT_EQ(bands[1].row_end, 4);
  EXPECT_EQ(bands[1].count, 9);
  EXPECT_NEAR(bands[1].mean_abs, (2.0 + 3.5 + 4.5) / 9.0, 1e-15);
}

TEST(Bands, RejectBadEdges) {
  const Matrix m(16, 1.0);
  EXPECT_THROW((void)band_offdiagonal_means(m, 4, {0, 2, 2, 4}), core::Error);
  EXPECT_THROW((void)band_offdiagonal_means(m, 4, {1, 4}), core::Error);
  EXPECT_THROW((void)band_offdiagonal_means(m, 4, {0, 3}), core::Error);
  EXPECT_THROW((void)band_offdiagonal_means(m, 4, {0}), core::Error);
  const std::string message = error_message([&] { (void)band_offdiagonal_means(m, 4, {0, 3, 2, 4}); });
  EXPECT_NE(message.find("edge 2"), std::string::npos) << message;
}

TEST(Summarize, MeanAndSampleStandardDeviation) {
  const SeedSummary summary = summarize({1.0, 2.0, 3.0, 4.0});
  EXPECT_DOUBLE_EQ(summary.mean, 2.5);
  EXPECT_NEAR(summary.std, std::sqrt(5.0 / 3.0), 1e-15);
  EXPECT_EQ(summary.n, 4);
  const SeedSummary single = summarize({7.0});
  EXPECT_EQ(single.mean, 7.0);
  EXPECT_EQ(single.std, 0.0);
  EXPECT_THROW((void)summarize({}), core::Error);
}

TEST(Diagonal, ReadsTheDiagonal) {
  EXPECT_EQ(diagonal({1.0, 2.0, 3.0, 4.0}, 2), (std::vector<double>{1.0, 4.0}));
  EXPECT_THROW((void)diagonal({1.0, 2.0, 3.0}, 2), core::DimensionMismatch);
}

TEST(HaarRotate, PreservesSymmetryAndSpectrum) {
  const index k = 60;
  std::mt19937_64 generator(9);
  std::normal_distribution<double> normal;
  Matrix a(static_cast<size_t>(k * k));
  for (double& entry : a) entry = normal(generator);
  const Matrix c = multiply(transpose(a, k), a, k);
  const Matrix rotated = haar_rotate(c, k, 42);
  double scale = 0.0;
  for (double entry : c) scale = std::max(scale, std::abs(entry));
  EXPECT_LT(max_abs_difference(rotated, transpose(rotated, k)), 1e-13 * scale);
  EXPECT_GT(max_abs_difference(rotated, c), 0.1 * scale);  // it did rotate
  const std::vector<double> before = eigenvalues(c, k), after = eigenvalues(rotated, k);
  EXPECT_LT(max_abs_difference(before, after), 1e-12 * before.back());
}

TEST(HaarRotate, OrthogonalAndDeterministic) {
  const index k = 50;
  const Matrix identity = diagonal_matrix(std::vector<double>(static_cast<size_t>(k), 1.0));
  EXPECT_LT(max_abs_difference(haar_rotate(identity, k, 3), identity), 1e-13);
  std::vector<double> spectrum;
  for (index i = 0; i < k; ++i) spectrum.push_back(1.0 / static_cast<double>(i + 1));
  const Matrix c = diagonal_matrix(spectrum);
  EXPECT_EQ(haar_rotate(c, k, 3), haar_rotate(c, k, 3));
  EXPECT_GT(max_abs_difference(haar_rotate(c, k, 3), haar_rotate(c, k, 4)), 1e-3);
  EXPECT_TRUE(haar_rotate({}, 0, 3).empty());
  EXPECT_THROW((void)haar_rotate(c, k - 1, 3), core::DimensionMismatch);
}

// Haar invariance makes E[Qᵀ C Q] = (tr C / k) I for every C. Without the sign fix Q·diag(sign R_ii)
// the QR factor is not Haar and, for C = e0e1ᵀ + e1e0ᵀ at k = 3, E[(QᵀCQ)_01] ≈ 0.06 (≈ 8 SE here).
TEST(HaarRotate, IsotropicOnAverage) {
  const index k = 3;
  const int draws = 3000;
  const Matrix c = {0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0};
  Matrix sum(9, 0.0), squares(9, 0.0);
  for (int draw = 0; draw < draws; ++draw) {
    const Matrix rotated = haar_rotate(c, k, static_cast<std::uint64_t>(1000 + draw));
    for (size_t i = 0; i < 9; ++i) sum[i] += rotated[i], squares[i] += rotated[i] * rotated[i];
  }
  for (size_t i = 0; i < 9; ++i) {
    const double mean = sum[i] / draws;
    const double standard_error = std::sqrt((squares[i] / draws - mean * mean) / draws);
    EXPECT_LT(std::abs(mean), 4.0 * standard_error) << "entry " << i;
  }
}

}  // namespace
}  // namespace hesscov::stats
