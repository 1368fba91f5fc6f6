#include "stats/covariance_traces.hpp"

#include <cblas.h>

#include <cmath>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace hesscov::stats {
namespace {

/// Sums over this rank's samples of ||g_n||^2, g_n and, when `outer` is not empty, g_n g_n^T
/// (upper triangle, column-major P x P).
struct GradientSums {
  double squared_norms = 0.0;
  std::vector<double> sum, outer;
};

GradientSums local_gradient_sums(nn::DatasetEvaluator& evaluator, const nn::ParamSubset& subset, bool outer) {
  const index p = subset.size();
  GradientSums sums{0.0, std::vector<double>(static_cast<size_t>(p), 0.0), {}};
  if (outer) sums.outer.assign(static_cast<size_t>(p * p), 0.0);
  std::vector<double> rows;
  evaluator.for_each_local_batch([&](index, const nn::Batch& batch, nn::Workspace& workspace, const double* params) {
    rows.resize(static_cast<size_t>(batch.samples * p));
    evaluator.model().per_sample_gradients(workspace, params, batch, subset, rows.data());
    for (index n = 0; n < batch.samples; ++n) {
      const double* g = rows.data() + n * p;
      sums.squared_norms += cblas_ddot(static_cast<int>(p), g, 1, g, 1);
      cblas_daxpy(static_cast<int>(p), 1.0, g, 1, sums.sum.data(), 1);
    }
    if (outer)  // row-major [samples x P] is column-major [P x samples]
      cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, static_cast<int>(p), static_cast<int>(batch.samples), 1.0,
                  rows.data(), static_cast<int>(p), 1.0, sums.outer.data(), static_cast<int>(p));
  });
  return sums;
}

/// ||C||_F^2 from the reduced sums: C = outer/N - (centered ? m m^T : 0), m = sum/N.
double dense_trace_squared(const GradientSums& sums, index p, double n, bool centered) {
  double total = 0.0;
  for (index j = 0; j < p; ++j)
    for (index i = 0; i <= j; ++i) {
      const double mean_term =
          centered ? sums.sum[static_cast<size_t>(i)] * sums.sum[static_cast<size_t>(j)] / (n * n) : 0.0;
      const double c = sums.outer[static_cast<size_t>(j * p + i)] / n - mean_term;
      total += (i == j ? 1.0 : 2.0) * c * c;
    }
  return total;
}

/// tr(C^2) = E ||C z||^2 for Rademacher z: one covariance product per probe.
void hutchinson_trace_squared(nn::DatasetEvaluator& evaluator, const nn::ParamSubset& subset,
                              const TraceOptions& options, CovarianceTraces& traces) {
  HC_CHECK(options.probes >= 2, core::Error, "the tr(C^2) estimate needs at least 2 probes");
  const core::CounterRng rng(options.seed, "align/trace_probes");
  const index p = subset.size();
  double sum = 0.0, sum_squares = 0.0;
  std::vector<double> z(static_cast<size_t>(p));
  for (index probe = 0; probe < options.probes; ++probe) {
    for (index i = 0; i < p; ++i)
      z[static_cast<size_t>(i)] = rng.bits(static_cast<std::uint64_t>(probe * p + i)) & 1U ? 1.0 : -1.0;
    const auto cz = evaluator.covariance_product(subset, z, options.centered);
    const double value = cblas_ddot(static_cast<int>(p), cz.data(), 1, cz.data(), 1);
    sum += value;
    sum_squares += value * value;
  }
  const double count = static_cast<double>(options.probes), mean = sum / count;
  traces.trace_squared = mean;
  traces.trace_squared_error = std::sqrt(std::max(0.0, (sum_squares - count * mean * mean) / (count - 1.0)) / count);
  traces.method = "hutchinson";
  traces.probes = options.probes;
}

}  // namespace

CovarianceTraces covariance_traces(nn::DatasetEvaluator& evaluator, const nn::ParamSubset& subset,
                                   const TraceOptions& options) {
  const index p = subset.size();
  const bool dense = p <= options.dense_limit;
  auto sums = local_gradient_sums(evaluator, subset, dense);
  const auto& comm = evaluator.communicator();
  sums.squared_norms = comm.allreduce_sum(sums.squared_norms);
  comm.allreduce_sum(sums.sum.data(), p);
  const double n = static_cast<double>(evaluator.global_count());
  CovarianceTraces traces;
  const double mean_norm = cblas_ddot(static_cast<int>(p), sums.sum.data(), 1, sums.sum.data(), 1) / (n * n);
  traces.trace = sums.squared_norms / n - (options.centered ? mean_norm : 0.0);
  if (dense) {
    comm.allreduce_sum(sums.outer.data(), p * p);
    traces.trace_squared = dense_trace_squared(sums, p, n, options.centered);
    traces.method = "dense";
  } else {
    hutchinson_trace_squared(evaluator, subset, options, traces);
  }
  return traces;
}

}  // namespace hesscov::stats
