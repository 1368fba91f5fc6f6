#include "stats/per_sample_hessian.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <string>
#include <utility>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "spectral/eigen_solver.hpp"

extern "C" {
void dgeqp3_(const int* m, const int* n, double* a, const int* lda, int* jpvt, double* tau,
             double* work, const int* lwork, int* info);
void dorgqr_(const int* m, const int* n, const int* k, double* a, const int* lda, const double* tau,
             double* work, const int* lwork, int* info);
void dgels_(const char* trans, const int* m, const int* n, const int* nrhs, double* a,
            const int* lda, double* b, const int* ldb, double* work, const int* lwork, int* info);
}

namespace hesscov::stats {
namespace {

using Vector = std::vector<double>;

/// A pivoted-QR diagonal below this fraction of the largest is roundoff of the engine's products
/// (~1e-16 relative), not a direction of range(H_n).
constexpr double kRankCut = 1e-12;

size_t at(index i) { return static_cast<size_t>(i); }

int lapack_int(index value, const char* what) {
  HC_CHECK(value <= std::numeric_limits<int>::max(), core::DimensionMismatch,
           std::string(what) + " = " + std::to_string(value) + " exceeds LAPACK's 32-bit indices");
  return static_cast<int>(value);
}

void check_lapack(int info, const char* routine) {
  HC_CHECK(info == 0, core::Error,
           std::string("LAPACK ") + routine + " failed with info = " + std::to_string(info));
}

PerSampleEigen empty_result(index samples, index dim, index rank) {
  PerSampleEigen result{samples, dim, rank, {}, {}, {}};
  result.values.assign(at(samples * rank), 0.0);
  result.vectors.assign(at(samples * rank * dim), 0.0);
  result.traces.assign(at(samples), 0.0);
  return result;
}

/// Eigenpairs of a symmetric n x n matrix, written in descending order (dsyevd gives ascending).
void eigen_descending(Vector matrix, index n, double* values, double* vectors) {
  const spectral::DenseEigen eig = spectral::dense_symmetric_eigen(std::move(matrix), n, true);
  for (index j = 0; j < n; ++j) {
    const index from = n - 1 - j;
    values[j] = eig.values[at(from)];
    std::copy_n(eig.vectors.begin() + from * n, n, vectors + j * n);
  }
}

void set_traces(PerSampleEigen& eig) {
  for (index n = 0; n < eig.samples; ++n) {
    const auto first = eig.values.begin() + n * eig.rank;
    eig.traces[at(n)] = std::accumulate(first, first + eig.rank, 0.0);
  }
}

PerSampleEigen dense_eigen(const nn::Model& model, nn::Workspace& ws, const double* params,
                           const nn::Batch& batch, const nn::ParamSubset& subset,
                           nn::Curvature curvature) {
  const index dim = subset.size(), samples = batch.samples;
  PerSampleEigen result = empty_result(samples, dim, dim);
  // Column k of every H_n from one call with e_k; matrices[n] is H_n column-major.
  std::vector<Vector> matrices(at(samples), Vector(at(dim * dim)));
  Vector unit(at(dim), 0.0), rows(at(samples * dim));
  for (index k = 0; k < dim; ++k) {
    unit[at(k)] = 1.0;
    model.per_sample_curvature_products(ws, params, batch, subset, curvature, unit.data(), rows.data());
    unit[at(k)] = 0.0;
    for (index n = 0; n < samples; ++n)
      std::copy_n(rows.begin() + n * dim, dim, matrices[at(n)].begin() + k * dim);
  }
  for (index n = 0; n < samples; ++n) {
    Vector& h = matrices[at(n)];
    // The engine's columns are symmetric only to roundoff; dsyevd reads one triangle.
    for (index i = 0; i < dim; ++i)
      for (index j = 0; j < i; ++j) {
        const double mean = 0.5 * (h[at(i * dim + j)] + h[at(j * dim + i)]);
        h[at(i * dim + j)] = h[at(j * dim + i)] = mean;
      }
    eigen_descending(std::move(h), dim, result.values.data() + n * dim,
                     result.vectors.data() + n * dim * dim);
  }
  set_traces(result);
  return result;
}

Vector gaussian(index count, std::uint64_t seed, const char* stream) {
  const core::CounterRng rng(seed, stream);
  Vector out(at(count));
  for (index i = 0; i < count; ++i) out[at(i)] = rng.normal(static_cast<std::uint64_t>(i));
  return out;
}

/// y[(n * r + j) * dim + i] = (H_n omega_j)_i: one engine call per probe, shared by all samples.
Vector probe_products(const nn::Model& model, nn::Workspace& ws, const double* params,
                      const nn::Batch& batch, const nn::ParamSubset& subset,
                      nn::Curvature curvature, const Vector& omega, index r) {
  const index dim = subset.size(), samples = batch.samples;
  Vector y(at(samples * r * dim)), rows(at(samples * dim));
  for (index j = 0; j < r; ++j) {
    model.per_sample_curvature_products(ws, params, batch, subset, curvature,
                                        omega.data() + j * dim, rows.data());
    for (index n = 0; n < samples; ++n)
      std::copy_n(rows.begin() + n * dim, dim, y.begin() + (n * r + j) * dim);
  }
  return y;
}

/// Pivoted QR of the dim x r matrix q (overwritten by the full r columns of Q); returns the
/// numerical rank.
index orthonormalise(Vector& q, index dim, index r) {
  const int m = lapack_int(dim, "block size"), n = lapack_int(r, "rank"), query = -1;
  std::vector<int> pivots(at(r), 0);
  Vector tau(at(r));
  int info = 0;
  double size = 0.0;
  dgeqp3_(&m, &n, q.data(), &m, pivots.data(), tau.data(), &size, &query, &info);
  Vector work(at(static_cast<index>(size)) + 1);
  int lwork = static_cast<int>(work.size());
  dgeqp3_(&m, &n, q.data(), &m, pivots.data(), tau.data(), work.data(), &lwork, &info);
  check_lapack(info, "dgeqp3");
  index rank = 0;
  while (rank < r && std::abs(q[at(rank * dim + rank)]) > kRankCut * std::abs(q[0])) ++rank;
  const int k = static_cast<int>(rank);
  dorgqr_(&m, &n, &k, q.data(), &m, tau.data(), &size, &query, &info);
  work.resize(std::max(work.size(), at(static_cast<index>(size)) + 1));
  lwork = static_cast<int>(work.size());
  // Columns beyond the rank are orthonormal and orthogonal to range(Y_n): eigenvectors for 0.
  dorgqr_(&m, &n, &k, q.data(), &m, tau.data(), work.data(), &lwork, &info);
  check_lapack(info, "dorgqr");
  return rank;
}

/// Least-squares solution of xt * b = ct (xt: m x n, ct: m x n, column-major, m >= n); the n x n
/// solution overwrites the leading rows of ct (leading dimension m).
void least_squares(Vector& xt, Vector& ct, index m, index n) {
  const int rows = lapack_int(m, "rank"), cols = static_cast<int>(n), query = -1;
  const char trans = 'N';
  int info = 0;
  double size = 0.0;
  dgels_(&trans, &rows, &cols, &cols, xt.data(), &rows, ct.data(), &rows, &size, &query, &info);
  Vector work(at(static_cast<index>(size)) + 1);
  const int lwork = static_cast<int>(work.size());
  dgels_(&trans, &rows, &cols, &cols, xt.data(), &rows, ct.data(), &rows, work.data(), &lwork, &info);
  check_lapack(info, "dgels");
}

/// Eigenpairs of one H_n from y = H_n Omega (dim x r). With Q_n an orthonormal basis of
/// range(Y_n) (pivoted QR, roundoff directions dropped) and range(Y_n) = range(H_n) — true when
/// rank H_n <= r for a generic Gaussian Omega, indefinite H_n included — H_n = Q B Q^T with
/// B = Q^T H_n Q. B cannot be formed directly (the engine applies one direction to all samples),
/// but Q^T Y_n = B (Q^T Omega), and Q^T Omega (r' x r, Gaussian) has full row rank, so B solves
/// a small well-conditioned least-squares problem. This is the Nystrom identity
/// H_n = Y_n (Omega^T Y_n)^+ Y_n^T without inverting Omega^T H_n Omega, whose conditioning is the
/// square of the one solved here.
void lowrank_sample(const double* y, const Vector& omega, index dim, index r, double* values,
                    double* vectors) {
  Vector q(y, y + r * dim);
  const index kept = orthonormalise(q, dim, r);
  Vector small(at(r * r), 0.0);
  if (kept > 0) {
    Vector xt(at(r * kept)), ct(at(r * kept));  // Omega^T Q and Y_n^T Q, r x kept
    const int rows = static_cast<int>(r), cols = static_cast<int>(kept), inner = static_cast<int>(dim);
    cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, rows, cols, inner, 1.0, omega.data(), inner,
                q.data(), inner, 0.0, xt.data(), rows);
    cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, rows, cols, inner, 1.0, y, inner, q.data(),
                inner, 0.0, ct.data(), rows);
    least_squares(xt, ct, r, kept);  // (Q^T Omega)^T B^T = (Q^T Y_n)^T
    for (index a = 0; a < kept; ++a)
      for (index b = 0; b < kept; ++b)
        small[at(b * r + a)] = 0.5 * (ct[at(b * r + a)] + ct[at(a * r + b)]);
  }
  Vector small_vectors(at(r * r));
  eigen_descending(std::move(small), r, values, small_vectors.data());
  const int m = static_cast<int>(dim), n = static_cast<int>(r);
  cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, m, n, n, 1.0, q.data(), m,
              small_vectors.data(), n, 0.0, vectors, m);
}

