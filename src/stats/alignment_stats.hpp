#pragma once
// Study 1 statistics on small dense matrices (SCIENCE.md "Study 1"): correlations of C_V = VᵀCV,
// the off-diagonal measure m, arrowhead bands, the analytic random-frame null, the power-law fit of
// diag(C_V) against the Hessian eigenvalues, seed summaries, the commutator and a Haar rotation.
//
// Everything here is local (no MPI, no PETSc) and on the host. Matrices are k×k, dense, row-major
// `std::vector<double>` of length k*k; returned vectors are owned by the caller. Bad input throws
// core::DimensionMismatch (sizes) or core::Error (values), with a message naming what was wrong.
#include <cstdint>
#include <vector>

#include "backend/types.hpp"

namespace hesscov::stats {

/// ρ_ij = C_ij / sqrt(C_ii C_jj) for a k×k matrix C (normally C_V). Throws core::Error naming the
/// index when a diagonal entry is not > 0: a covariance's diagonal is a variance, and a zero or
/// negative one means the projection or the data is broken, not that ρ is undefined by chance.
[[nodiscard]] std::vector<double> correlation_matrix(const std::vector<double>& c, index k);

/// m = mean over the k(k−1) ordered pairs i ≠ j of |M_ij| (equal to the mean over the k(k−1)/2
/// unordered pairs for symmetric M). Requires k ≥ 2. For M = ρ this is SCIENCE.md's m.
[[nodiscard]] double mean_offdiagonal_abs(const std::vector<double>& m, index k);

/// The mean of |M_ij| over one band of rows: rows [row_begin, row_end), all columns j ≠ i.
struct BandStat {
  index row_begin = 0;
  index row_end = 0;
  double mean_abs = 0.0;  ///< (1/count) Σ_{row_begin ≤ i < row_end, j ≠ i} |M_ij|
  index count = 0;        ///< entries averaged: (row_end − row_begin)(k − 1)
};

/// Arrowhead profile: edges {e0 = 0, e1, …, en = k}, strictly increasing, give the row bands
/// [e0,e1), [e1,e2), …; one BandStat per band, in order. Pass C_V for the covariance profile, or
/// correlation_matrix(C_V) for the scale-free one. Requires k ≥ 2 so that every band has entries.
[[nodiscard]] std::vector<BandStat> band_offdiagonal_means(const std::vector<double>& m, index k,
                                                           const std::vector<index>& edges);

/// k_eff = (tr C)² / tr(C²), the participation ratio of C's spectrum (k_eff equal eigenvalues and
/// zeros give exactly k_eff). Requires tr(C²) > 0. Take the traces of the full covariance (P×P,
/// e.g. by stochastic trace estimation), not of the projected C_V, for the null of a random frame.
[[nodiscard]] double participation_ratio(double trace_c, double trace_c2);

/// The same from a dense k×k matrix: tr C and tr(C²) = Σ_ij C_ij C_ji.
[[nodiscard]] double participation_ratio(const std::vector<double>& c, index k);

/// The analytic random-frame null for m (SCIENCE.md "Analytic null").
struct NullTest {
  double observed = 0.0;        ///< m as passed in
  double expected = 0.0;        ///< E|ρ| = sqrt(2/(π k_eff))
  double standard_error = 0.0;  ///< sqrt((1 − 2/π)/k_eff / (k(k−1)/2))
  double z = 0.0;               ///< (observed − expected) / standard_error
  double p_value = 0.0;         ///< one-sided Φ(z)
};

/// Compares m (mean off-diagonal |ρ| over a k×k C_V) with the null ρ_ij ~ N(0, 1/k_eff) treating
/// the k(k−1)/2 pairs as independent. p = Φ(z) is one-sided toward *small* m: a small p says m is
/// below the null, i.e. C is more diagonal in this basis than in a random frame; p near 1 says m is
/// above it. The Gaussian form is a large-k_eff approximation whose relative errors are
/// O(1/k_eff) and O(k_eff/P) while the standard error shrinks like 1/k, so |z| of a few is within
/// the approximation when k ≫ k_eff; a Haar-random baseline (haar_rotate) is the exact reference.
/// Requires k ≥ 2 and k_eff > 0.
[[nodiscard]] NullTest analytic_null(double m, index k, double k_eff);

/// Ordinary least squares of log y on log x: log y = intercept + exponent · log x.
struct PowerLawFit {
  double exponent = 0.0;        ///< slope γ
  double standard_error = 0.0;  ///< sqrt(σ̂² / Sxx), σ̂² = RSS / (n − 2), Sxx = Σ (log x − mean)²
  double intercept = 0.0;       ///< natural log of the prefactor
  double r_squared = 0.0;       ///< 1 − RSS / Syy (1 when Syy = 0 and the fit is exact)
  index used = 0;               ///< points with x > 0 and y > 0 in the window
  index skipped = 0;            ///< points in the window with x ≤ 0 or y ≤ 0 (or not finite)
};

/// Fits y ∝ x^γ over entries [first, first + count) of x and y (count = −1: to the end), e.g.
/// x = λ_i and y = C_V,ii over the top eigenpairs. Entries with x ≤ 0 or y ≤ 0 have no logarithm
/// and are skipped and counted, never clipped. Throws core::DimensionMismatch when x and y differ
/// in length or the window leaves them, and core::Error when fewer than 3 points remain (the
/// standard error needs n − 2 > 0) or all used x are equal.
[[nodiscard]] PowerLawFit fit_power_law(const std::vector<double>& x, const std::vector<double>& y,
                                        index first = 0, index count = -1);

/// Mean and spread of one quantity across seeds.
struct SeedSummary {
  double mean = 0.0;
  double std = 0.0;  ///< sample standard deviation (divisor n − 1); 0 when n = 1
  index n = 0;
};

/// Summary of values from independent seeds. Throws core::Error for an empty list.
[[nodiscard]] SeedSummary summarize(const std::vector<double>& values);

/// ‖C Λ − Λ C‖_F / ‖C‖_F with Λ = diag(λ), λ of length k: how far C_V is from commuting with the
/// Hessian restricted to the same frame (0 exactly when C_V is diagonal wherever the λ differ).
/// Throws core::Error when ‖C‖_F = 0.
[[nodiscard]] double relative_commutator_norm(const std::vector<double>& c, const std::vector<double>& lambda,
                                              index k);

/// Qᵀ C Q for a Haar-random orthogonal k×k Q drawn from `seed` (the same seed gives the same Q on
/// every machine with the same BLAS/LAPACK). The top-left k'×k' block of the result is C projected
/// onto a Haar-random k'-frame: the dense randomised baseline of SCIENCE.md for a replicated C, and
/// the reference in tests. O(k³) time and O(k²) memory; the scalable baseline uses a P×k frame.
[[nodiscard]] std::vector<double> haar_rotate(const std::vector<double>& c, index k, std::uint64_t seed);

/// The diagonal (M_00, M_11, …) of a k×k matrix.
[[nodiscard]] std::vector<double> diagonal(const std::vector<double>& m, index k);

}  // namespace hesscov::stats
