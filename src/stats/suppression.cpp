#include "stats/suppression.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.hpp"
#include "spectral/eigen_solver.hpp"

namespace hesscov::stats {
namespace {

using Vector = std::vector<double>;

size_t at(index i) { return static_cast<size_t>(i); }

/// Columns buffered per rank-k update: large enough for an efficient dsyrk, small next to dim^2.
constexpr index kSyrkColumns = 256;

void check_options(const SuppressionOptions& options) {
  HC_CHECK(options.threshold >= 0.0 && options.threshold <= 1.0, core::Error,
           "suppression_experiment: option threshold = " + std::to_string(options.threshold) +
               " must lie in [0, 1]");
  const std::pair<const char*, double> factors[] = {
      {"stiff_tail_factor", options.stiff_tail_factor},
      {"soft_leading_factor", options.soft_leading_factor},
      {"soft_tail_factor", options.soft_tail_factor}};
  for (const auto& [name, value] : factors)
    HC_CHECK(value >= 0.0, core::Error,
             std::string("suppression_experiment: option ") + name + " = " +
                 std::to_string(value) + " must be >= 0");
}

void check_layout(const PerSampleEigen& eig) {
  const bool sizes = eig.samples >= 1 && eig.dim >= 1 && eig.rank >= 1 &&
                     eig.values.size() == at(eig.samples * eig.rank) &&
                     eig.vectors.size() == at(eig.samples * eig.rank * eig.dim);
  HC_CHECK(sizes, core::DimensionMismatch,
           "suppression_experiment: decomposition of " + std::to_string(eig.samples) +
               " samples, dim " + std::to_string(eig.dim) + ", rank " + std::to_string(eig.rank) +
               " holds " + std::to_string(eig.values.size()) + " values and " +
               std::to_string(eig.vectors.size()) + " vector entries");
}

/// Sum of w u u^T over weighted unit vectors, as P P^T - M M^T with P (M) the columns
/// sqrt(|w|) u of positive (negative) weight: dsyrk touches one triangle and the per-sample H_n
/// may be indefinite. Columns are buffered so that each update is a rank-256 product.
class SymmetricAccumulator {
 public:
  explicit SymmetricAccumulator(index dim)
      : dim_(dim), matrix_(at(dim * dim), 0.0), positive_(at(dim * kSyrkColumns)),
        negative_(at(dim * kSyrkColumns)) {}

  void add(const double* u, double weight) {
    if (weight == 0.0) return;
    Vector& buffer = weight > 0.0 ? positive_ : negative_;
    index& columns = weight > 0.0 ? positive_columns_ : negative_columns_;
    const double scale = std::sqrt(std::abs(weight));
    std::transform(u, u + dim_, buffer.begin() + columns * dim_, [scale](double x) { return scale * x; });
    if (++columns == kSyrkColumns) flush(buffer, columns, weight > 0.0 ? 1.0 : -1.0);
  }

  /// The full symmetric matrix times `scale` (column-major, both triangles).
  Vector finish(double scale) {
    flush(positive_, positive_columns_, 1.0);
    flush(negative_, negative_columns_, -1.0);
    for (index j = 0; j < dim_; ++j)
      for (index i = 0; i <= j; ++i)
        matrix_[at(i * dim_ + j)] = matrix_[at(j * dim_ + i)] *= scale;
    return std::move(matrix_);
  }

 private:
  void flush(const Vector& buffer, index& columns, double sign) {
    if (columns == 0) return;
    const int n = static_cast<int>(dim_);
    cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, n, static_cast<int>(columns), sign,
                buffer.data(), n, 1.0, matrix_.data(), n);
    columns = 0;
  }

