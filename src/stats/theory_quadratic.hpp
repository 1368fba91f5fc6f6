#pragma once
// The theory oracle, part 3: exact stationary covariance of discrete-time SGD with heavy-ball
// momentum on a quadratic loss L(w) = L* + ½ (w − w*)ᵀ H (w − w*) (SCIENCE.md "Study 4"). With
// g_t = H(w_{t−1} − w*) + ξ_t, ξ_t independent across steps with mean 0 and covariance C,
//   m_t = μ m_{t−1} + g_t,   w_t = w_{t−1} − η m_t,
// the state z = (w − w*, m) obeys z_t = A z_{t−1} + B ξ_t with A = [[I − ηH, −ημ I], [H, μ I]],
// B = [−η I; I], and its stationary covariance solves Σ_aug = A Σ_aug Aᵀ + B C Bᵀ. H and C are
// any symmetric P×P matrices (they need not commute). η may be a scalar or a symmetric positive
// definite matrix E (a preconditioner: w_t = w_{t−1} − E m_t, so A = [[I − EH, −μE], [H, μI]],
// B = [−E; I]).
//
// Method (exact, O(P³), no Kronecker system): the change of variables w' = E^{-1/2}(w − w*),
// m' = E^{1/2} m turns the problem into η = 1 with H' = E^{1/2} H E^{1/2}, C' = E^{1/2} C E^{1/2};
// in the eigenbasis U of H' (LAPACK dsyevd) A splits into 2×2 blocks A_i = [[1 − h'_i, −μ], [h'_i, μ]],
// and the (i, j) 2×2 block X_ij of Σ_aug solves X_ij = A_i X_ij A_jᵀ + C̃_ij bbᵀ (b = (−1, 1),
// C̃ = Uᵀ C' U): a 4×4 linear system per pair. The transformations are orthogonal or
// congruences with E^{±1/2}, so nothing is ill-conditioned beyond the problem itself.
//
// Domain: 0 ≤ μ < 1, finite symmetric H and C (C need not be PSD for the algebra, but is a
// covariance), E symmetric positive definite. Stability: spectral radius of A < 1 ⟺ every
// eigenvalue h' of E^{1/2} H E^{1/2} satisfies 0 < h' < 2(1+μ) (for scalar η: 0 < η h_i < 2(1+μ)).
// All local, on the host; matrices row-major `std::vector<double>` owned by the caller.
#include <vector>

#include "backend/types.hpp"
#include "stats/theory_dense.hpp"

namespace hesscov::stats::theory {

/// The stationary second moments of z = (w − w*, m): each block P×P, row-major.
struct QuadraticCovariance {
  std::vector<double> ww;  ///< Σ = E[(w − w*)(w − w*)ᵀ], the quantity SCIENCE.md calls Σ
  std::vector<double> wm;  ///< E[(w − w*) mᵀ]
  std::vector<double> mm;  ///< E[m mᵀ]
};

/// One quadratic problem (H, η or E, μ), set up once (an eigendecomposition) and solved for any
/// number of noise covariances C. Immutable after construction; cheap to copy.
class QuadraticStationary {
 public:
  /// Scalar learning rate η > 0. Throws core::Error naming H, eta or mu when out of the domain.
  QuadraticStationary(const std::vector<double>& hessian, index dim, double eta, double mu);
  /// Matrix learning rate E (symmetric positive definite, P×P).
  QuadraticStationary(const std::vector<double>& hessian, index dim, const std::vector<double>& eta_matrix, double mu);

  [[nodiscard]] index dim() const { return dim_; }
  [[nodiscard]] double mu() const { return mu_; }
  /// Eigenvalues of E^{1/2} H E^{1/2} (η h_i for scalar η), ascending.
  [[nodiscard]] const std::vector<double>& scaled_curvatures() const { return curvatures_; }
  /// ρ(A), from the 2×2 blocks' characteristic polynomials z² − (1 + μ − h')z + μ.
  [[nodiscard]] double spectral_radius() const { return radius_; }
  /// true iff 0 < h' < 2(1+μ) for every scaled curvature h' (equivalently ρ(A) < 1).
  [[nodiscard]] bool stable() const { return stable_; }

  /// The stationary covariance for noise covariance C (P×P symmetric). Throws core::Error when
  /// the problem is not stable (no stationary state) or C is not symmetric.
  [[nodiscard]] QuadraticCovariance solve(const std::vector<double>& noise) const;

  /// The continuous-time (Ornstein–Uhlenbeck) answer, first order in η: Σ solving
  /// ΣH + HΣ = ηC/(1−μ) (matrix E: Σ H E + E H Σ = E C E/(1−μ)). Exists when H' is positive
  /// definite; throws core::Error otherwise. It misses the factor 1/(1 − ηh/(2(1+μ))) of the
  /// discrete answer (2 at ηh = 1+μ, so 2 at ηh = 1 for plain SGD).
  [[nodiscard]] std::vector<double> continuous(const std::vector<double>& noise) const;

  /// E[L(w)] − L* = ½ tr(HΣ) in closed form, without solving for Σ:
  ///   (1/(4(1−μ))) tr[(E⁻¹ − H/(2(1+μ)))⁻¹ C]  =  η/(4(1−μ)) tr[(I − ηH/(2(1+μ)))⁻¹ C] (scalar η).
  /// Exact for any C (only C's diagonal in H's eigenbasis enters). Throws when not stable.
  [[nodiscard]] double excess_loss(const std::vector<double>& noise) const;

 private:
  void set_up(const std::vector<double>& hessian, const std::vector<double>& eta_sqrt, double scalar_eta);

  index dim_ = 0;
  double mu_ = 0.0;
  std::vector<double> eta_sqrt_, eta_inv_sqrt_;  ///< E^{±1/2}
  std::vector<double> basis_;                     ///< U, eigenvectors of H' as columns
  std::vector<double> curvatures_;                ///< h'_i
  double radius_ = 0.0;
  bool stable_ = false;
};

/// ½ tr(HΣ): the expected excess training loss E[L(w)] − L* at covariance Σ (P×P each).
[[nodiscard]] double quadratic_excess_loss(const std::vector<double>& hessian, const std::vector<double>& sigma,
                                           index dim);

/// The commuting closed form: H and C diagonal in one basis with eigenvalues h_i, c_i, scalar η:
///   Σ_ii = η c_i / ((1−μ) h_i (2 − η h_i/(1+μ))).  Requires 0 < η h_i < 2(1+μ), 0 ≤ μ < 1.
[[nodiscard]] std::vector<double> commuting_variances(const std::vector<double>& curvatures,
                                                      const std::vector<double>& noise_variances, double eta,
                                                      double mu);

}  // namespace hesscov::stats::theory
