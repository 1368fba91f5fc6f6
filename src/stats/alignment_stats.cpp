#include "stats/alignment_stats.hpp"

#include <cblas.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <numbers>
#include <string>

#include "core/error.hpp"
#include "core/rng.hpp"

extern "C" void dgeqrf_(const int* m, const int* n, double* a, const int* lda, double* tau, double* work,
                        const int* lwork, int* info);
extern "C" void dorgqr_(const int* m, const int* n, const int* k, double* a, const int* lda, const double* tau,
                        double* work, const int* lwork, int* info);

namespace hesscov::stats {
namespace {

using std::size_t;

size_t at(index i, index j, index k) { return static_cast<size_t>(i * k + j); }

void check_square(const std::vector<double>& m, index k, const char* caller) {
  HC_CHECK(k >= 0, core::DimensionMismatch, std::string(caller) + ": k = " + std::to_string(k) + " is negative");
  HC_CHECK(static_cast<index>(m.size()) == k * k, core::DimensionMismatch,
           std::string(caller) + ": matrix has " + std::to_string(m.size()) + " entries, expected k*k = " +
               std::to_string(k * k) + " for k = " + std::to_string(k));
}

void check_edges(const std::vector<index>& edges, index k) {
  HC_CHECK(edges.size() >= 2 && edges.front() == 0 && edges.back() == k, core::Error,
           "band_offdiagonal_means: edges must start at 0 and end at k = " + std::to_string(k) +
               " (at least two edges)");
  for (size_t b = 1; b < edges.size(); ++b) {
    HC_CHECK(edges[b] > edges[b - 1], core::Error,
             "band_offdiagonal_means: edges must be strictly increasing, but edge " + std::to_string(b) + " = " +
                 std::to_string(edges[b]) + " follows " + std::to_string(edges[b - 1]));
  }
}

// The [first, first + count) window of fit_power_law, with count = -1 meaning "to the end".
index window_end(index size, index first, index count) {
  HC_CHECK(first >= 0 && first <= size, core::DimensionMismatch,
           "fit_power_law: first = " + std::to_string(first) + " outside [0, " + std::to_string(size) + "]");
  HC_CHECK(count >= -1, core::DimensionMismatch, "fit_power_law: count = " + std::to_string(count) + " < -1");
  const index end = count == -1 ? size : first + count;
  HC_CHECK(end <= size, core::DimensionMismatch,
           "fit_power_law: window [" + std::to_string(first) + ", " + std::to_string(end) +
               ") exceeds the " + std::to_string(size) + " entries");
  return end;
}

// Gaussian k×k matrix, column-major, from a counter stream so the draw is fully specified.
std::vector<double> gaussian_matrix(index k, std::uint64_t seed) {
  const core::CounterRng rng(seed, "stats/haar_rotate");
  std::vector<double> g(static_cast<size_t>(k * k));
  for (size_t i = 0; i < g.size(); ++i) g[i] = rng.normal(i);
  return g;
}

// Haar orthogonal Q (column-major) = Q_qr · diag(sign R_ii) of a Gaussian matrix; without the sign
// fix, Q would be biased by LAPACK's sign convention for R (Mezzadri 2007).
std::vector<double> haar_orthogonal(index k, std::uint64_t seed) {
  std::vector<double> q = gaussian_matrix(k, seed);
  const int n = static_cast<int>(k), minus_one = -1;
  std::vector<double> tau(static_cast<size_t>(k));
  double query = 0.0;
  int info = 0;
  dgeqrf_(&n, &n, q.data(), &n, tau.data(), &query, &minus_one, &info);
  std::vector<double> work(static_cast<size_t>(std::max(query, 1.0)));
  int lwork = static_cast<int>(work.size());
  dgeqrf_(&n, &n, q.data(), &n, tau.data(), work.data(), &lwork, &info);
  HC_CHECK(info == 0, core::Error, "haar_rotate: LAPACK dgeqrf failed with info = " + std::to_string(info));
  std::vector<double> signs(static_cast<size_t>(k));
  for (index j = 0; j < k; ++j) signs[static_cast<size_t>(j)] = q[at(j, j, k)] < 0.0 ? -1.0 : 1.0;
  dorgqr_(&n, &n, &n, q.data(), &n, tau.data(), &query, &minus_one, &info);
  work.resize(static_cast<size_t>(std::max(query, 1.0)));
  lwork = static_cast<int>(work.size());
  dorgqr_(&n, &n, &n, q.data(), &n, tau.data(), work.data(), &lwork, &info);
  HC_CHECK(info == 0, core::Error, "haar_rotate: LAPACK dorgqr failed with info = " + std::to_string(info));
  for (index j = 0; j < k; ++j) cblas_dscal(n, signs[static_cast<size_t>(j)], q.data() + j * k, 1);
  return q;
}

}  // namespace

std::vector<double> correlation_matrix(const std::vector<double>& c, index k) {
  check_square(c, k, "correlation_matrix");
  std::vector<double> scale(static_cast<size_t>(k));
  for (index i = 0; i < k; ++i) {
    const double variance = c[at(i, i, k)];
    // `!(v > 0)` also rejects NaN.
    HC_CHECK(variance > 0.0, core::Error,
             "correlation_matrix: diagonal entry C[" + std::to_string(i) + "," + std::to_string(i) +
                 "] = " + std::to_string(variance) + " is not > 0 (a covariance's diagonal must be positive)");
    scale[static_cast<size_t>(i)] = 1.0 / std::sqrt(variance);
  }
  std::vector<double> rho(c.size());
  for (index i = 0; i < k; ++i)
    for (index j = 0; j < k; ++j)
      rho[at(i, j, k)] = c[at(i, j, k)] * scale[static_cast<size_t>(i)] * scale[static_cast<size_t>(j)];
  return rho;
}

double mean_offdiagonal_abs(const std::vector<double>& m, index k) {
  check_square(m, k, "mean_offdiagonal_abs");
  HC_CHECK(k >= 2, core::Error, "mean_offdiagonal_abs: k = " + std::to_string(k) + " has no off-diagonal (k >= 2)");
  double sum = 0.0;
  for (index i = 0; i < k; ++i)
    for (index j = 0; j < k; ++j)
      if (i != j) sum += std::abs(m[at(i, j, k)]);
  return sum / static_cast<double>(k * (k - 1));
}

std::vector<BandStat> band_offdiagonal_means(const std::vector<double>& m, index k,
                                             const std::vector<index>& edges) {
  check_square(m, k, "band_offdiagonal_means");
  HC_CHECK(k >= 2, core::Error, "band_offdiagonal_means: k = " + std::to_string(k) + " has no off-diagonal (k >= 2)");
  check_edges(edges, k);
  std::vector<BandStat> bands;
  for (size_t b = 1; b < edges.size(); ++b) {
    BandStat band{edges[b - 1], edges[b], 0.0, (edges[b] - edges[b - 1]) * (k - 1)};
    double sum = 0.0;
    for (index i = band.row_begin; i < band.row_end; ++i)
      for (index j = 0; j < k; ++j)
        if (i != j) sum += std::abs(m[at(i, j, k)]);
    band.mean_abs = sum / static_cast<double>(band.count);
    bands.push_back(band);
  }
  return bands;
}

double participation_ratio(double trace_c, double trace_c2) {
  HC_CHECK(trace_c2 > 0.0, core::Error,
           "participation_ratio: tr(C^2) = " + std::to_string(trace_c2) + " must be > 0");
  return trace_c * trace_c / trace_c2;
}

double participation_ratio(const std::vector<double>& c, index k) {
  check_square(c, k, "participation_ratio");
  double trace = 0.0, trace_sq = 0.0;
  for (index i = 0; i < k; ++i) {
    trace += c[at(i, i, k)];
    for (index j = 0; j < k; ++j) trace_sq += c[at(i, j, k)] * c[at(j, i, k)];
  }
  return participation_ratio(trace, trace_sq);
}

NullTest analytic_null(double m, index k, double k_eff) {
  HC_CHECK(k >= 2, core::Error, "analytic_null: k = " + std::to_string(k) + " gives no pairs (k >= 2)");
  HC_CHECK(k_eff > 0.0, core::Error, "analytic_null: k_eff = " + std::to_string(k_eff) + " must be > 0");
  const double pairs = 0.5 * static_cast<double>(k) * static_cast<double>(k - 1);
  NullTest test;
  test.observed = m;
  test.expected = std::sqrt(2.0 / (std::numbers::pi * k_eff));
  test.standard_error = std::sqrt((1.0 - 2.0 / std::numbers::pi) / k_eff / pairs);
  test.z = (m - test.expected) / test.standard_error;
  // Φ(z) = erfc(−z/√2)/2 keeps full relative precision in the lower tail, where p is reported.
  test.p_value = 0.5 * std::erfc(-test.z / std::numbers::sqrt2);
  return test;
}

PowerLawFit fit_power_law(const std::vector<double>& x, const std::vector<double>& y, index first, index count) {
  HC_CHECK(x.size() == y.size(), core::DimensionMismatch,
           "fit_power_law: x has " + std::to_string(x.size()) + " entries, y has " + std::to_string(y.size()));
  const index end = window_end(static_cast<index>(x.size()), first, count);
  std::vector<double> log_x, log_y;
  PowerLawFit fit;
  for (index i = first; i < end; ++i) {
    const double xi = x[static_cast<size_t>(i)], yi = y[static_cast<size_t>(i)];
    const bool usable = xi > 0.0 && yi > 0.0 && std::isfinite(xi) && std::isfinite(yi);
    if (!usable) { ++fit.skipped; continue; }
    log_x.push_back(std::log(xi));
    log_y.push_back(std::log(yi));
  }
  fit.used = static_cast<index>(log_x.size());
  HC_CHECK(fit.used >= 3, core::Error,
           "fit_power_law: " + std::to_string(fit.used) + " usable points (x > 0, y > 0) of " +
               std::to_string(end - first) + "; at least 3 are needed for a slope and its standard error");
  const double n = static_cast<double>(fit.used);
  double mean_x = 0.0, mean_y = 0.0;
  for (size_t i = 0; i < log_x.size(); ++i) { mean_x += log_x[i] / n; mean_y += log_y[i] / n; }
  // Centred sums: the raw normal equations lose digits when log x has a large mean.
  double sxx = 0.0, sxy = 0.0, syy = 0.0;
  for (size_t i = 0; i < log_x.size(); ++i) {
    sxx += (log_x[i] - mean_x) * (log_x[i] - mean_x);
    sxy += (log_x[i] - mean_x) * (log_y[i] - mean_y);
    syy += (log_y[i] - mean_y) * (log_y[i] - mean_y);
  }
  HC_CHECK(sxx > 0.0, core::Error, "fit_power_law: all " + std::to_string(fit.used) + " used x are equal");
  fit.exponent = sxy / sxx;
  fit.intercept = mean_y - fit.exponent * mean_x;
  double rss = 0.0;
  for (size_t i = 0; i < log_x.size(); ++i) {
    const double residual = log_y[i] - fit.intercept - fit.exponent * log_x[i];
    rss += residual * residual;
  }
  fit.standard_error = std::sqrt(rss / (n - 2.0) / sxx);
  fit.r_squared = syy > 0.0 ? 1.0 - rss / syy : 1.0;
  return fit;
}

SeedSummary summarize(const std::vector<double>& values) {
  HC_CHECK(!values.empty(), core::Error, "summarize: no values (need at least one seed)");
  SeedSummary summary;
  summary.n = static_cast<index>(values.size());
  for (double v : values) summary.mean += v;
  summary.mean /= static_cast<double>(summary.n);
  if (summary.n == 1) return summary;
  double squares = 0.0;
  for (double v : values) squares += (v - summary.mean) * (v - summary.mean);
  summary.std = std::sqrt(squares / static_cast<double>(summary.n - 1));
  return summary;
}

double relative_commutator_norm(const std::vector<double>& c, const std::vector<double>& lambda, index k) {
  check_square(c, k, "relative_commutator_norm");
  HC_CHECK(static_cast<index>(lambda.size()) == k, core::DimensionMismatch,
           "relative_commutator_norm: lambda has " + std::to_string(lambda.size()) + " entries, k = " +
               std::to_string(k));
  // (CΛ − ΛC)_ij = C_ij (λ_j − λ_i): no product needs forming.
  double commutator = 0.0, norm = 0.0;
  for (index i = 0; i < k; ++i)
    for (index j = 0; j < k; ++j) {
      const double entry = c[at(i, j, k)];
      const double diff = entry * (lambda[static_cast<size_t>(j)] - lambda[static_cast<size_t>(i)]);
      commutator += diff * diff;
      norm += entry * entry;
    }
  HC_CHECK(norm > 0.0, core::Error, "relative_commutator_norm: ||C||_F = 0");
  return std::sqrt(commutator / norm);
}

std::vector<double> haar_rotate(const std::vector<double>& c, index k, std::uint64_t seed) {
  check_square(c, k, "haar_rotate");
  if (k == 0) return {};
  HC_CHECK(k <= static_cast<index>(INT_MAX) / k, core::DimensionMismatch,
           "haar_rotate: k = " + std::to_string(k) + " too large for LAPACK's 32-bit sizes");
  // Column-major Q read as row-major is Qᵀ, so `qt` below is Qᵀ in row-major terms.
  const std::vector<double> qt = haar_orthogonal(k, seed);
  const int n = static_cast<int>(k);
  std::vector<double> cq(c.size()), rotated(c.size());
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1.0, c.data(), n, qt.data(), n, 0.0, cq.data(), n);
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, qt.data(), n, cq.data(), n, 0.0,
              rotated.data(), n);
  return rotated;
}

std::vector<double> diagonal(const std::vector<double>& m, index k) {
  check_square(m, k, "diagonal");
  std::vector<double> diag(static_cast<size_t>(k));
  for (index i = 0; i < k; ++i) diag[static_cast<size_t>(i)] = m[at(i, i, k)];
  return diag;
}

}  // namespace hesscov::stats
