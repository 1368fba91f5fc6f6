#include "stats/theory_quadratic.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <string>

#include "core/error.hpp"
#include "stats/theory_dense.hpp"

namespace hesscov::stats::theory {
namespace {

using dense::Matrix;
using std::size_t;

size_t at(index i, index j, index n) { return static_cast<size_t>(i * n + j); }

void check_mu(double mu) {
  HC_CHECK(std::isfinite(mu) && mu >= 0.0 && mu < 1.0, core::Error,
           "quadratic_stationary: momentum mu = " + dense::number_text(mu) + " must satisfy 0 <= mu < 1");
}

// ρ of [[1 − h, −μ], [h, μ]]: the roots of z² − (1 + μ − h) z + μ.
double block_radius(double h, double mu) {
  const double t = 1.0 + mu - h, discriminant = t * t - 4.0 * mu;
  if (discriminant < 0.0) return std::sqrt(mu);  // complex pair, |z|² = μ
  return 0.5 * (std::abs(t) + std::sqrt(discriminant));
}

// Solves the 4×4 system a x = rhs by Gaussian elimination with partial pivoting.
std::array<double, 4> solve4(std::array<std::array<double, 4>, 4> a, std::array<double, 4> rhs) {
  for (int col = 0; col < 4; ++col) {
    int pivot = col;
    for (int row = col + 1; row < 4; ++row)
      if (std::abs(a[row][col]) > std::abs(a[pivot][col])) pivot = row;
    std::swap(a[col], a[pivot]);
    std::swap(rhs[col], rhs[pivot]);
    HC_CHECK(a[col][col] != 0.0, core::Error, "quadratic_stationary: singular 2x2-block Stein equation");
    for (int row = col + 1; row < 4; ++row) {
      const double factor = a[row][col] / a[col][col];
      for (int k = col; k < 4; ++k) a[row][k] -= factor * a[col][k];
      rhs[row] -= factor * rhs[col];
    }
  }
  std::array<double, 4> x{};
  for (int row = 3; row >= 0; --row) {
    double sum = rhs[row];
    for (int k = row + 1; k < 4; ++k) sum -= a[row][k] * x[k];
    x[row] = sum / a[row][row];
  }
  return x;
}

// The 2×2 block X (row-major x00, x01, x10, x11) solving X = A_i X A_jᵀ + c bbᵀ, b = (−1, 1).
std::array<double, 4> pair_block(double hi, double hj, double mu, double c) {
  const std::array<std::array<double, 2>, 2> ai{{{1.0 - hi, -mu}, {hi, mu}}}, aj{{{1.0 - hj, -mu}, {hj, mu}}};
  std::array<std::array<double, 4>, 4> system{};
  for (int r = 0; r < 2; ++r)
    for (int col = 0; col < 2; ++col)
      for (int p = 0; p < 2; ++p)
        for (int q = 0; q < 2; ++q)
          system[r * 2 + col][p * 2 + q] = (r * 2 + col == p * 2 + q ? 1.0 : 0.0) - ai[r][p] * aj[col][q];
  return solve4(system, {c, -c, -c, c});
}

}  // namespace

QuadraticStationary::QuadraticStationary(const std::vector<double>& hessian, index dim, double eta, double mu)
    : dim_(dim), mu_(mu) {
  HC_CHECK(std::isfinite(eta) && eta > 0.0, core::Error, "quadratic_stationary: learning rate eta = " + dense::number_text(eta) + " must be > 0");
  check_mu(mu);
  dense::check_symmetric(hessian, dim, "quadratic_stationary: Hessian H");
  Matrix eta_sqrt = dense::identity(dim);
  for (index i = 0; i < dim; ++i) eta_sqrt[at(i, i, dim)] = std::sqrt(eta);
  set_up(hessian, eta_sqrt, eta);
}

QuadraticStationary::QuadraticStationary(const std::vector<double>& hessian, index dim,
                                         const std::vector<double>& eta_matrix, double mu)
    : dim_(dim), mu_(mu) {
  check_mu(mu);
  dense::check_symmetric(hessian, dim, "quadratic_stationary: Hessian H");
  dense::check_symmetric(eta_matrix, dim, "quadratic_stationary: learning-rate matrix");
  const dense::SymmetricEigen eigen = dense::symmetric_eigen(eta_matrix, dim);
  HC_CHECK(eigen.values.front() > 0.0, core::Error,
           "quadratic_stationary: learning-rate matrix is not positive definite (smallest eigenvalue " +
               dense::number_text(eigen.values.front()) + ")");
  set_up(hessian, dense::spectral_function(eigen, dim, [](double v) { return std::sqrt(v); }), 0.0);
}

void QuadraticStationary::set_up(const std::vector<double>& hessian, const std::vector<double>& eta_sqrt,
                                 double scalar_eta) {
  eta_sqrt_ = eta_sqrt;
  const dense::SymmetricEigen sqrt_eigen = dense::symmetric_eigen(eta_sqrt_, dim_);
  eta_inv_sqrt_ = dense::spectral_function(sqrt_eigen, dim_, [](double v) { return 1.0 / v; });
  // A scalar η scales H's eigenvalues exactly (η·h, not (√η)²·h), so the stability edge
  // η h = 2(1+μ) is decided without a rounding of √η in between.
  const Matrix scaled = scalar_eta > 0.0 ? hessian
                                         : dense::symmetrized(dense::multiply(eta_sqrt_, dense::multiply(hessian, eta_sqrt_, dim_), dim_), dim_);
  const dense::SymmetricEigen eigen = dense::symmetric_eigen(scaled, dim_);
  basis_ = eigen.vectors;
  curvatures_ = eigen.values;
  if (scalar_eta > 0.0)
    for (double& h : curvatures_) h *= scalar_eta;
  radius_ = 0.0;
  stable_ = true;
  for (double h : curvatures_) {
    radius_ = std::max(radius_, block_radius(h, mu_));
    stable_ = stable_ && h > 0.0 && h < 2.0 * (1.0 + mu_);
  }
}

QuadraticCovariance QuadraticStationary::solve(const std::vector<double>& noise) const {
  HC_CHECK(stable_, core::Error,
           "quadratic_stationary: no stationary state, a scaled curvature eta*h is outside (0, 2(1+mu)) = (0, " +
               dense::number_text(2.0 * (1.0 + mu_)) + "): eta*h in [" + dense::number_text(curvatures_.front()) + ", " + dense::number_text(curvatures_.back()) +
               "], spectral radius of A " + dense::number_text(radius_));
  dense::check_symmetric(noise, dim_, "quadratic_stationary: noise covariance C");
  const index n = dim_;
  const Matrix rotated = dense::to_basis(dense::multiply(eta_sqrt_, dense::multiply(noise, eta_sqrt_, n), n), basis_, n);
  Matrix ww(static_cast<size_t>(n * n)), wm(ww.size()), mm(ww.size());
  for (index i = 0; i < n; ++i)
    for (index j = i; j < n; ++j) {
      const auto block = pair_block(curvatures_[static_cast<size_t>(i)], curvatures_[static_cast<size_t>(j)], mu_,
                                    rotated[at(i, j, n)]);
      ww[at(i, j, n)] = ww[at(j, i, n)] = block[0];
      mm[at(i, j, n)] = mm[at(j, i, n)] = block[3];
      wm[at(i, j, n)] = block[1];  // cov(w̃_i, m̃_j)
      wm[at(j, i, n)] = block[2];  // cov(m̃_i, w̃_j) = cov(w̃_j, m̃_i)
    }
  // Back to the original variables: w = E^{1/2} U w̃, m = E^{-1/2} U m̃.
  const auto back = [&](const Matrix& x, const Matrix& left, const Matrix& right) {
    const Matrix in_primed = dense::from_basis(x, basis_, n);
    return dense::multiply(left, dense::multiply(in_primed, right, n), n);
  };
  return {dense::symmetrized(back(ww, eta_sqrt_, eta_sqrt_), n), back(wm, eta_sqrt_, eta_inv_sqrt_),
          dense::symmetrized(back(mm, eta_inv_sqrt_, eta_inv_sqrt_), n)};
}

std::vector<double> QuadraticStationary::continuous(const std::vector<double>& noise) const {
  HC_CHECK(curvatures_.front() > 0.0, core::Error,
           "quadratic_stationary: the continuous-time answer needs a positive definite H (smallest eta*h = " +
               dense::number_text(curvatures_.front()) + ")");
  dense::check_symmetric(noise, dim_, "quadratic_stationary: noise covariance C");
  const index n = dim_;
  Matrix rotated = dense::to_basis(dense::multiply(eta_sqrt_, dense::multiply(noise, eta_sqrt_, n), n), basis_, n);
  for (index i = 0; i < n; ++i)
    for (index j = 0; j < n; ++j)
      rotated[at(i, j, n)] /= (1.0 - mu_) * (curvatures_[static_cast<size_t>(i)] + curvatures_[static_cast<size_t>(j)]);
  const Matrix in_primed = dense::from_basis(rotated, basis_, n);
  return dense::symmetrized(dense::multiply(eta_sqrt_, dense::multiply(in_primed, eta_sqrt_, n), n), n);
}

double QuadraticStationary::excess_loss(const std::vector<double>& noise) const {
  HC_CHECK(stable_, core::Error, "quadratic_stationary: excess loss requested for an unstable setting");
  dense::check_symmetric(noise, dim_, "quadratic_stationary: noise covariance C");
  const index n = dim_;
  const Matrix rotated = dense::to_basis(dense::multiply(eta_sqrt_, dense::multiply(noise, eta_sqrt_, n), n), basis_, n);
  double sum = 0.0;
  for (index i = 0; i < n; ++i)
    sum += rotated[at(i, i, n)] / (1.0 - curvatures_[static_cast<size_t>(i)] / (2.0 * (1.0 + mu_)));
  return sum / (4.0 * (1.0 - mu_));
}

double quadratic_excess_loss(const std::vector<double>& hessian, const std::vector<double>& sigma, index dim) {
  dense::check_square(hessian, dim, "quadratic_excess_loss: H");
  dense::check_square(sigma, dim, "quadratic_excess_loss: Sigma");
  return 0.5 * dense::trace(dense::multiply(hessian, sigma, dim), dim);
}

std::vector<double> commuting_variances(const std::vector<double>& curvatures, const std::vector<double>& noise_variances,
                                        double eta, double mu) {
  HC_CHECK(curvatures.size() == noise_variances.size(), core::DimensionMismatch,
           "commuting_variances: " + std::to_string(curvatures.size()) + " curvatures but " +
               std::to_string(noise_variances.size()) + " noise variances");
  check_mu(mu);
  std::vector<double> variances(curvatures.size());
  for (size_t i = 0; i < curvatures.size(); ++i) {
    const double x = eta * curvatures[i];
    HC_CHECK(std::isfinite(x) && x > 0.0 && x < 2.0 * (1.0 + mu), core::Error,
             "commuting_variances: eta*h_" + std::to_string(i + 1) + " = " + dense::number_text(x) + " outside (0, 2(1+mu))");
    variances[i] = eta * noise_variances[i] / ((1.0 - mu) * curvatures[i] * (2.0 - x / (1.0 + mu)));
  }
  return variances;
}

}  // namespace hesscov::stats::theory
