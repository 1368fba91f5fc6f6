#pragma once
// The suppression experiment of SCIENCE.md Study 1: modify the per-sample Hessian spectra (stiff
// samples keep a common leading eigenvalue, everything else is scaled down), rebuild the mean
// Hessian H = (1/N) sum_n H_n and the AWD second moment C_AWD = (1/N) sum_n H_n^2, and compare
// spectra and diag(V^T C_AWD V) with the unmodified ones. Fitting gamma is the caller's job.
#include <cstdint>
#include <vector>

#include "backend/types.hpp"
#include "stats/per_sample_hessian.hpp"

namespace hesscov::stats {

struct SuppressionOptions {
  /// tau in [0, 1]: sample n is stiff iff lambda_n^1 >= tau * max_n lambda_n^1.
  double threshold = 0.05;
  double stiff_tail_factor = 0.1;    ///< >= 0: multiplies eigenvalues 2.. of stiff samples
  double soft_leading_factor = 0.1;  ///< >= 0: multiplies lambda_n^1 of the other samples
  double soft_tail_factor = 0.1;     ///< >= 0: multiplies eigenvalues 2.. of the other samples
  /// Replace lambda_n^1 of every stiff sample by the stiff group's mean of lambda_n^1.
  bool replace_stiff_leading = true;
};

/// A mean matrix rebuilt from per-sample eigenpairs. Host memory, owned.
struct RebuiltSpectrum {
  std::vector<double> eigvals;       ///< [dim] eigenvalues of H, descending
  std::vector<double> eigvecs;       ///< [dim x dim] column-major: column i pairs with eigvals[i]
  std::vector<double> awd_diagonal;  ///< [dim] v_i^T C_AWD v_i, v_i = column i of eigvecs
};

struct SuppressionResult {
  index dim = 0, samples = 0;
  index stiff_samples = 0;          ///< number of stiff samples
  double threshold = 0.0;           ///< absolute threshold used: tau * max_n lambda_n^1
  double stiff_leading_mean = 0.0;  ///< mean of lambda_n^1 over the stiff samples
  std::vector<std::uint8_t> stiff;  ///< [samples] 1 for a stiff sample
  RebuiltSpectrum original;         ///< from the unmodified H_n
  RebuiltSpectrum suppressed;       ///< from the modified H_n'
};

/// Runs the experiment on `eig`, which must hold the full set of samples of the reconstruction
/// (concatenate the batches first; per_sample_eigen's layout). Local: it performs no
/// communication, so under MPI the caller gathers every sample's decomposition onto the process
/// that calls it. Dense over the block: O(dim^2) memory and O(samples * rank * dim^2 + dim^3) work.
/// Throws core::Error naming the option for a factor < 0 or tau outside [0, 1], and when no
/// sample has a positive leading eigenvalue.
[[nodiscard]] SuppressionResult suppression_experiment(const PerSampleEigen& eig,
                                                       const SuppressionOptions& options);

}  // namespace hesscov::stats