std::string scientific(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3e", value);
  return text;
}

/// The miss ||H_n z - U diag(mu) U^T z|| of sample n and the sample's scale
/// max(||H_n z||, max|mu| ||z||).
std::pair<double, double> reconstruction_miss(const PerSampleEigen& eig, index n, const Vector& z, const double* hz) {
  const index dim = eig.dim, rank = eig.rank;
  const double* u = eig.vectors.data() + n * rank * dim;
  const double* mu = eig.values.data() + n * rank;
  Vector coefficients(at(rank)), rebuilt(hz, hz + dim);
  cblas_dgemv(CblasColMajor, CblasTrans, static_cast<int>(dim), static_cast<int>(rank), 1.0, u,
              static_cast<int>(dim), z.data(), 1, 0.0, coefficients.data(), 1);
  double largest = 0.0;
  for (index j = 0; j < rank; ++j) {
    coefficients[at(j)] *= mu[j];
    largest = std::max(largest, std::abs(mu[j]));
  }
  cblas_dgemv(CblasColMajor, CblasNoTrans, static_cast<int>(dim), static_cast<int>(rank), -1.0, u,
              static_cast<int>(dim), coefficients.data(), 1, 1.0, rebuilt.data(), 1);
  const double scale = std::max(cblas_dnrm2(static_cast<int>(dim), hz, 1),
                                largest * cblas_dnrm2(static_cast<int>(dim), z.data(), 1));
  return {cblas_dnrm2(static_cast<int>(dim), rebuilt.data(), 1), scale};
}

