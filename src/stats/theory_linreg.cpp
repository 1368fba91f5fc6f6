#include "stats/theory_linreg.hpp"

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "core/error.hpp"
#include "stats/theory_dense.hpp"
#include "stats/theory_quadratic.hpp"

namespace hesscov::stats::theory {
namespace {

using dense::Matrix;
using std::size_t;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_common(double eta, index batch_size, double mu, const char* caller) {
  const std::string where(caller);
  HC_CHECK(std::isfinite(eta) && eta > 0.0, core::Error, where + ": learning rate eta = " + dense::number_text(eta) + " must be > 0");
  HC_CHECK(batch_size >= 1, core::Error, where + ": batch size S = " + std::to_string(batch_size) + " must be >= 1");
  HC_CHECK(std::isfinite(mu) && mu >= 0.0 && mu < 1.0, core::Error, where + ": momentum mu = " + dense::number_text(mu) + " must satisfy 0 <= mu < 1");
}

// Upper-triangle coordinates of a symmetric d×d matrix: (a, b) with a ≤ b, row by row.
std::vector<double> upper(const Matrix& m, index d) {
  std::vector<double> coordinates;
  for (index a = 0; a < d; ++a)
    for (index b = a; b < d; ++b) coordinates.push_back(m[static_cast<size_t>(a * d + b)]);
  return coordinates;
}

Matrix from_upper(const std::vector<double>& coordinates, index d) {
  Matrix m(static_cast<size_t>(d * d));
  size_t k = 0;
  for (index a = 0; a < d; ++a)
    for (index b = a; b < d; ++b, ++k) m[static_cast<size_t>(a * d + b)] = m[static_cast<size_t>(b * d + a)] = coordinates[k];
  return m;
}

/// The data-set pieces of C̄(Σ) = C_r + K(Σ).
struct DatasetNoise {
  const std::vector<double>& inputs;
  index num_samples, dim;
  double factor;       // c_S
  Matrix hessian;      // Â