  index dim_;
  Vector matrix_, positive_, negative_;
  index positive_columns_ = 0, negative_columns_ = 0;
};

/// Eigenpairs of the symmetric matrix h, descending.
void eigen_descending(Vector h, index dim, RebuiltSpectrum& out) {
  const spectral::DenseEigen eig = spectral::dense_symmetric_eigen(std::move(h), dim, true);
  out.eigvals.resize(at(dim));
  out.eigvecs.resize(at(dim * dim));
  for (index i = 0; i < dim; ++i) {
    const index from = dim - 1 - i;
    out.eigvals[at(i)] = eig.values[at(from)];
    std::copy_n(eig.vectors.begin() + from * dim, dim, out.eigvecs.begin() + i * dim);
  }
}

/// diag(V^T C V) for the symmetric c and the eigenvectors V of `out`.
void awd_diagonal(const Vector& c, index dim, RebuiltSpectrum& out) {
  const int n = static_cast<int>(dim);
  Vector cv(at(dim * dim));
  cblas_dsymm(CblasColMajor, CblasLeft, CblasUpper, n, n, 1.0, c.data(), n, out.eigvecs.data(), n,
              0.0, cv.data(), n);
  out.awd_diagonal.resize(at(dim));
  for (index i = 0; i < dim; ++i)
    out.awd_diagonal[at(i)] = cblas_ddot(n, out.eigvecs.data() + i * dim, 1, cv.data() + i * dim, 1);
}

/// H = (1/N) sum_n U_n diag(mu_n) U_n^T and C_AWD = (1/N) sum_n U_n diag(mu_n^2) U_n^T (H_n^2
/// shares H_n's eigenvectors), for eigenvalues `values` in eig's layout.
RebuiltSpectrum rebuild(const PerSampleEigen& eig, const Vector& values) {
  SymmetricAccumulator hessian(eig.dim), awd(eig.dim);
  for (index n = 0; n < eig.samples; ++n)
    for (index j = 0; j < eig.rank; ++j) {
      const double mu = values[at(n * eig.rank + j)];
      const double* u = eig.vectors.data() + (n * eig.rank + j) * eig.dim;
      hessian.add(u, mu);
      awd.add(u, mu * mu);
    }
  const double mean = 1.0 / static_cast<double>(eig.samples);
  RebuiltSpectrum out;
  eigen_descending(hessian.finish(mean), eig.dim, out);
  awd_diagonal(awd.finish(mean), eig.dim, out);
  return out;
}

/// Marks the stiff samples and returns the modified eigenvalues.
Vector suppress(const PerSampleEigen& eig, const SuppressionOptions& options,
                SuppressionResult& result) {
  double largest = eig.values[0];
  for (index n = 0; n < eig.samples; ++n) largest = std::max(largest, eig.values[at(n * eig.rank)]);
  HC_CHECK(largest > 0.0, core::Error,
           "suppression_experiment: the largest leading eigenvalue is " + std::to_string(largest) +
               "; the threshold needs a positive one");
  result.threshold = options.threshold * largest;
  result.stiff.assign(at(eig.samples), 0);
  double stiff_sum = 0.0;
  for (index n = 0; n < eig.samples; ++n) {
    const double lead = eig.values[at(n * eig.rank)];
    if (lead < result.threshold) continue;
    result.stiff[at(n)] = 1;
    ++result.stiff_samples;
    stiff_sum += lead;
  }
  result.stiff_leading_mean = stiff_sum / static_cast<double>(result.stiff_samples);
  Vector values = eig.values;
  for (index n = 0; n < eig.samples; ++n) {
    const bool stiff = result.stiff[at(n)] != 0;
    double* mu = values.data() + n * eig.rank;
    if (!stiff) mu[0] *= options.soft_leading_factor;
    else if (options.replace_stiff_leading) mu[0] = result.stiff_leading_mean;
    const double tail = stiff ? options.stiff_tail_factor : options.soft_tail_factor;
    for (index j = 1; j < eig.rank; ++j) mu[j] *= tail;
  }
  return values;
}

}  // namespace

SuppressionResult suppression_experiment(const PerSampleEigen& eig,
                                         const SuppressionOptions& options) {
  check_options(options);
  check_layout(eig);
  SuppressionResult result;
  result.dim = eig.dim;
  result.samples = eig.samples;
  const Vector values = suppress(eig, options, result);
  result.original = rebuild(eig, eig.values);
  result.suppressed = rebuild(eig, values);
  return result;
}

}  // namespace hesscov::stats