/// One more engine call with a fresh direction: a rank bound that does not hold shows up here.
/// The misses are measured against the largest sample scale of the batch, not each sample's own:
/// the engine's H_n z of a sample whose softmax is saturated (p_max = 1 - e) carries relative
/// rounding of about machine epsilon / e from the cancellation in diag(p) - p p^T, which a
/// per-sample relative test would mistake for a missing direction (seen at 8e-8 on a trained
/// MLP), while a violated rank bound misses a dominant sample's H_n z by O(1).
void verify(const nn::Model& model, nn::Workspace& ws, const double* params, const nn::Batch& batch,
            const nn::ParamSubset& subset, nn::Curvature curvature, const PerSampleEigen& eig,
            const PerSampleOptions& options) {
  const Vector z = gaussian(eig.dim, options.seed, "per_sample_eigen/check");
  Vector rows(at(eig.samples * eig.dim));
  model.per_sample_curvature_products(ws, params, batch, subset, curvature, z.data(), rows.data());
  std::vector<std::pair<double, double>> misses;
  double scale = 0.0;
  for (index n = 0; n < eig.samples; ++n) {
    misses.push_back(reconstruction_miss(eig, n, z, rows.data() + n * eig.dim));
    scale = std::max(scale, misses.back().second);
  }
  for (index n = 0; n < eig.samples; ++n) {
    const double error = scale > 0.0 ? misses[at(n)].first / scale : 0.0;
    HC_CHECK(error <= options.tolerance, core::Error,
             "per_sample_eigen(lowrank): sample " + std::to_string(n) + " is reconstructed with error " +
                 scientific(error) + " (relative to the batch's largest per-sample Hessian) > tolerance " +
                 scientific(options.tolerance) + ": the per-sample Hessians of this block have rank > r = " +
                 std::to_string(eig.rank) +
                 ", or the block is not a single tensor of a piecewise-linear network; use method "
                 "dense or a larger rank");
  }
}

