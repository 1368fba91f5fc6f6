#pragma once
// Stochastic Lanczos quadrature (Ubaru, Chen, Saad 2017; Ghorbani, Krishnan, Xiao 2019): the
// spectral density of a symmetric operator given as a PETSc Mat, as Gauss quadrature rules
// (Ritz values and weights) from Lanczos runs started at normalised Rademacher probes. The
// quadrature of probe v = z / sqrt(n) integrates f against the spectral measure
// sum_i (v . u_i)^2 delta(x - lambda_i), whose expectation over z is (1/n) sum_i delta(x - lambda_i);
// a rule with m nodes is exact for polynomials of degree <= 2m - 1. Used for log-determinants,
// negative mass and density plots (SCIENCE.md Study 3).
#include <petscmat.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "backend/types.hpp"

namespace hesscov::spectral {

/// A Gauss quadrature rule on the host: nodes ascending, weights >= 0 summing to 1 (round-off).
struct QuadratureRule {
  std::vector<double> nodes, weights;
};

/// The Gauss rule of the symmetric tridiagonal T with diagonal `alpha` (m entries) and
/// off-diagonal `beta` (m - 1 entries): nodes = eigenvalues theta_k of T, weights = squared first
/// components of its unit eigenvectors (LAPACK dsteqr). core::DimensionMismatch when the sizes
/// do not conform. Local (host only).
QuadratureRule tridiagonal_quadrature(std::vector<double> alpha, std::vector<double> beta);

/// The SLQ estimate of the spectral density of an n x n symmetric A. Host data, identical on every
/// rank of A's communicator; plain value, owns its vectors.
struct SpectralDensity {
  index dimension = 0;  ///< n
  index products = 0;   ///< matrix-vector products with A that were applied
  /// One Gauss rule per probe. A rule has fewer than lanczos_steps nodes when the Krylov space of
  /// its probe became invariant (then the rule is exact for that probe's measure).
  std::vector<QuadratureRule> rules;

  [[nodiscard]] index probes() const noexcept { return index(rules.size()); }
  /// Gaussian-broadened density at each point x of `grid`:
  /// phi(x) = (1/probes) sum_probes sum_k w_k exp(-(x - theta_k)^2 / (2 sigma^2)) / (sigma sqrt(2 pi)),
  /// an estimate of (1/n) sum_i N(x; lambda_i, sigma^2); it integrates to 1 over the real line.
  /// Requires sigma > 0 (core::Error otherwise). Local.
  [[nodiscard]] std::vector<double> density(const std::vector<double>& grid, double sigma) const;
  /// (1/probes) sum_probes sum_k w_k theta_k^p: an unbiased estimate of tr(A^p) / n. Per probe it
  /// equals v^T A^p v exactly (to round-off) when p <= 2m - 1 for that rule's m nodes, so its error
  /// is then Hutchinson's. Requires p >= 0 (core::Error otherwise). Local.
  [[nodiscard]] double moment(int p) const;
  /// n (1/probes) sum_probes sum_k w_k 1{theta_k > threshold} log theta_k: an estimate of
  /// sum_{lambda_i > threshold} log lambda_i, the log pseudo-determinant above the threshold
  /// (threshold > 0; core::Error otherwise), and its standard error over the probes (NaN with one
  /// probe). The Gauss rules smear the bulk, so eigenvalues near the threshold are counted in part.
  /// Local.
  [[nodiscard]] std::pair<double, double> log_determinant_above(double threshold) const;
};

/// Runs `probes` Lanczos processes of min(lanczos_steps, n) steps with full reorthogonalisation
/// (classical Gram-Schmidt twice against the whole basis), each started at v = z / sqrt(n) with z
/// Rademacher column j of CounterRng(seed, "slq") (entry i from bits(j * n + i), see
/// fill_rademacher), and turns each tridiagonal into its Gauss rule. A process stops early when
/// beta_j <= 1e-12 max_i ||A v_i|| (invariant Krylov space). Cost: <= probes * lanczos_steps
/// products and probes * lanczos_steps vectors of A's layout at a time (one probe's basis).
/// Requires probes >= 1 and lanczos_steps >= 1 (core::Error otherwise). Collective on A's
/// communicator.
SpectralDensity slq(Mat A, index probes, index lanczos_steps, std::uint64_t seed);

}  // namespace hesscov::spectral
