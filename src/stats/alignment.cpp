#include "stats/alignment.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace hesscov::stats {
namespace {

/// {0, interior edges below k..., k}: the arrowhead's row bands for this k.
std::vector<index> band_edges_for(const std::vector<index>& interior, index k) {
  std::vector<index> edges{0};
  for (const index edge : interior)
    if (edge > edges.back() && edge < k) edges.push_back(edge);
  edges.push_back(k);
  return edges;
}

FrameCovariance describe(std::vector<double> matrix, index k, double k_eff, const std::vector<index>& edges) {
  FrameCovariance result;
  result.matrix = std::move(matrix);
  result.correlation = correlation_matrix(result.matrix, k);
  result.mean_offdiagonal = mean_offdiagonal_abs(result.correlation, k);
  result.bands = band_offdiagonal_means(result.matrix, k, edges);
  result.correlation_bands = band_offdiagonal_means(result.correlation, k, edges);
  if (k_eff > 0.0) result.null = analytic_null(result.mean_offdiagonal, k, k_eff);
  return result;
}

void report(const AlignmentProgress& progress, const std::string& line) {
  if (progress) progress(line);
}

/// A projection pass with progress every tenth of the batches.
std::vector<ProjectedMoments> project(nn::DatasetEvaluator& evaluator, const Frame& frame,
                                      const std::vector<SampleRows>& sources, const AlignmentOptions& options,
                                      const AlignmentProgress& progress, const std::string& what) {
  return project_moments(evaluator, frame, sources, options.chunk_columns, [&](index done, index total) {
    if (done == total || (total >= 10 && done % (total / 10) == 0))
      report(progress, what + ": batch " + std::to_string(done) + "/" + std::to_string(total));
  });
}

}  // namespace

CosineSimilarity cosine_similarity(nn::DatasetEvaluator& evaluator, const nn::ParamSubset& subset, index probes,
                                   std::uint64_t seed, bool centered, double scale) {
  HC_CHECK(probes >= 1, core::Error, "the cosine similarity needs at least one probe");
  CosineSimilarity cosine;
  cosine.probes = probes;
  const core::CounterRng rng(seed, "align/cosine_probes");
  const index p = subset.size();
  std::vector<double> z(static_cast<size_t>(p)), hc, h2, c2;  // per-probe estimates
  for (index probe = 0; probe < probes; ++probe) {
    for (index i = 0; i < p; ++i) z[static_cast<size_t>(i)] = rng.bits(static_cast<std::uint64_t>(probe * p + i)) & 1U ? 1.0 : -1.0;
    const auto hz = evaluator.curvature_product(subset, nn::Curvature::hessian, z);
    auto cz = evaluator.covariance_product(subset, z, centered);
    for (auto& value : cz) value *= scale;
    const int n = static_cast<int>(p);
    hc.push_back(cblas_ddot(n, hz.data(), 1, cz.data(), 1));  // z^T H C z = (Hz).(Cz), H and C symmetric
    h2.push_back(cblas_ddot(n, hz.data(), 1, hz.data(), 1));
    c2.push_back(cblas_ddot(n, cz.data(), 1, cz.data(), 1));
  }
  auto mean_without = [&](const std::vector<double>& x, index skip) {
    double sum = 0.0;
    for (index j = 0; j < probes; ++j)
      if (j != skip) sum += x[static_cast<size_t>(j)];
    return sum / static_cast<double>(skip < 0 ? probes : probes - 1);
  };
  auto ratio = [&](index skip) {
    return mean_without(hc, skip) / std::sqrt(mean_without(h2, skip) * mean_without(c2, skip));
  };
  cosine.trace_hc = mean_without(hc, -1);
  cosine.trace_h2 = mean_without(h2, -1);
  cosine.trace_c2 = mean_without(c2, -1);
  cosine.value = ratio(-1);
  cosine.standard_error = std::nan("");
  if (probes >= 2) {  // delete-one jackknife over the probes: the ratio of means is biased, its spread is not
    std::vector<double> leave(static_cast<size_t>(probes));
    double mean = 0.0;
    for (index j = 0; j < probes; ++j) mean += (leave[static_cast<size_t>(j)] = ratio(j)) / static_cast<double>(probes);
    double sum = 0.0;
    for (const double value : leave) sum += (value - mean) * (value - mean);
    cosine.standard_error = std::sqrt(static_cast<double>(probes - 1) / static_cast<double>(probes) * sum);
  }
  return cosine;
}