PerSampleEigen lowrank_eigen(const nn::Model& model, nn::Workspace& ws, const double* params,
                             const nn::Batch& batch, const nn::ParamSubset& subset,
                             nn::Curvature curvature, const PerSampleOptions& options) {
  const index dim = subset.size();
  const index r = std::min(dim, options.rank > 0 ? options.rank : model.out_features() + 2);
  const Vector omega = gaussian(dim * r, options.seed, "per_sample_eigen/probes");
  const Vector y = probe_products(model, ws, params, batch, subset, curvature, omega, r);
  PerSampleEigen result = empty_result(batch.samples, dim, r);
  for (index n = 0; n < batch.samples; ++n)
    lowrank_sample(y.data() + n * r * dim, omega, dim, r, result.values.data() + n * r,
                   result.vectors.data() + n * r * dim);
  set_traces(result);
  verify(model, ws, params, batch, subset, curvature, result, options);
  return result;
}

/// Pearson correlation of x[i] and y[i * stride], i < count; NaN for zero variance.
double pearson(const double* x, const double* y, index count, index stride) {
  double mean_x = 0.0, mean_y = 0.0;
  for (index i = 0; i < count; ++i) {
    mean_x += x[i];
    mean_y += y[i * stride];
  }
  mean_x /= static_cast<double>(count);
  mean_y /= static_cast<double>(count);
  double cov = 0.0, var_x = 0.0, var_y = 0.0;
  for (index i = 0; i < count; ++i) {
    const double dx = x[i] - mean_x, dy = y[i * stride] - mean_y;
    cov += dx * dy;
    var_x += dx * dx;
    var_y += dy * dy;
  }
  if (var_x <= 0.0 || var_y <= 0.0) return std::numeric_limits<double>::quiet_NaN();
  return cov / std::sqrt(var_x * var_y);
}

}  // namespace