  // K(Σ) = c_S[(1/N) Σ_n (x_nᵀΣx_n) x_n x_nᵀ − ÂΣÂ]
  Matrix state_part(const Matrix& sigma) const {
    Matrix k(static_cast<size_t>(dim * dim), 0.0);
    for (index n = 0; n < num_samples; ++n) {
      const double* x = inputs.data() + n * dim;
      double quadratic = 0.0;
      for (index a = 0; a < dim; ++a)
        for (index b = 0; b < dim; ++b) quadratic += x[a] * sigma[static_cast<size_t>(a * dim + b)] * x[b];
      for (index a = 0; a < dim; ++a)
        for (index b = 0; b < dim; ++b) k[static_cast<size_t>(a * dim + b)] += quadratic * x[a] * x[b];
    }
    const Matrix sandwich = dense::multiply(hessian, dense::multiply(sigma, hessian, dim), dim);
    for (size_t i = 0; i < k.size(); ++i) k[i] = factor * (k[i] / static_cast<double>(num_samples) - sandwich[i]);
    return k;
  }
};

}  // namespace

LinregGaussian linreg_gaussian_stationary(const std::vector<double>& a_eigvals, double eta, index batch_size, double mu,
                                          double sigma2) {
  check_common(eta, batch_size, mu, "linreg_gaussian_stationary");
  HC_CHECK(!a_eigvals.empty(), core::Error, "linreg_gaussian_stationary: no eigenvalues of A given");
  HC_CHECK(std::isfinite(sigma2) && sigma2 >= 0.0, core::Error,
           "linreg_gaussian_stationary: label-noise variance sigma2 = " + dense::number_text(sigma2) + " must be >= 0");
  const double s = static_cast<double>(batch_size);
  LinregGaussian result;
  result.stable = true;
  for (size_t i = 0; i < a_eigvals.size(); ++i) {
    const double a = a_eigvals[i];
    HC_CHECK(std::isfinite(a) && a > 0.0, core::Error,
             "linreg_gaussian_stationary: eigenvalue a_" + std::to_string(i + 1) + " = " + dense::number_text(a) + " of A must be > 0");
    const double g = 2.0 * (1.0 - mu) - ((1.0 - mu) / (1.0 + mu) + 1.0 / s) * eta * a;
    result.g.push_back(g);
    result.stable = result.stable && g > 0.0;
    result.t += eta * a / g;
  }
  result.stable = result.stable && result.t < s;
  const size_t d = a_eigvals.size();
  if (!result.stable) {
    result.sigma_diag.assign(d, kNaN);
    result.noise_diag.assign(d, kNaN);
    result.trace_a_sigma = result.test_loss = result.train_loss = kNaN;
    return result;
  }
  const double gap = s - result.t;
  for (size_t i = 0; i < d; ++i) {
    const double a = a_eigvals[i], sigma_ii = eta * sigma2 / (result.g[i] * gap);
    result.sigma_diag.push_back(sigma_ii);
    result.noise_diag.push_back((a * a * sigma_ii + a * sigma2 * s / gap) / s);
  }
  result.trace_a_sigma = sigma2 * result.t / gap;
  result.test_loss = 0.5 * result.trace_a_sigma;
  result.train_loss = 0.5 * sigma2 * s / gap;
  return result;
}

LinregDataset linreg_dataset_stationary(const std::vector<double>& inputs, const std::vector<double>& targets,
                                        index num_samples, index dim, double eta, index batch_size, double mu,
                                        Sampling sampling) {
  check_common(eta, batch_size, mu, "linreg_dataset_stationary");
  HC_CHECK(num_samples >= 1 && dim >= 1 && static_cast<index>(inputs.size()) == num_samples * dim &&
               static_cast<index>(targets.size()) == num_samples,
           core::DimensionMismatch,
           "linreg_dataset_stationary: X has " + std::to_string(inputs.size()) + " entries and y " +
               std::to_string(targets.size()) + ", expected N*d = " + std::to_string(num_samples) + "*" +
               std::to_string(dim) + " and N");
  const double n = static_cast<double>(num_samples);
  LinregDataset result;
  Matrix hessian(static_cast<size_t>(dim * dim), 0.0);
  std::vector<double> moment(static_cast<size_t>(dim), 0.0);
  for (index s = 0; s < num_samples; ++s) {
    const double* x = inputs.data() + s * dim;
    for (index a = 0; a < dim; ++a) {
      moment[static_cast<size_t>(a)] += x[a] * targets[static_cast<size_t>(s)] / n;
      for (index b = 0; b < dim; ++b) hessian[static_cast<size_t>(a * dim + b)] += x[a] * x[b] / n;
    }
  }
  result.hessian = hessian;
  result.minimizer = dense::solve(hessian, moment, dim, "linreg_dataset_stationary: X^T X / N (Hessian)");
  Matrix residual_part(static_cast<size_t>(dim * dim), 0.0);  // (1/N) Σ r_n² x_n x_nᵀ
  const double factor = minibatch_factor(num_samples, batch_size, sampling);
  for (index s = 0; s < num_samples; ++s) {
    const double* x = inputs.data() + s * dim;
    double r = targets[static_cast<size_t>(s)];
    for (index a = 0; a < dim; ++a) r -= x[a] * result.minimizer[static_cast<size_t>(a)];
    result.min_loss += 0.5 * r * r / n;
    for (index a = 0; a < dim; ++a)
      for (index b = 0; b < dim; ++b) residual_part[static_cast<size_t>(a * dim + b)] += factor * r * r * x[a] * x[b] / n;
  }
  const QuadraticStationary lyapunov(hessian, dim, eta, mu);
  const auto unstable = [&](double radius) {
    result.stable = false;
    result.radius = radius;
    result.sigma.assign(static_cast<size_t>(dim * dim), kNaN);
    result.noise = result.sigma;
    result.trace_h_sigma = result.train_loss = kNaN;
    return result;
  };
  if (!lyapunov.stable()) return unstable(kNaN);
  const DatasetNoise noise{inputs, num_samples, dim, factor, hessian};
  // The matrix of Σ ↦ 𝓛(K(Σ)) on upper-triangle coordinates, one basis matrix E_ab at a time.
  const index unknowns = dim * (dim + 1) / 2;
  Matrix feedback(static_cast<size_t>(unknowns * unknowns));
  index column = 0;
  for (index a = 0; a < dim; ++a)
    for (index b = a; b < dim; ++b, ++column) {
      Matrix basis(static_cast<size_t>(dim * dim), 0.0);
      basis[static_cast<size_t>(a * dim + b)] = basis[static_cast<size_t>(b * dim + a)] = 1.0;
      const std::vector<double> image = upper(lyapunov.solve(dense::symmetrized(noise.state_part(basis), dim)).ww, dim);
      for (index row = 0; row < unknowns; ++row)
        feedback[static_cast<size_t>(row * unknowns + column)] = image[static_cast<size_t>(row)];
    }
  const double radius = dense::spectral_radius(feedback, unknowns);
  if (!(radius < 1.0)) return unstable(radius);
  Matrix system = dense::identity(unknowns);
  for (size_t i = 0; i < system.size(); ++i) system[i] -= feedback[i];
  const std::vector<double> rhs = upper(lyapunov.solve(dense::symmetrized(residual_part, dim)).ww, dim);
  result.stable = true;
  result.radius = radius;
  result.sigma = from_upper(dense::solve(system, rhs, unknowns, "linreg_dataset_stationary: (I - L K)"), dim);
  result.noise = noise.state_part(result.sigma);
  for (size_t i = 0; i < result.noise.size(); ++i) result.noise[i] += residual_part[i];
  result.noise = dense::symmetrized(result.noise, dim);
  result.trace_h_sigma = dense::trace(dense::multiply(hessian, result.sigma, dim), dim);
  result.train_loss = result.min_loss + 0.5 * result.trace_h_sigma;
  return result;
}

}  // namespace hesscov::stats::theory
