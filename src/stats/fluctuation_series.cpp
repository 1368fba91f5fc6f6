#include "stats/fluctuation_series.hpp"

#include <cblas.h>

#include <climits>
#include <cmath>
#include <limits>
#include <string>

#include "core/error.hpp"

namespace hesscov::stats {
namespace {

using std::size_t;

// Neumaier's compensated sum: the error of each addition is carried, so the result is as if
// accumulated in about twice the precision, whatever the order of magnitudes (Kahan's variant
// loses the carry when a term exceeds the running sum).
class CompensatedSum {
 public:
  void add(double term) noexcept {
    const double total = sum_ + term;
    carry_ += std::abs(sum_) >= std::abs(term) ? (sum_ - total) + term : (term - total) + sum_;
    sum_ = total;
  }
  [[nodiscard]] double value() const noexcept { return sum_ + carry_; }

 private:
  double sum_ = 0.0, carry_ = 0.0;
};

// Two-pass mean: the compensated mean, then the compensated mean of the deviations from it. The
// second pass removes what rounding of the first left, so x_t − mean is accurate to the rounding
// of x_t itself even when |mean| ≫ spread.
double mean_of(std::span<const double> series) {
  const auto count = static_cast<double>(series.size());
  CompensatedSum sum;
  for (double x : series) sum.add(x);
  const double first = sum.value() / count;
  CompensatedSum correction;
  for (double x : series) correction.add(x - first);
  return first + correction.value() / count;
}

void check_length(std::span<const double> series, size_t minimum, const char* caller) {
  HC_CHECK(series.size() >= minimum, core::Error,
           std::string(caller) + ": the series has " + std::to_string(series.size()) + " steps, at least " +
               std::to_string(minimum) + " are needed");
}

}  // namespace

double centred_variance(std::span<const double> series) {
  check_length(series, 1, "centred_variance");
  const double mean = mean_of(series);
  CompensatedSum squares;
  for (double x : series) squares.add((x - mean) * (x - mean));
  return squares.value() / static_cast<double>(series.size());
}

double endpoint_detrended_variance(std::span<const double> series) {
  check_length(series, 2, "endpoint_detrended_variance");
  const size_t steps = series.size();
  const double start = series.front();
  const double slope = (series.back() - start) / static_cast<double>(steps - 1);
  // Subtracting x_0 before the slope term keeps a large level out of the residuals.
  std::vector<double> residuals(steps);
  for (size_t t = 0; t < steps; ++t) residuals[t] = (series[t] - start) - slope * static_cast<double>(t);
  return centred_variance(residuals);
}

double lsq_detrended_variance(std::span<const double> series) {
  check_length(series, 2, "lsq_detrended_variance");
  const size_t steps = series.size();
  const auto count = static_cast<double>(steps);
  const double mean = mean_of(series);
  // t̄ = (T−1)/2 is exact in binary; Σ (t − t̄)² = T(T² − 1)/12 in closed form.
  const double time_mean = 0.5 * (count - 1.0);
  const double time_squares = count * (count * count - 1.0) / 12.0;
  CompensatedSum cross;
  for (size_t t = 0; t < steps; ++t) cross.add((static_cast<double>(t) - time_mean) * (series[t] - mean));
  const double slope = cross.value() / time_squares;
  CompensatedSum squares;
  for (size_t t = 0; t < steps; ++t) {
    const double residual = (series[t] - mean) - slope * (static_cast<double>(t) - time_mean);
    squares.add(residual * residual);
  }
  return squares.value() / count;
}

std::vector<double> autocorrelation(std::span<const double> series, index max_lag, bool subtract_mean) {
  const auto steps = static_cast<index>(series.size());
  HC_CHECK(max_lag >= 0 && max_lag < steps, core::Error,
           "autocorrelation: max_lag = " + std::to_string(max_lag) + " must lie in [0, T) for T = " +
               std::to_string(steps) + " steps");
  HC_CHECK(steps <= static_cast<index>(INT_MAX), core::Error,
           "autocorrelation: T = " + std::to_string(steps) + " exceeds BLAS's 32-bit sizes");
  std::vector<double> centred(series.begin(), series.end());
  if (subtract_mean) {
    const double mean = mean_of(series);
    for (double& x : centred) x -= mean;
  }
  std::vector<double> gamma(static_cast<size_t>(max_lag + 1));
  for (index lag = 0; lag <= max_lag; ++lag) {
    const int pairs = static_cast<int>(steps - lag);
    gamma[static_cast<size_t>(lag)] =
        cblas_ddot(pairs, centred.data(), 1, centred.data() + lag, 1) / static_cast<double>(pairs);
  }
  const double variance = gamma.front();
  if (!(variance > 0.0)) return std::vector<double>(gamma.size(), std::numeric_limits<double>::quiet_NaN());
  for (double& value : gamma) value /= variance;
  return gamma;
}

double white_noise_fraction(std::span<const double> rho, index steps_per_epoch) {
  HC_CHECK(steps_per_epoch >= 1, core::Error,
           "white_noise_fraction: steps_per_epoch = " + std::to_string(steps_per_epoch) + " must be >= 1");
  HC_CHECK(static_cast<index>(rho.size()) >= steps_per_epoch + 1, core::Error,
           "white_noise_fraction: rho has lags 0.." + std::to_string(static_cast<index>(rho.size()) - 1) +
               ", the sum needs lags 1..M = " + std::to_string(steps_per_epoch));
  double sum = 0.0;
  for (index lag = 1; lag <= steps_per_epoch; ++lag) sum += rho[static_cast<size_t>(lag)];
  return 1.0 + 2.0 * sum;
}

}  // namespace hesscov::stats
