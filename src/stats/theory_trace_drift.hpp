#pragma once
// The theory oracle, part 5: the Hessian-trace drift of SGD in the degenerate valley of
// SCIENCE.md "Study 3",
//   L(t) = |t3 + t4| t1² + |t3 + 2 t4| t2²,
// with SGD t ← t − η(∇L + ξ), ξ ~ N(0, κ diag(λ1, λ2, 0, 0)) independent across steps. On the
// valley floor t1 = t2 = 0 the Hessian is diag(λ1, λ2, 0, 0) with λ1 = 2|t3 + t4|,
// λ2 = 2|t3 + 2t4| (so the noise is C = κH there, the SGD-like case), and its trace is
// T = λ1 + λ2 = 2|t3 + t4| + 2|t3 + 2t4| (exact off the kinks: t1, t2 do not enter tr H).
//
// The drift: the stiff coordinates equilibrate, E t_i² = η²κλ_i/(1 − (1 − ηλ_i)²) = ηκ/(2 − ηλ_i),
// and the flat coordinates move by −η ∂L/∂t3 = −η(s1 t1² + s2 t2²), −η ∂L/∂t4 = −η(s1 t1² + 2 s2 t2²)
// (s1, s2 the signs of t3 + t4, t3 + 2t4; s = s1 s2), so per step
//   ⟨ΔT⟩ = −η[(4 + 6s) E t1² + (10 + 6s) E t2²] = −η²κ[(4 + 6s)/(2 − ηλ1) + (10 + 6s)/(2 − ηλ2)],
// which at the start point (0, 0, 1, 1) (λ1 = 4, λ2 = 6, s = 1) is −2η²κ(5/(2 − ηλ1) + 8/(2 − ηλ2)),
// and to leading order in η, −(η²κ/4)‖∇̂T‖² = −η²κ(7 + 6s) = −13η²κ there (∇̂T = (2s1 + 2s2,
// 2s1 + 4s2), the gradient of T along the flat directions).
//
// Meaning and validity: the rate of E[T] per step once t1, t2 are stationary at the given valley
// point, with λ1, λ2 the curvatures there (the noise amplitude κλ_i fixed to those values); valid
// while T changes little over the relaxation time 1/(ηλ_i) of t1, t2 (η²κ ≪ 1) and away from the
// kinks t3 + t4 = 0, t3 + 2t4 = 0. Requires η > 0, κ ≥ 0, 0 < ηλ_i < 2. Local, host only.

namespace hesscov::stats::theory {

/// Both toys of SCIENCE.md Study 3, L = ½λ1(t3, t4) t1² + ½λ2(t3, t4) t2²:
///   toy 1: λ1 = 2|t3 + t4|, λ2 = 2|t3 + 2t4| (the one above),
///   toy 2: λ1 = 8 − 4exp(−(t3² + t4²)), λ2 = 2exp(−(t3 − t4)²),
/// under designed noise ξ ~ N(0, diag(c1, c2, 0, 0)) with c_i = scale·λ_i^power (power 1, scale κ:
/// SGD-like; power 0: isotropic on the stiff coordinates). With t1, t2 stationary at the valley
/// point, E t_i² = η c_i/(λ_i(2 − ηλ_i)), the flat coordinates move on average by
/// ⟨Δ(t3, t4)⟩ = −(η/2) Σ_i E t_i² ∇λ_i, and any function F of (t3, t4) by ∇F·⟨Δ(t3, t4)⟩ to first
/// order (the second-order term is O(η²(E t_i²)²), below the drift by a factor ηc): F = T = λ1 + λ2
/// and F = log det = log λ1 + log λ2. "Leading order" sets 2 − ηλ_i to 2. Same validity as above.
struct ValleyDrift {
  double lambda1 = 0.0, lambda2 = 0.0;        ///< curvatures of t1, t2 at (t3, t4)
  double trace = 0.0, log_det = 0.0;          ///< T = λ1 + λ2, log λ1 + log λ2
  double variance1 = 0.0, variance2 = 0.0;    ///< stationary E t1², E t2²
  double trace_rate = 0.0, trace_rate_leading = 0.0;      ///< ⟨ΔT⟩ per step, finite η and leading order
  double log_det_rate = 0.0, log_det_rate_leading = 0.0;  ///< ⟨Δ log det⟩ per step
};

/// The drift of `toy` (1 or 2) at (t3, t4) under noise scale·λ^power; throws core::Error naming
/// the toy, η, the scale, the point (a kink of toy 1) or ηλ_i ≥ 2 when outside the domain.
[[nodiscard]] ValleyDrift valley_drift(int toy, double eta, double scale, double power, double t3, double t4);

/// The toy's drift at a valley point (t3, t4), t1 = t2 = 0.
struct TraceDrift {
  double lambda1 = 0.0;               ///< 2|t3 + t4|, curvature of t1 (4 at the start point)
  double lambda2 = 0.0;               ///< 2|t3 + 2t4|, curvature of t2 (6 at the start point)
  double trace = 0.0;                 ///< T = λ1 + λ2
  double flat_gradient_norm2 = 0.0;   ///< ‖∇̂T‖² (52 at the start point)
  double finite_eta = 0.0;            ///< ⟨ΔT⟩ per step at finite η
  double leading_order = 0.0;         ///< −(η²κ/4)‖∇̂T‖², its small-η limit
};

/// The drift above (valley_drift of toy 1 with power 1); throws core::Error naming η, κ or the point when outside the domain.
[[nodiscard]] TraceDrift valley_trace_drift(double eta, double kappa, double t3 = 1.0, double t4 = 1.0);

/// T(t3, t4) = 2|t3 + t4| + 2|t3 + 2t4|, the Hessian trace of the toy at any (t1, t2, t3, t4) off the kinks.
[[nodiscard]] double valley_trace(double t3, double t4);

}  // namespace hesscov::stats::theory