PerSampleEigen per_sample_eigen(const nn::Model& model, nn::Workspace& ws, const double* params,
                                const nn::Batch& batch, const nn::ParamSubset& subset,
                                nn::Curvature curvature, const PerSampleOptions& options) {
  HC_CHECK(!model.backend().is_device(), core::Error,
           "per_sample_eigen needs a host backend (it reads the products on the host), got " +
               model.backend().name());
  HC_CHECK(batch.samples > 0, core::DimensionMismatch,
           "per_sample_eigen: batch.samples = " + std::to_string(batch.samples) + ", need >= 1");
  HC_CHECK(options.rank >= 0, core::Error,
           "per_sample_eigen: option rank = " + std::to_string(options.rank) + " must be >= 0");
  HC_CHECK(options.tolerance > 0.0, core::Error,
           "per_sample_eigen: option tolerance = " + std::to_string(options.tolerance) +
               " must be > 0");
  lapack_int(subset.size(), "block size");
  if (options.method == PerSampleMethod::dense)
    return dense_eigen(model, ws, params, batch, subset, curvature);
  return lowrank_eigen(model, ws, params, batch, subset, curvature, options);
}

PerSampleEigen concatenate(const std::vector<PerSampleEigen>& parts) {
  HC_CHECK(!parts.empty(), core::DimensionMismatch, "concatenate: no decompositions given");
  PerSampleEigen out{0, parts.front().dim, parts.front().rank, {}, {}, {}};
  for (size_t p = 0; p < parts.size(); ++p) {
    const PerSampleEigen& part = parts[p];
    HC_CHECK(part.dim == out.dim && part.rank == out.rank, core::DimensionMismatch,
             "concatenate: part " + std::to_string(p) + " has dim " + std::to_string(part.dim) +
                 ", rank " + std::to_string(part.rank) + "; part 0 has dim " +
                 std::to_string(out.dim) + ", rank " + std::to_string(out.rank));
    out.samples += part.samples;
    out.values.insert(out.values.end(), part.values.begin(), part.values.end());
    out.vectors.insert(out.vectors.end(), part.vectors.begin(), part.vectors.end());
    out.traces.insert(out.traces.end(), part.traces.begin(), part.traces.end());
  }
  return out;
}

PerSampleSpectra per_sample_spectra(const PerSampleEigen& eig, const double* global_vectors,
                                    index k) {
  HC_CHECK(k >= 1 && k <= eig.dim && global_vectors != nullptr, core::DimensionMismatch,
           "per_sample_spectra: k = " + std::to_string(k) + " global vectors for dim " +
               std::to_string(eig.dim) + ", need 1 <= k <= dim and a non-null array");
  HC_CHECK(eig.samples >= 1 && eig.rank >= 1, core::DimensionMismatch,
           "per_sample_spectra: no eigenpairs (samples = " + std::to_string(eig.samples) +
               ", rank = " + std::to_string(eig.rank) + ")");
  const index samples = eig.samples, dim = eig.dim;
  PerSampleSpectra out{samples, k, {}, {}, {}, {}, {}, 0.0};
  out.leading.resize(at(samples));
  out.leading_share.resize(at(samples));
  out.alignment.resize(at(samples * k));
  out.total_alignment.assign(at(samples), 0.0);
  for (index n = 0; n < samples; ++n) {
    const double lead = eig.values[at(n * eig.rank)], trace = eig.traces[at(n)];
    out.leading[at(n)] = lead;
    out.leading_share[at(n)] = trace != 0.0 ? lead / trace : std::numeric_limits<double>::quiet_NaN();
    double* row = out.alignment.data() + n * k;
    cblas_dgemv(CblasColMajor, CblasTrans, static_cast<int>(dim), static_cast<int>(k), 1.0,
                global_vectors, static_cast<int>(dim), eig.vectors.data() + n * eig.rank * dim, 1,
                0.0, row, 1);
    for (index i = 0; i < k; ++i) {
      row[i] *= row[i];
      out.total_alignment[at(n)] += row[i];
    }
  }
  out.alignment_correlation.resize(at(k));
  for (index i = 0; i < k; ++i)
    out.alignment_correlation[at(i)] = pearson(out.leading.data(), out.alignment.data() + i, samples, k);
  out.total_alignment_correlation = pearson(out.leading.data(), out.total_alignment.data(), samples, 1);
  return out;
}

}  // namespace hesscov::stats
