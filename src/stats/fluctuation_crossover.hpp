#pragma once
// Study 2 fits against the Hessian eigenvalues (SCIENCE.md "Study 2", bullet "Measurement"):
// power laws of σ²_θ, σ²_v and τ against λ over chosen directions, and the empirical crossover
// curvature λ_cross where the fast-direction law τ ∝ λ^γ meets the flat directions' plateau τ_SGD.
//
// Local (no MPI), host vectors owned by the caller. These functions run on measured data, where a
// window too short, a direction without fluctuation or an unlucky spectrum is an outcome and not
// a bug: such cases give NaN and a reason (a string naming what was missing), never an exception.
// Exceptions are kept for caller errors: x and y of different lengths (core::DimensionMismatch)
// and invalid options (core::Error naming the option).
#include <limits>
#include <string>
#include <vector>

#include "backend/types.hpp"
#include "stats/alignment_stats.hpp"

namespace hesscov::stats {

/// Directions [first, first + count) in eigenvalue order (0 = λ_1); count = −1: to the end.
struct IndexRange {
  index first = 0;
  index count = -1;
};

/// A power-law fit that may have failed: on failure every field of `fit` is NaN (used and
/// skipped 0) and `failure` says why; on success `failure` is empty.
struct PowerLawResult {
  PowerLawFit fit;
  std::string failure;
  [[nodiscard]] bool ok() const noexcept { return failure.empty(); }
};

/// fit_power_law(x, y, range.first, range.count) (stats/alignment_stats.hpp: OLS of log y on
/// log x, entries with x ≤ 0 or y ≤ 0 or not finite skipped and counted), with its data-dependent
/// failures (fewer than 3 usable points, all x equal, a window past the end of the vectors)
/// turned into NaN and a reason. Throws core::DimensionMismatch when x and y differ in length.
[[nodiscard]] PowerLawResult fit_power_law_or_nan(const std::vector<double>& x, const std::vector<double>& y,
                                                  IndexRange range);

/// How the flat directions, whose mean τ is the plateau τ_SGD, are chosen.
enum class FlatRule {
  kLastCount,      ///< the last n_flat directions (smallest λ): always non-empty for k ≥ n_fast + n_flat
  kBelowFraction,  ///< every direction i ≥ n_fast with λ_i < flat_fraction · λ_1
};

struct CrossoverOptions {
  /// The line is fitted through (log λ_i, log τ_i) of directions 0..n_fast−1 (SCIENCE.md: the top
  /// 20). At least 3.
  index n_fast = 20;
  FlatRule flat_rule = FlatRule::kLastCount;
  /// kLastCount: size of the flat set, at least 1. The default suits the study's k = 2,000–5,000.
  index n_flat = 100;
  /// kBelowFraction: the threshold relative to λ_1, in (0, 1].
  double flat_fraction = 1e-2;
};

/// Throws core::Error naming the option when n_fast < 3, n_flat < 1 (kLastCount) or flat_fraction
/// is outside (0, 1] (kBelowFraction). Callers that do expensive work first check with this.
void check_crossover_options(const CrossoverOptions& options);

/// The empirical crossover of SCIENCE.md: log τ = intercept + γ log λ through the fast set, met
/// with log τ_SGD: λ_cross = exp((log τ_SGD − intercept)/γ).
struct Crossover {
  double lambda_cross = std::numeric_limits<double>::quiet_NaN();
  /// Arithmetic mean of τ over the flat set's directions with finite τ; NaN when none.
  double tau_sgd = std::numeric_limits<double>::quiet_NaN();
  /// The fast-set line (fit.used of its n_fast points had λ > 0 and τ > 0); NaN when not fitted.
  PowerLawResult fast_line;
  index flat_first = 0;    ///< flat set: directions [flat_first, flat_first + flat_count)
  index flat_count = 0;    ///< (both rules give a contiguous tail when λ is non-increasing)
  index flat_skipped = 0;  ///< flat directions left out of the mean because τ was not finite
  /// Empty when lambda_cross is finite; else why it is NaN: the line's failure, the flat set's, or
  /// both joined by "; " (tau_sgd stays finite when only the line failed).
  std::string reason;
  [[nodiscard]] bool ok() const noexcept { return reason.empty(); }
};

/// The crossover from eigenvalues λ (length k, λ_1 ≥ … ≥ λ_k) and correlation times τ (length k,
/// normally the least-squares τ of stats/fluctuation.hpp). NaN and a reason when: the eigenvalues
/// are not non-increasing (NaN counts as out of order); k < n_fast; kLastCount with
/// k < n_fast + n_flat (the sets would overlap); kBelowFraction with λ_1 ≤ 0 or no direction
/// i ≥ n_fast below the threshold; fewer than 3 fast directions with λ > 0 and τ > 0; a fitted
/// slope γ ≥ 0 (τ does not fall with λ, so there is no crossover to find) or not finite; no flat
/// direction with finite τ, or τ_SGD ≤ 0. Throws core::DimensionMismatch when the lengths differ
/// and core::Error for invalid options.
[[nodiscard]] Crossover empirical_crossover(const std::vector<double>& eigvals, const std::vector<double>& tau,
                                            const CrossoverOptions& options = {});

}  // namespace hesscov::stats
