#pragma once
// The theory oracle, part 2: stationary weight fluctuations of SGD with heavy-ball momentum along
// one Hessian eigendirection (SCIENCE.md "Study 2"). The direction has curvature λ; the iterate
// θ_k (measured from the minimum) obeys
//   θ_k = (1 + β − ηλ) θ_{k−1} − β θ_{k−2} − η δg_k,
// i.e. u_k = β u_{k−1} − ηλ θ_{k−1} − η δg_k and θ_k = θ_{k−1} + u_k, with the velocity
// u_k = v_k = θ_k − θ_{k−1} (the update per step, in units of θ). δg_k is the minibatch noise
// along the direction with per-step variance σ² = var(δg_k) (for epoch sampling
// σ² = (1/S − 1/N)·C₀ projected, theory_noise.hpp) and, for epoch sampling, the autocorrelation
// ρ(h) of epoch_noise_correlation (M batches per epoch, a fresh permutation per epoch, θ fixed
// in the noise model: the noise is not state dependent).
//
// Outputs: σ²_θ = var θ_k, σ²_v = var v_k, both averaged over the position of k in the epoch
// (the noise is cyclostationary, period M; the averages are what a long time series gives), and
// τ = 2σ²_θ/σ²_v (= Σ n·cov(v_k, v_{k+n}) / Σ cov(v_k, v_{k+n}) for a stationary velocity).
//
// Domain (the stationarity condition): η > 0, 0 ≤ β < 1, 0 < ηλ < 2(1 + β), σ² ≥ 0, M ≥ 1, all
// finite. Outside it every function here throws core::Error naming the offending quantity
// (is_stationary() answers the question without throwing). All functions are local, on the host.
#include <vector>

#include "backend/types.hpp"

namespace hesscov::stats::theory {

/// One direction of Study 2's heavy-ball SGD.
struct EpochSetting {
  double eta = 0.0;     ///< learning rate η > 0
  double beta = 0.0;    ///< momentum β, 0 ≤ β < 1
  index batches = 1;    ///< M, batches per epoch (≥ 1)
  double lambda = 0.0;  ///< curvature λ along the direction, 0 < ηλ < 2(1+β)
  double sigma2 = 1.0;  ///< σ², the per-step variance of the minibatch noise along the direction, ≥ 0
};

/// Stationary fluctuations along the direction (units: θ² and θ² per step², τ in steps).
struct Fluctuations {
  double sigma2_theta = 0.0;  ///< var θ
  double sigma2_v = 0.0;      ///< var (θ_k − θ_{k−1})
  double tau = 0.0;           ///< 2 σ²_θ / σ²_v (independent of σ²; defined also when σ² = 0)
};

/// true iff 0 ≤ β < 1 and 0 < ηλ < 2(1+β) (and all finite): the recursion has a stationary state.
[[nodiscard]] bool is_stationary(double eta, double beta, double lambda);

/// The exact σ²_θ, σ²_v, τ for epoch-based sampling (noise autocovariance σ²ρ(h) of
/// epoch_noise_correlation), in the stable form of SCIENCE.md: with C_u(n) the velocity
/// autocovariance of the same recursion driven by unit white noise (unit_velocity_autocovariance),
/// V_l = Σ_{|n|<l} (l − |n|) C_u(n) and w_l = (M − l)/(M(M − 1)),
///   σ²_θ = η²σ² Σ_{l=1}^{M} w_l V_l,   σ²_v = η²σ² (C_u(0) − 2 Σ_{l=1}^{M} w_l C_u(l)).
/// This equals η²σ²(γ(0) − 2Σ_l w_l γ(l)) (γ the unit-noise position autocovariance, the
/// definition) because Σ_l w_l = 1/2 and V_l = 2(γ(0) − γ(l)), but never forms γ(0) ∝ 1/(ηλ), so
/// nothing cancels as λ → 0; O(M) work, relative error ~1e-14 for M ≤ 10⁴ over the whole domain
/// (tests/stats/test_theory_epoch.cpp against the direct formula in 226-bit arithmetic).
/// M = 1 (one batch per epoch, independent steps) returns replacement_fluctuations.
[[nodiscard]] Fluctuations epoch_fluctuations(const EpochSetting& setting);

/// Uncorrelated (with-replacement, white) noise of variance σ², any M (M is not used):
///   σ²_θ = η²σ²(1+β)/((1−β)(2(1+β)−ηλ)ηλ),  σ²_v = 2η²σ²/((1−β)(2(1+β)−ηλ)),  τ = (1+β)/(ηλ).
/// It is also the large-curvature asymptote of epoch_fluctuations (λ ≫ λ_cross, i.e. M → ∞ at
/// fixed ηλ: the relative difference is O(λ_cross/λ)).
[[nodiscard]] Fluctuations replacement_fluctuations(const EpochSetting& setting);

/// The λ → 0 limit of epoch_fluctuations in SCIENCE.md's closed form (λ is not used; M ≥ 2):
///   σ²_θ(0) = η²σ²[(M+1)/(6(1−β)²) − β/((1−β²)(1−β)²) + 2β²(M(1−β) − (1−β^M))/((1−β²)(1−β)⁴M(M−1))],
///   σ²_v(0) = η²σ²/(1−β²)·[1 − 2(Mβ(1−β) − β(1−β^M))/((1−β)²M(M−1))],  τ(0) = 2σ²_θ(0)/σ²_v(0).
/// Evaluated as written: the bracket cancels when M(1−β) is small (β → 1 at fixed M), where it
/// loses about log10(1/(M(1−β))⁴) digits; fine for the studies' settings (M(1−β) ≥ 1).
[[nodiscard]] Fluctuations flat_limit_fluctuations(const EpochSetting& setting);

/// The small-curvature asymptote (λ ≪ λ_cross, M ≫ 1): σ²_θ ≈ η²σ²M/(6(1−β)²), τ ≈ τ_SGD, and
/// σ²_v ≈ 2σ²_θ/τ_SGD = η²σ²/(1−β²). λ is not used; M ≥ 1.
[[nodiscard]] Fluctuations small_curvature_asymptote(const EpochSetting& setting);

/// λ_cross = 3(1−β)/(ηM): where the two asymptotes of σ²_θ meet (σ²_θ is ~54% of either there).
[[nodiscard]] double crossover_curvature(double eta, double beta, index batches);

/// τ_SGD = (M/3)(1+β)/(1−β), the flat-direction correlation time of epoch sampling.
[[nodiscard]] double sgd_correlation_time(double beta, index batches);

/// C_u(0), …, C_u(max_lag): the autocovariance of the velocity u_k = θ_k − θ_{k−1} of
/// θ_k = (1+β−x)θ_{k−1} − βθ_{k−2} + ξ_k with unit white ξ and x = ηλ. Computed from the closed
/// forms C_u(0) = 2/((1−β)(2(1+β)−x)) and cov(θ_k, u_k) = C_u(0)/2 (both exact; no 1/x) and the
/// forward recursion of (cov(θ_{k+n}, u_k), C_u(n)) under the state matrix
/// [[1−x, β], [−x, β]], in which x only ever multiplies (1 + β − x is never formed, so x far
/// below the rounding of 1 + β is still resolved). Domain 0 ≤ x < 2(1+β), 0 ≤ β < 1.
[[nodiscard]] std::vector<double> unit_velocity_autocovariance(double eta_lambda, double beta, index max_lag);

}  // namespace hesscov::stats::theory
