#pragma once
// Study 2 kernels on one recorded series (SCIENCE.md "Study 2", bullet "Measurement"): variances
// with the drift removed, the velocity variance, and the autocorrelation of the gradient noise.
// stats/fluctuation.hpp applies them to every direction of a recorded window.
//
// Local (no MPI) and on the host. A series is x_t, t = 0..T−1, one value per SGD step, read
// through a span the caller owns; returned vectors are owned by the caller. Everything is fp64.
// Variances use the divisor T: they are time averages over the window, which is what SCIENCE.md's
// σ²_θ and σ²_v are, and σ²_θ and σ²_v sharing the divisor keeps τ = 2σ²_θ/σ²_v free of it (a
// degrees-of-freedom correction would be O(1/T) = 5e-5 at T = 20,000, far below the statistical
// error). Sums are compensated (Neumaier) and means two-pass (a compensated mean, then a compensated
// correction from the deviations), so a window of 20,000 steps whose mean is 1e7 times its spread
// loses no more than the input's own rounding. Bad input throws core::Error naming the function.
#include <span>
#include <vector>

#include "backend/types.hpp"

namespace hesscov::stats {

/// σ² = (1/T) Σ_t (x_t − x̄)², x̄ = (1/T) Σ_t x_t. For velocities v_t = θ_t − θ_{t−1} this is σ²_v:
/// the drift is the mean of v, so removing the mean is removing the drift. Requires T ≥ 1.
[[nodiscard]] double centred_variance(std::span<const double> series);

/// Endpoint detrend: r_t = x_t − x_0 − v̄ t with v̄ = (x_{T−1} − x_0)/(T−1), the line through the
/// first and last recorded points (SCIENCE.md's v̄ = (θ_end − θ_start)/T for a window of T steps
/// between T+1 points; here the T rows are the points). Returns (1/T) Σ_t (r_t − r̄)²: only the
/// slope comes from the endpoints, the level is the residuals' mean. Requires T ≥ 2.
///
/// Why this inflates a fast direction's variance by ~7/6 (SCIENCE.md). Write x_t = a + b t + y_t
/// with y stationary, variance s², correlation time τ ≪ T, and u = t/(T−1). The drift cancels and
/// r_t = y_t − (1−u) y_0 − u y_{T−1}: the line inherits the fluctuations of its two endpoints.
/// Removing the mean (r̄ ≈ −(y_0 + y_{T−1})/2) leaves r_t − r̄ ≈ y_t + (u − ½)(y_0 − y_{T−1}), and
/// y_0, y_{T−1} are independent of each other and of the bulk, so the time average of
/// E(r_t − r̄)² is s²(1 + 2∫₀¹(u − ½)² du) = s²(1 + 1/6) = (7/6) s². The least-squares line uses
/// all T points and its error is O(τ/T), so it removes only the drift. The inflation is random
/// per direction, 1 + (y_0 − y_{T−1})²/(12 s²) = 1 + χ²₁/6 (standard deviation ≈ 0.24), so the
/// endpoint estimate is also noisier; for slow directions (τ ≳ T) both detrends remove part of
/// the fluctuation itself and the factor differs.
[[nodiscard]] double endpoint_detrended_variance(std::span<const double> series);

/// Least-squares detrend: fits a + b t over t = 0..T−1 (ordinary least squares, equal weights)
/// and returns (1/T) Σ_t e_t² of the residuals e_t = x_t − a − b t (whose mean is 0). The
/// residuals are formed explicitly from centred data, not as Syy − b²Stt, which would cancel
/// catastrophically when the drift dominates. Requires T ≥ 2 (T = 2 gives 0).
[[nodiscard]] double lsq_detrended_variance(std::span<const double> series);

/// ρ(h) = γ(h)/γ(0) for h = 0..max_lag, with the unbiased-divisor autocovariance
///   γ(h) = (1/(T − h)) Σ_{t=0}^{T−1−h} y_t y_{t+h},  y_t = x_t (subtract_mean = false) or x_t − x̄.
/// Why the divisor T − h and not T: the white share ε = 1 + 2Σ_{h=1}^{M} ρ(h) sums M lags, and the
/// biased estimator's taper (1 − h/T) would shift it by about M/(3T) for epoch-structured noise
/// (0.017 at T = 20M), several standard errors of a direction average; its advantages (positive
/// definiteness, smaller variance at lags near T) do not matter for H ≪ T.
/// Why the mean is kept by default: the noise δg (minibatch minus full-batch gradient at the same
/// point) has mean zero by construction, and subtracting the sample mean biases every lag by
/// about −Var(x̄)/γ(0) ≈ −ε/T, which summed over M lags moves ε by −2Mε/T (−0.1 for white noise at
/// T = 20M). Pass subtract_mean = true only for series whose mean is not known to vanish.
/// The ratio makes ρ̂ unbiased only to O(1/T). Cost O(T · max_lag) (one dot product per lag).
/// All entries are NaN when γ(0) = 0 (a series of zeros has no correlation). Requires
/// 0 ≤ max_lag < T.
[[nodiscard]] std::vector<double> autocorrelation(std::span<const double> series, index max_lag,
                                                  bool subtract_mean = false);

/// The white-noise fraction ε = 1 + 2 Σ_{h=1}^{M} ρ(h), M = steps per epoch, from ρ(0..H) with
/// H ≥ M (SCIENCE.md "Measurement"). Epoch sampling without replacement gives ε = 0 (Σ_{h=1}^{M}
/// ρ(h) = −1/2), independent minibatches ε = 1; state-dependent noise adds a white share between.
/// NaN in ρ gives NaN. Requires steps_per_epoch ≥ 1 and rho.size() ≥ steps_per_epoch + 1.
[[nodiscard]] double white_noise_fraction(std::span<const double> rho, index steps_per_epoch);

}  // namespace hesscov::stats