SampleRows awd_rows(const nn::Model& model, const nn::ParamSubset& subset, const PerSampleOptions& options) {
  return [&model, subset, options](const nn::Batch& batch, nn::Workspace& workspace, const double* params,
                                   std::vector<double>& rows) {
    auto eig = per_sample_eigen(model, workspace, params, batch, subset, nn::Curvature::hessian, options);
    // vectors hold u_nj as consecutive rows of length dim: scale each by mu_nj in place.
    for (index row = 0; row < eig.samples * eig.rank; ++row)
      cblas_dscal(static_cast<int>(eig.dim), eig.values[static_cast<size_t>(row)],
                  eig.vectors.data() + row * eig.dim, 1);
    rows = std::move(eig.vectors);
    return eig.samples * eig.rank;
  };
}

AlignmentResult analyse_alignment(nn::DatasetEvaluator& evaluator, const nn::ParamSubset& subset,
                                  const Frame& eigenvectors, const std::vector<double>& lambda,
                                  const AlignmentOptions& options, const AlignmentProgress& progress) {
  const index k = eigenvectors.columns;
  HC_CHECK(static_cast<index>(lambda.size()) == k && k >= 2, core::DimensionMismatch,
           "alignment needs k >= 2 eigenpairs with one eigenvalue per eigenvector (k = " + std::to_string(k) + ")");
  HC_CHECK(eigenvectors.rows == subset.size(), core::DimensionMismatch, "eigenvectors do not match the block");
  AlignmentResult result;
  result.k = k;
  result.lambda = lambda;
  const auto edges = band_edges_for(options.band_edges, k);

  TraceOptions trace_options = options.traces;
  trace_options.centered = options.centered;
  result.traces = covariance_traces(evaluator, subset, trace_options);
  result.traces.trace *= options.scale;
  result.traces.trace_squared *= options.scale * options.scale;
  result.traces.trace_squared_error *= options.scale * options.scale;
  result.k_eff = result.traces.participation_ratio();
  report(progress, "tr C = " + std::to_string(result.traces.trace) + ", k_eff = " + std::to_string(result.k_eff) +
                       " (" + result.traces.method + ")");

  std::vector<SampleRows> sources{gradient_rows(evaluator.model(), subset)};
  if (options.awd) sources.push_back(awd_rows(evaluator.model(), subset, options.awd_per_sample));
  const auto moments = project(evaluator, eigenvectors, sources, options, progress, "projection onto V");
  result.uncentered = covariance_of(moments[0], false, options.scale);
  result.mean_projection = moments[0].mean;
  result.hessian = describe(covariance_of(moments[0], options.centered, options.scale), k, result.k_eff, edges);
  result.fit = fit_power_law(lambda, diagonal(result.hessian.matrix, k), options.fit_skip, options.fit_count);
  result.commutator = relative_commutator_norm(result.hessian.matrix, lambda, k);
  if (options.awd) {
    result.has_awd = true;
    result.awd = describe(covariance_of(moments[1], false, 1.0), k, 0.0, edges);
    result.awd_fit = fit_power_law(lambda, diagonal(result.awd.matrix, k), options.fit_skip, options.fit_count);
  }

  std::vector<double> baseline_m;
  for (index draw = 0; draw < options.baseline_draws; ++draw) {
    const Frame random = haar_frame(evaluator.communicator(), eigenvectors.rows, k, options.seed,
                                    static_cast<std::uint64_t>(draw));
    const auto baseline = project(evaluator, random, {sources[0]}, options, progress,
                                  "Haar baseline " + std::to_string(draw + 1));
    result.baselines.push_back(describe(covariance_of(baseline[0], options.centered, options.scale), k, result.k_eff, edges));
    result.baseline_draws.push_back(static_cast<std::uint64_t>(draw));
    baseline_m.push_back(result.baselines.back().mean_offdiagonal);
  }
  if (!baseline_m.empty()) result.baseline_m = summarize(baseline_m);
  if (options.cosine_probes > 0)
    result.cosine = cosine_similarity(evaluator, subset, options.cosine_probes, options.seed, options.centered, options.scale);
  return result;
}

}  // namespace hesscov::stats
