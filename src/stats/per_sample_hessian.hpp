#pragma once
// Eigendecompositions of per-sample Hessians H_n = d^2 l_n restricted to a parameter block, and
// the per-sample spectral statistics of SCIENCE.md Study 1 (leading eigenvalue, its share of the
// trace, alignment with the global Hessian eigenvectors, magnitude-alignment correlation).
// Everything here is local (no communication) and host-side.
#include <cstdint>
#include <vector>

#include "backend/types.hpp"
#include "nn/model.hpp"

namespace hesscov::stats {

/// Per-sample eigenpairs of one batch. Host memory owned by the struct.
struct PerSampleEigen {
  index samples = 0;  ///< number of samples n
  index dim = 0;      ///< block size (subset.size())
  index rank = 0;     ///< stored eigenpairs per sample (dense: dim; lowrank: probe count r)
  /// values[n * rank + j]: eigenvalue j of H_n, descending (largest algebraic first). Lowrank:
  /// eigenvalues beyond the numerical rank of H_n are stored as 0.
  std::vector<double> values;
  /// vectors[(n * rank + j) * dim + i]: component i of the unit eigenvector j of H_n, i.e. per
  /// sample a column-major dim x rank matrix whose columns are orthonormal.
  std::vector<double> vectors;
  /// traces[n] = tr H_n = sum of the sample's eigenvalues (exact for lowrank once verified).
  std::vector<double> traces;
};

enum class PerSampleMethod {
  dense,    ///< assemble each H_n from dim unit-vector products; any block, dim^2 memory per sample
  lowrank,  ///< r random probes; exact when rank H_n <= r (see per_sample_eigen), verified
};

struct PerSampleOptions {
  PerSampleMethod method = PerSampleMethod::dense;
  /// lowrank: number of probe directions r (clamped to dim); 0 means out_features + 2, enough for
  /// the GGN (rank <= classes) and for one weight tensor of a piecewise-linear network.
  index rank = 0;
  std::uint64_t seed = 0;     ///< lowrank: counter streams of the probes and the check direction
  double tolerance = 1e-8;    ///< lowrank: largest accepted relative reconstruction error
};

/// Eigendecomposition of H_n (curvature = hessian) or G_n (gauss_newton) restricted to `subset`,
/// for every sample n of `batch` (batch.samples <= ws.capacity()).
/// dense: dim engine calls with unit vectors, symmetrise, LAPACK dsyevd; rank = dim.
/// lowrank: r + 1 engine calls; throws core::Error when the reconstruction misses the engine's
/// H_n z by more than `tolerance` for a fresh random z (rank H_n > r, or a block that is not one
/// tensor of a piecewise-linear network under the Hessian).
/// Requires a host backend (throws core::Error otherwise): params and batch are host pointers.
/// Local; deterministic in options.seed.
[[nodiscard]] PerSampleEigen per_sample_eigen(const nn::Model& model, nn::Workspace& ws,
                                              const double* params, const nn::Batch& batch,
                                              const nn::ParamSubset& subset,
                                              nn::Curvature curvature,
                                              const PerSampleOptions& options);

/// The samples of several decompositions in order (all of equal dim and rank, else
/// core::DimensionMismatch): the full set a suppression experiment needs.
[[nodiscard]] PerSampleEigen concatenate(const std::vector<PerSampleEigen>& parts);

/// Per-sample spectral statistics against k global unit eigenvectors. Host memory, owned.
struct PerSampleSpectra {
  index samples = 0, k = 0;
  std::vector<double> leading;        ///< [samples] lambda_n^1, largest algebraic eigenvalue
  /// [samples] lambda_n^1 / tr H_n; NaN when tr H_n = 0; may exceed 1 for indefinite H_n.
  std::vector<double> leading_share;
  std::vector<double> alignment;      ///< [samples x k] row-major: (u_n^1 . v_i)^2
  std::vector<double> total_alignment;  ///< [samples] sum_i alignment(n, i)
  /// [k] Pearson correlation across samples of lambda_n^1 with alignment(., i); NaN when either
  /// has zero variance. Independence gives gamma ~ 1, positive correlation gamma > 1.
  std::vector<double> alignment_correlation;
  double total_alignment_correlation = 0.0;  ///< Pearson of lambda_n^1 with total_alignment
};

/// `global_vectors`: host, column-major dim x k (vector i at global_vectors + i * dim), unit
/// vectors such as the top-k Hessian eigenvectors. Local.
[[nodiscard]] PerSampleSpectra per_sample_spectra(const PerSampleEigen& eig,
                                                  const double* global_vectors, index k);

}  // namespace hesscov::stats
