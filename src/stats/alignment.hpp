#pragma once
// Study 1 at one checkpoint (SCIENCE.md): the noise covariance C in the eigenbasis V of the
// Hessian, its correlations against a Haar-random baseline and the analytic null, the power law
// between diag(C_V) and the eigenvalues, the AWD second moment of per-sample Hessians, and the
// cosine similarity of H and C. Collective over the evaluator's communicator.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nn/dataset_evaluator.hpp"
#include "stats/alignment_stats.hpp"
#include "stats/covariance_traces.hpp"
#include "stats/frame.hpp"
#include "stats/per_sample_hessian.hpp"
#include "stats/projection.hpp"

namespace hesscov::stats {

struct AlignmentOptions {
  bool centered = true;          ///< C = (1/N) sum g g^T - g g^T (false: the uncentered second moment)
  double scale = 1.0;            ///< minibatch factor c_S applied to C (and C_V)
  index chunk_columns = 64;      ///< frame columns gathered at a time
  index baseline_draws = 1;      ///< Haar-random frames through the same pipeline
  std::uint64_t seed = 0;        ///< of the random frames and probes
  index fit_skip = 0;            ///< power-law fit over eigenpairs [fit_skip, fit_skip + fit_count)
  index fit_count = -1;          ///< -1: to the end
  std::vector<index> band_edges;  ///< interior row-band edges of the arrowhead profile (clipped to k)
  bool awd = true;               ///< the AWD matrix (needs per-sample Hessians of bounded rank)
  PerSampleOptions awd_per_sample{PerSampleMethod::lowrank};
  TraceOptions traces;
  index cosine_probes = 0;       ///< Rademacher probes of tr(HC), tr(H^2) (0: skip the cosine)
};

/// A covariance-like k x k matrix in a frame, with its correlation statistics.
struct FrameCovariance {
  std::vector<double> matrix;       ///< row-major k x k
  std::vector<double> correlation;  ///< rho
  double mean_offdiagonal = 0.0;    ///< m = mean_{i != j} |rho_ij|
  std::vector<BandStat> bands;      ///< mean |matrix_ij| by row band
  std::vector<BandStat> correlation_bands;  ///< mean |rho_ij| by row band
  NullTest null;                    ///< m against the analytic null of a random frame
};

struct CosineSimilarity {
  double value = 0.0;        ///< tr(HC) / sqrt(tr(H^2) tr(C^2))
  double trace_hc = 0.0, trace_h2 = 0.0, trace_c2 = 0.0;  ///< the probe estimates
  index probes = 0;
  double standard_error = 0.0;  ///< delete-one jackknife over the probes (NaN with one probe)
};

/// tr(HC)/sqrt(tr(H^2) tr(C^2)) of the Hessian and the (centered or not, times `scale`) noise
/// covariance on `subset`, each trace by the same `probes` Rademacher probes z (stream
/// "align/cosine_probes" of `seed`): z^T H C z = (Hz).(Cz). One H product and one C product per
/// probe. Collective over the evaluator's communicator.
CosineSimilarity cosine_similarity(nn::DatasetEvaluator& evaluator, const nn::ParamSubset& subset, index probes,
                                   std::uint64_t seed, bool centered, double scale);

struct AlignmentResult {
  index k = 0;
  std::vector<double> lambda;            ///< the frame's Hessian eigenvalues, descending
  FrameCovariance hessian;               ///< C_V (centered or not per the options, scaled)
  std::vector<double> uncentered;        ///< (1/N) sum p p^T, scaled
  std::vector<double> mean_projection;   ///< p-bar = V^T g
  std::vector<FrameCovariance> baselines;  ///< one per Haar draw
  std::vector<std::uint64_t> baseline_draws;
  SeedSummary baseline_m;                ///< m_rand over the draws
  CovarianceTraces traces;               ///< tr C, tr(C^2) of the full (subset) covariance, scaled
  double k_eff = 0.0;
  PowerLawFit fit;                       ///< log C_V,ii against log lambda_i
  double commutator = 0.0;               ///< ||[C_V, diag lambda]||_F / ||C_V||_F
  bool has_awd = false;
  FrameCovariance awd;                   ///< (1/N) sum_n V^T H_n^2 V
  PowerLawFit awd_fit;                   ///< log C_AWD,ii against log lambda_i
  CosineSimilarity cosine;
};

using AlignmentProgress = std::function<void(const std::string&)>;

/// `eigenvectors`: the top-k Hessian eigenvectors (columns, descending `lambda`), distributed.
AlignmentResult analyse_alignment(nn::DatasetEvaluator& evaluator, const nn::ParamSubset& subset,
                                  const Frame& eigenvectors, const std::vector<double>& lambda,
                                  const AlignmentOptions& options, const AlignmentProgress& progress = {});

/// The rows diag(mu_n) U_n^T of every sample's Hessian eigendecomposition restricted to `subset`
/// (per_sample_eigen): their projected second moment is (1/N) sum_n V^T H_n^2 V, the AWD matrix.
SampleRows awd_rows(const nn::Model& model, const nn::ParamSubset& subset, const PerSampleOptions& options);

}  // namespace hesscov::stats
