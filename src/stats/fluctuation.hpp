#pragma once
// Study 2 fluctuation statistics from a recorded window (SCIENCE.md "Study 2", bullet
// "Measurement"): per Hessian eigendirection the weight variance with the drift removed two ways,
// the velocity variance, the correlation time, the autocorrelation of the gradient noise and its
// white share, then power laws against λ and the empirical crossover.
//
// Local pure computation on host arrays, no MPI: a caller gathers the recorded projections and
// calls these on one rank (or on every rank, which then all get the same answer). A recorded
// quantity is a row-major [T × k] array, T steps by k directions: entry (t, i) at t·k + i is the
// projection onto the i-th eigenvector v_i (λ_1 ≥ … ≥ λ_k) at step t. Inputs are read through
// spans the caller owns for the duration of the call; every result is a value the caller owns.
// The per-series definitions, their estimators and why they were chosen are in
// stats/fluctuation_series.hpp; the fits and the crossover in stats/fluctuation_crossover.hpp.
// Sizes that do not conform throw core::DimensionMismatch, invalid options core::Error.
#include <span>
#include <vector>

#include "backend/types.hpp"
#include "stats/fluctuation_crossover.hpp"

namespace hesscov::stats {

/// σ²_θ,i with the endpoint detrend (endpoint_detrended_variance of column i), length k. T ≥ 2.
[[nodiscard]] std::vector<double> weight_variance_endpoint(std::span<const double> weights, index steps,
                                                           index directions);

/// σ²_θ,i with the least-squares detrend (lsq_detrended_variance of column i), length k. T ≥ 2.
[[nodiscard]] std::vector<double> weight_variance_lsq(std::span<const double> weights, index steps,
                                                      index directions);

/// σ²_v,i = variance of v_t·v_i around its window mean (centred_variance of column i), length k,
/// with v_t = θ_t − θ_{t−1} as recorded. T ≥ 1.
[[nodiscard]] std::vector<double> velocity_variance(std::span<const double> velocities, index steps,
                                                    index directions);

/// τ_i = 2σ²_θ,i / σ²_v,i (SCIENCE.md; in steps). NaN where σ²_v,i = 0 (no motion, no time
/// scale). Throws core::DimensionMismatch when the lengths differ.
[[nodiscard]] std::vector<double> correlation_times(const std::vector<double>& sigma2_theta,
                                                    const std::vector<double>& sigma2_v);

/// Autocorrelation of the gradient noise δg (minibatch gradient minus the full-batch gradient at
/// the same point, projected), per direction and averaged over directions.
struct NoiseAutocorrelation {
  index max_lag = 0;     ///< H: lags 0..H
  index directions = 0;  ///< k
  /// ρ_i(h) (autocorrelation of stats/fluctuation_series.hpp), row-major [k × (H+1)]: entry
  /// (i, h) at i·(H+1) + h. A direction whose noise is identically zero has a row of NaN.
  std::vector<double> rho;
  index valid_directions = 0;  ///< directions with finite ρ_i, the ones averaged
  std::vector<double> mean;    ///< ρ̄(h) = mean over valid directions, length H+1; NaN if none
  /// 2·SE(h) = 2·s(h)/sqrt(n), s the sample standard deviation (divisor n − 1) of ρ_i(h) over the
  /// n valid directions: the 2σ band of ρ̄(h) treating directions as independent; length H+1,
  /// NaN when n < 2.
  std::vector<double> band;
};

/// ρ_i(h) of every column of the [T × k] noise array for h = 0..max_lag, 0 ≤ max_lag < T; see
/// autocorrelation() for the estimator (unbiased divisor T − h, mean kept unless subtract_mean).
/// Cost O(T · max_lag · k) through one BLAS dot product per lag: about 8 ms per direction on one
/// core at T = 20,000, H = 3,000 (40 s for k = 5,000); rho then holds k(H+1) doubles (120 MB).
[[nodiscard]] NoiseAutocorrelation noise_autocorrelation(std::span<const double> noise, index steps,
                                                         index directions, index max_lag,
                                                         bool subtract_mean = false);

/// Fills valid_directions, mean and band of `noise` from its rho rows (as noise_autocorrelation
/// does): for rows gathered from several sources.
void summarize_noise(NoiseAutocorrelation& noise);

/// Variance of each column of a [T × k] noise array around its window mean (the per-step noise
/// variance σ²_i along each direction, for the oracle), length k.
[[nodiscard]] std::vector<double> noise_variance(std::span<const double> noise, index steps, index directions);

/// ε_i = 1 + 2 Σ_{h=1}^{M} ρ_i(h) per direction (white_noise_fraction of each row), length k;
/// NaN for rows of NaN. Requires 1 ≤ M ≤ H.
[[nodiscard]] std::vector<double> white_noise_fractions(const NoiseAutocorrelation& noise, index steps_per_epoch);

/// The recorded window, T × k arrays as described above, all owned by the caller.
struct FluctuationInput {
  index steps = 0;                      ///< T
  index directions = 0;                 ///< k
  std::span<const double> eigvals;      ///< λ_1 ≥ … ≥ λ_k, length k
  std::span<const double> weights;      ///< θ_t·v_i
  std::span<const double> velocities;   ///< (θ_t − θ_{t−1})·v_i
  std::span<const double> noise;        ///< δg_t·v_i, or empty when not recorded
};

struct FluctuationOptions {
  index steps_per_epoch = 0;  ///< M = N/S, at least 1 (no default: it belongs to the run)
  /// H, the largest noise lag; −1: min(3M, T − 1). Must satisfy M ≤ H < T.
  index max_lag = -1;
  bool subtract_noise_mean = false;  ///< see autocorrelation(): off, since δg has mean zero
  IndexRange theta_fit;     ///< directions for the σ²_θ (least-squares) ∝ λ^γ fit; default all
  IndexRange velocity_fit;  ///< directions for the σ²_v fit
  IndexRange tau_fit;       ///< directions for the τ (least-squares) fit
  CrossoverOptions crossover;
};

/// Everything of this header for one window; per-direction vectors have length k.
struct FluctuationStats {
  index steps = 0, directions = 0, steps_per_epoch = 0;
  std::vector<double> sigma2_theta_endpoint, sigma2_theta_lsq, sigma2_v;
  std::vector<double> tau_endpoint, tau_lsq;  ///< 2σ²_θ/σ²_v with either detrend
  bool has_noise = false;                     ///< false: noise, white_fraction empty, ε̄ NaN
  NoiseAutocorrelation noise;
  std::vector<double> white_fraction;   ///< ε_i
  double white_fraction_mean = 0.0;     ///< mean of ε_i over valid directions (= 1 + 2Σ_{h=1}^{M} ρ̄(h))
  double white_fraction_band = 0.0;     ///< 2·SE of that mean over directions; NaN when < 2 valid
  PowerLawResult theta_fit, velocity_fit, tau_fit;  ///< least-squares σ²_θ, σ²_v, τ_lsq against λ
  Crossover crossover;                              ///< from τ_lsq
};

/// The per-direction part of fluctuation_statistics(): variances, correlation times, ρ_i rows
/// (with the mean and band of these directions alone) and ε_i; no fits, no crossover. For windows
/// whose directions are spread over ranks: each computes its directions, the vectors are
/// concatenated in direction order, and summarize_statistics() finishes.
[[nodiscard]] FluctuationStats direction_statistics(const FluctuationInput& input, const FluctuationOptions& options);

/// The across-direction part: ρ̄ and its band (summarize_noise), ε̄, the three fits and the
/// crossover, from per-direction vectors of all k directions and their eigenvalues.
void summarize_statistics(FluctuationStats& stats, const std::vector<double>& eigvals, const FluctuationOptions& options);

/// Computes all of the above: the least-squares detrend is the measurement (SCIENCE.md), the
/// endpoint one is kept for comparison. Throws core::DimensionMismatch for arrays of the wrong
/// size and core::Error for options outside their ranges (naming the option); the fits and the
/// crossover report data-dependent failures as NaN with a reason instead.
[[nodiscard]] FluctuationStats fluctuation_statistics(const FluctuationInput& input,
                                                      const FluctuationOptions& options);

}  // namespace hesscov::stats
