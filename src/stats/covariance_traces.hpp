#pragma once
// tr C and tr(C^2) of the noise covariance C = (1/N) sum_n g_n g_n^T - g g^T over a parameter
// subset: the participation ratio k_eff = (tr C)^2 / tr(C^2) that sets the analytic null of the
// off-diagonal correlations (SCIENCE.md, Study 1).
#include <cstdint>
#include <string>

#include "nn/dataset_evaluator.hpp"
#include "nn/param_layout.hpp"

namespace hesscov::stats {

struct CovarianceTraces {
  double trace = 0.0;              ///< tr C, exact: mean ||g_n||^2 - ||g||^2
  double trace_squared = 0.0;      ///< tr(C^2)
  double trace_squared_error = 0.0;  ///< standard error of tr(C^2) (0 when exact)
  std::string method;              ///< "dense" (exact) or "hutchinson" (unbiased estimate)
  index probes = 0;                ///< products used by the estimate
  [[nodiscard]] double participation_ratio() const { return trace * trace / trace_squared; }
};

struct TraceOptions {
  bool centered = true;
  /// Form C densely (P x P, summed over ranks) when the subset has at most this many coordinates:
  /// tr(C^2) = ||C||_F^2 exactly. Above it, Hutchinson's estimate on C^2.
  index dense_limit = 4096;
  index probes = 100;        ///< Rademacher probes of the estimate: tr(C^2) = E ||C z||^2
  std::uint64_t seed = 0;    ///< of the probes (stream "align/trace_probes")
};

/// Collective over the evaluator's communicator.
CovarianceTraces covariance_traces(nn::DatasetEvaluator& evaluator, const nn::ParamSubset& subset,
                                   const TraceOptions& options);

}  // namespace hesscov::stats
