#pragma once
// Stochastic trace estimation of a symmetric operator given as a PETSc Mat (SCIENCE.md Study 3:
// tr H along training): Hutchinson's estimator, Hutch++ (Meyer, Musco, Musco, Woodruff 2021) and
// the exact trace for small operators. Probe entries are drawn by GLOBAL index from counter-based
// streams, so an estimate depends on the seed only, not on the number of ranks (up to the
// round-off of the distributed dot products). Every function here only needs MatMult, so the
// operator may be a MATSHELL; it must be square and symmetric (not checked: symmetry would cost
// products), with vectors laid out as MatCreateVecs gives them.
#include <petscmat.h>

#include <cstdint>
#include <span>

#include "backend/types.hpp"
#include "core/rng.hpp"

namespace hesscov::spectral {

/// A trace estimate. Host values, identical on every rank of the operator's communicator.
struct TraceEstimate {
  double value = 0.0;           ///< the estimate of tr(A)
  /// Estimated standard deviation of `value` (sample standard deviation of the stochastic terms
  /// divided by the square root of their count); NaN when fewer than two stochastic terms.
  double standard_error = 0.0;
  index products = 0;           ///< matrix-vector products with A that were applied
};

/// Hutchinson's estimator tr(A) ~ (1/probes) sum_j z_j^T A z_j with Rademacher probes: entry i of
/// probe j is +1 if bit 0 of CounterRng(seed, "hutchinson").bits(j * n + i) is set, else -1.
/// Unbiased, variance per probe 2 (||A||_F^2 - sum_i A_ii^2) (exact for a diagonal A).
/// standard_error = sample std of the z_j^T A z_j over sqrt(probes). Uses `probes` products.
/// Requires probes >= 1 (core::Error otherwise). Collective on A's communicator.
TraceEstimate hutchinson(Mat A, index probes, std::uint64_t seed);

/// Hutch++ (Meyer et al. 2021, Algorithm 1) with `matvecs` products in total, split in thirds:
/// k = matvecs / 3 Rademacher sketch columns S, Q = orth(A S) (Gram-Schmidt with
/// reorthogonalisation; columns that vanish to round-off are dropped), the exact part
/// tr(Q^T A Q) (|Q| <= k products), and Hutchinson on (I - QQ^T) A (I - QQ^T) with the remaining
/// matvecs - 2k probes. Probe columns come from CounterRng(seed, "hutch++"): sketch column j is
/// probe j, residual probe j is probe k + j (entry i from bits(probe * n + i), as in hutchinson).
/// Unbiased; standard_error is that of the Hutchinson part (the exact part has none); `products`
/// counts those actually applied (fewer than matvecs when A S is rank deficient).
/// Requires matvecs >= 3 (core::Error otherwise). Collective on A's communicator.
TraceEstimate hutch_plus_plus(Mat A, index matvecs, std::uint64_t seed);

/// The exact trace sum_i A_ii: the sum of MatGetDiagonal when A provides it, otherwise
/// sum_i e_i^T A e_i with n products (meant for small operators). Collective.
double exact_trace(Mat A);

/// Fills the distributed `probe` with Rademacher column `column` of `rng`: global entry i is +1 if
/// bit 0 of rng.bits(column * n + i) is set, else -1 (n = global length). Local: every rank
/// writes only its own entries, so the probe does not depend on the number of ranks.
void fill_rademacher(Vec probe, const core::CounterRng& rng, index column);

/// Norms of a vector before and after orthogonalisation.
struct OrthogonalizeResult {
  double norm_before = 0.0, norm_after = 0.0;
};

/// Removes from `v` its components along the orthonormal `basis` (all of v's layout) by
/// classical Gram-Schmidt, twice and up to four passes while a pass shrinks the norm by more
/// than half (Daniel-Gragg-Kaufman-Stewart), which keeps v orthogonal to working precision even
/// when most of it lay in span(basis). Does not normalise v. Collective.
OrthogonalizeResult orthogonalize(std::span<const Vec> basis, Vec v);

}  // namespace hesscov::spectral
