#include "stats/theory_epoch.hpp"

#include <cmath>
#include <cstdio>
#include <string>

#include "core/error.hpp"
#include "stats/theory_dense.hpp"

namespace hesscov::stats::theory {
namespace {

void check_common(const EpochSetting& s, const char* caller) {
  const std::string where(caller);
  HC_CHECK(std::isfinite(s.eta) && s.eta > 0.0, core::Error, where + ": learning rate eta = " + dense::number_text(s.eta) + " must be > 0");
  HC_CHECK(std::isfinite(s.beta) && s.beta >= 0.0 && s.beta < 1.0, core::Error,
           where + ": momentum beta = " + dense::number_text(s.beta) + " must satisfy 0 <= beta < 1");
  HC_CHECK(s.batches >= 1, core::Error, where + ": batches per epoch M = " + std::to_string(s.batches) + " must be >= 1");
  HC_CHECK(std::isfinite(s.sigma2) && s.sigma2 >= 0.0, core::Error,
           where + ": noise variance sigma2 = " + dense::number_text(s.sigma2) + " must be >= 0");
}

void check_stationary(const EpochSetting& s, const char* caller) {
  check_common(s, caller);
  const double x = s.eta * s.lambda;
  HC_CHECK(is_stationary(s.eta, s.beta, s.lambda), core::Error,
           std::string(caller) + ": eta*lambda = " + dense::number_text(x) + " (lambda = " + dense::number_text(s.lambda) +
               ") is outside the stationary range 0 < eta*lambda < 2(1+beta) = " + dense::number_text(2.0 * (1.0 + s.beta)));
}

// τ from the unit-noise sums, so that σ² = 0 still gives the (σ²-independent) correlation time.
Fluctuations scaled(double eta, double sigma2, double unit_theta, double unit_v) {
  const double scale = eta * eta * sigma2;
  return {scale * unit_theta, scale * unit_v, 2.0 * unit_theta / unit_v};
}

}  // namespace

bool is_stationary(double eta, double beta, double lambda) {
  const double x = eta * lambda;
  return std::isfinite(x) && std::isfinite(beta) && beta >= 0.0 && beta < 1.0 && x > 0.0 && x < 2.0 * (1.0 + beta);
}

std::vector<double> unit_velocity_autocovariance(double eta_lambda, double beta, index max_lag) {
  const double x = eta_lambda;
  HC_CHECK(std::isfinite(beta) && beta >= 0.0 && beta < 1.0, core::Error,
           "unit_velocity_autocovariance: beta = " + dense::number_text(beta) + " must satisfy 0 <= beta < 1");
  HC_CHECK(std::isfinite(x) && x >= 0.0 && x < 2.0 * (1.0 + beta), core::Error,
           "unit_velocity_autocovariance: eta*lambda = " + dense::number_text(x) + " outside [0, 2(1+beta))");
  HC_CHECK(max_lag >= 0, core::Error, "unit_velocity_autocovariance: max lag " + std::to_string(max_lag) + " < 0");
  std::vector<double> c_u(static_cast<size_t>(max_lag + 1));
  c_u[0] = 2.0 / ((1.0 - beta) * (2.0 * (1.0 + beta) - x));
  double c_theta = 0.5 * c_u[0];  // cov(θ_{k+n}, u_k) at n = 0
  for (index n = 1; n <= max_lag; ++n) {
    const double previous = c_u[static_cast<size_t>(n - 1)];
    const double next = beta * previous - x * c_theta;
    c_theta += next;
    c_u[static_cast<size_t>(n)] = next;
  }
  return c_u;
}

Fluctuations epoch_fluctuations(const EpochSetting& setting) {
  check_stationary(setting, "epoch_fluctuations");
  const index m = setting.batches;
  if (m == 1) return replacement_fluctuations(setting);
  const std::vector<double> c_u = unit_velocity_autocovariance(setting.eta * setting.lambda, setting.beta, m);
  const double pairs = static_cast<double>(m) * static_cast<double>(m - 1);
  // V_l = V_{l−1} + S_{l−1} with S_j = C_u(0) + 2 Σ_{n=1}^{j} C_u(n) (V_0 = 0): all V_l > 0 and
  // all w_l ≥ 0, so the σ²_θ sum has no cancellation.
  double partial = c_u[0], structure = 0.0, sum_theta = 0.0, sum_velocity = 0.0;
  for (index l = 1; l < m; ++l) {
    structure += partial;
    const double weight = static_cast<double>(m - l) / pairs;
    sum_theta += weight * structure;
    sum_velocity += weight * c_u[static_cast<size_t>(l)];
    partial += 2.0 * c_u[static_cast<size_t>(l)];
  }
  return scaled(setting.eta, setting.sigma2, sum_theta, c_u[0] - 2.0 * sum_velocity);
}

Fluctuations replacement_fluctuations(const EpochSetting& setting) {
  check_stationary(setting, "replacement_fluctuations");
  const double beta = setting.beta, x = setting.eta * setting.lambda;
  const double denominator = (1.0 - beta) * (2.0 * (1.0 + beta) - x);
  return scaled(setting.eta, setting.sigma2, (1.0 + beta) / (denominator * x), 2.0 / denominator);
}

Fluctuations flat_limit_fluctuations(const EpochSetting& setting) {
  check_common(setting, "flat_limit_fluctuations");
  HC_CHECK(setting.batches >= 2, core::Error, "flat_limit_fluctuations: needs M >= 2 (M = 1 has no finite flat limit)");
  const double b = setting.beta, m = static_cast<double>(setting.batches);
  const double power = std::pow(b, m), one_b = 1.0 - b, one_b2 = 1.0 - b * b;
  const double theta = (m + 1.0) / (6.0 * one_b * one_b) - b / (one_b2 * one_b * one_b) +
                       2.0 * b * b * (m * one_b - (1.0 - power)) / (one_b2 * std::pow(one_b, 4) * m * (m - 1.0));
  const double velocity = (1.0 - 2.0 * (m * b * one_b - b * (1.0 - power)) / (one_b * one_b * m * (m - 1.0))) / one_b2;
  return scaled(setting.eta, setting.sigma2, theta, velocity);
}

Fluctuations small_curvature_asymptote(const EpochSetting& setting) {
  check_common(setting, "small_curvature_asymptote");
  const double b = setting.beta, m = static_cast<double>(setting.batches);
  return scaled(setting.eta, setting.sigma2, m / (6.0 * (1.0 - b) * (1.0 - b)), 1.0 / (1.0 - b * b));
}

double crossover_curvature(double eta, double beta, index batches) {
  check_common({eta, beta, batches, 0.0, 0.0}, "crossover_curvature");
  return 3.0 * (1.0 - beta) / (eta * static_cast<double>(batches));
}

double sgd_correlation_time(double beta, index batches) {
  check_common({1.0, beta, batches, 0.0, 0.0}, "sgd_correlation_time");
  return static_cast<double>(batches) / 3.0 * (1.0 + beta) / (1.0 - beta);
}

}  // namespace hesscov::stats::theory
