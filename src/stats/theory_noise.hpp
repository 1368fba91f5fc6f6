#pragma once
// The theory oracle, part 1: minibatch gradient noise for a finite training set (SCIENCE.md
// "Shared objects" and "Study 2"). With N per-sample gradients g_n, ḡ = (1/N) Σ g_n:
//   M₀ = (1/N) Σ (g_n − ḡ)(g_n − ḡ)ᵀ   (centred per-sample second moment),
//   C₀ = (1/(N−1)) Σ (g_n − ḡ)(g_n − ḡ)ᵀ = N/(N−1) · M₀,
// and the noise of one minibatch mean, δg = (1/S) Σ_{n∈B} g_n − ḡ.
//
// Everything here is local, on the host, exact (no sampling), and cheap. Matrices are row-major
// `std::vector<double>`, owned by the caller. Bad input throws core::Error (or
// core::DimensionMismatch for sizes) naming the value that was wrong.
#include <vector>

#include "backend/types.hpp"

namespace hesscov::stats::theory {

/// How one minibatch is drawn from the N samples.
enum class Sampling {
  with_replacement,     ///< S indices drawn independently and uniformly (repeats allowed)
  without_replacement,  ///< a uniform S-subset (what one batch of a shuffled epoch is)
};

/// M = N/S, the batches per epoch. Throws core::Error unless 1 ≤ S ≤ N and S divides N (the
/// epoch formulas of Study 2 assume every batch has S samples).
[[nodiscard]] index batches_per_epoch(index num_samples, index batch_size);

/// c_S such that cov(δg) = c_S · M₀ exactly: 1/S with replacement, (N−S)/(S(N−1)) without
/// (a uniform S-subset; N ≥ 2 then). Domain 1 ≤ S ≤ N (S need not divide N here).
[[nodiscard]] double minibatch_factor(index num_samples, index batch_size, Sampling sampling);

/// 1/S − 1/N, the factor of Study 2: cov(δg) = (1/S − 1/N) · C₀ without replacement, the same
/// matrix as minibatch_factor(N, S, without_replacement) · M₀. Domain 1 ≤ S ≤ N, N ≥ 2.
[[nodiscard]] double epoch_noise_factor(index num_samples, index batch_size);

/// ρ(h), the normalised lag-h autocorrelation of the minibatch noise of epoch-based sampling (a
/// fresh uniform permutation of the N samples per epoch, M batches of S, θ fixed):
///   ρ(0) = 1,  ρ(h) = −(M − |h|)/(M(M − 1)) for 1 ≤ |h| ≤ M,  ρ(h) = 0 for |h| > M,
/// and ρ(h) = 0 for every h ≠ 0 when M = 1 (one batch per epoch: consecutive steps are
/// independent). Meaning of the lag: the noise is cyclostationary with period M, not stationary;
/// R(h) = cov(δg_k, δg_{k+h}) averaged over the position of step k in its epoch, where a pair
/// (k, k+h) in the same epoch has covariance −C/(M−1) (the batches of one epoch sum to zero noise
/// and are exchangeable) and a pair crossing into a later, independently permuted epoch has
/// covariance 0; M − |h| of the M positions keep k+h in k's epoch. This is also the exact
/// autocovariance of the noise seen from a uniformly random epoch phase, which is why it is the
/// one that enters the stationary (position-averaged) weight fluctuations of theory_epoch.hpp.
/// Σ_{h=1}^{M} ρ(h) = −1/2 and ρ(1) = −1/M for M ≥ 2.
[[nodiscard]] double epoch_noise_correlation(index batches, index lag);

/// ρ(0), ρ(1), …, ρ(max_lag) of epoch_noise_correlation. max_lag ≥ 0.
[[nodiscard]] std::vector<double> epoch_noise_autocorrelation(index batches, index max_lag);

/// M₀ (P×P, 1/N normalisation) from per-sample gradients: `per_sample` is N×P row-major, row n
/// holding g_n. Two passes (mean first) so that a large ḡ does not cancel digits. N ≥ 1, P ≥ 1.
[[nodiscard]] std::vector<double> centered_second_moment(const std::vector<double>& per_sample, index num_samples,
                                                         index num_params);

/// The exact covariance of one minibatch mean, minibatch_factor(N, S, sampling) · M₀ (P×P).
[[nodiscard]] std::vector<double> minibatch_noise_covariance(const std::vector<double>& per_sample,
                                                             index num_samples, index num_params,
                                                             index batch_size, Sampling sampling);

}  // namespace hesscov::stats::theory
