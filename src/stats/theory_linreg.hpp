#pragma once
// The theory oracle, part 4: linear regression with label noise under SGD with momentum
// (SCIENCE.md "Study 4"). Per-sample loss ℓ = ½ (wᵀx − y)², so the Hessian is the input second
// moment and the noise is state dependent; the stationary covariance Σ = E[(w − u)(w − u)ᵀ] is
// exact because the noise covariance is linear in Σ (Isserlis for Gaussian x; a finite sum for a
// data set), and it is found by solving that linear equation jointly with the Lyapunov equation of
// theory_quadratic.hpp.
//
// Local, on the host; matrices row-major `std::vector<double>` owned by the caller. Invalid
// arguments throw core::Error naming them; a setting without a stationary state is not an error
// but a result with stable = false (and NaN in every stationary quantity).
#include <vector>

#include "backend/types.hpp"
#include "stats/theory_noise.hpp"

namespace hesscov::stats::theory {

/// Gaussian inputs x ~ N(0, A), y = uᵀx + ε with var ε = σ², S fresh samples per step, heavy-ball
/// momentum μ, scalar η, all quantities in A's eigenbasis (A = diag(a)).
struct LinregGaussian {
  bool stable = false;              ///< all g_i > 0 and t < S (mean-square stability)
  std::vector<double> g;            ///< g_i = 2(1−μ) − ((1−μ)/(1+μ) + 1/S) η a_i
  double t = 0.0;                   ///< t = Σ_i η a_i / g_i
  std::vector<double> sigma_diag;   ///< Σ_ii = η σ² / (g_i (S − t)); Σ is diagonal in A's basis
  double trace_a_sigma = 0.0;       ///< tr(AΣ) = σ² t/(S − t)
  double test_loss = 0.0;           ///< L_test = ½ tr(AΣ), the excess risk
  double train_loss = 0.0;          ///< L_train = σ²/2 + L_test = σ² S/(2(S − t)), population loss at w
  std::vector<double> noise_diag;   ///< c_i = (1/S)(a_i² Σ_ii + a_i σ² S/(S − t)), the diagonal noise covariance
};

/// The closed form above. a_i > 0 (A positive definite), η > 0, S ≥ 1, 0 ≤ μ < 1, σ² ≥ 0. Where
/// g_i ≤ 0 for some i or t ≥ S there is no stationary state: stable = false, g and t filled, the
/// rest NaN. 1-D, μ = 0: Σ = ησ²/(S(2 − ηa) − 2ηa).
[[nodiscard]] LinregGaussian linreg_gaussian_stationary(const std::vector<double>& a_eigvals, double eta,
                                                        index batch_size, double mu, double sigma2);

/// A fixed data set X (N×d row-major), targets y (N), minibatches of S drawn per step by
/// `sampling` (independently every step: with replacement, or a uniform S-subset).
struct LinregDataset {
  bool stable = false;            ///< ρ(A) < 1 and ρ(𝓛∘K) < 1 (mean-square stability), see below
  double radius = 0.0;            ///< ρ(𝓛∘K), the state-dependent noise's feedback (< 1 when stable)
  std::vector<double> hessian;    ///< Â = XᵀX/N (d×d)
  std::vector<double> minimizer;  ///< w* = Â⁻¹ Xᵀy/N (d)
  double min_loss = 0.0;          ///< L(w*) = (1/(2N)) Σ r_n², r_n = y_n − x_nᵀ w*
  std::vector<double> sigma;      ///< Σ = E[(w − w*)(w − w*)ᵀ] (d×d), NaN when not stable
  std::vector<double> noise;      ///< C̄(Σ) (d×d), the stationary noise covariance
  double trace_h_sigma = 0.0;     ///< tr(ÂΣ)
  double train_loss = 0.0;        ///< E[L(w)] = L(w*) + ½ tr(ÂΣ)
};

/// The finite-N solution: C̄(Σ) = c_S[(1/N) Σ_n (x_nᵀΣx_n + r_n²) x_n x_nᵀ − ÂΣÂ] with
/// c_S = minibatch_factor(N, S, sampling), solved jointly with the Lyapunov equation: with 𝓛 the
/// linear map C ↦ Σ of QuadraticStationary(Â, η, μ) and K(Σ) the Σ-dependent part of C̄, the
/// symmetric d(d+1)/2-dimensional system (I − 𝓛∘K) Σ = 𝓛(C̄(0)) is assembled column by column
/// and solved with LAPACK. O(d⁵ + N d⁴): meant for d up to ~20. Requires N ≥ 1, d ≥ 1, Â
/// positive definite for stability, η > 0, 1 ≤ S ≤ N, 0 ≤ μ < 1.
[[nodiscard]] LinregDataset linreg_dataset_stationary(const std::vector<double>& inputs,
                                                      const std::vector<double>& targets, index num_samples,
                                                      index dim, double eta, index batch_size, double mu,
                                                      Sampling sampling);

}  // namespace hesscov::stats::theory
