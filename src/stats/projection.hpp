#pragma once
// Second moments of per-sample quantities in a frame's coordinates, streamed over the training set:
// for every sample n a few rows x_{n,r} in R^P (its gradient g_n; the rows diag(mu) U^T of its
// Hessian's eigendecomposition), reduced to (1/N) sum_{n,r} (F^T x_{n,r})(F^T x_{n,r})^T and
// (1/N) sum_{n,r} F^T x_{n,r}. Per-sample rows live one batch at a time; the frame is gathered a
// chunk of columns at a time, so neither all per-sample gradients nor all of F sit on one rank.
#include <functional>
#include <vector>

#include "nn/dataset_evaluator.hpp"
#include "nn/param_layout.hpp"
#include "stats/frame.hpp"

namespace hesscov::stats {

/// Writes this batch's rows, row-major [rows x P] into `rows` (resized by the callee), and
/// returns how many rows it wrote. Local (no communication).
using SampleRows =
    std::function<index(const nn::Batch& batch, nn::Workspace& workspace, const double* params, std::vector<double>& rows)>;

/// The rows g_n (one per sample), restricted to `subset`. Needs a host (CPU) backend.
SampleRows gradient_rows(const nn::Model& model, const nn::ParamSubset& subset);

struct ProjectedMoments {
  index k = 0;
  std::vector<double> second;  ///< (1/N) sum (F^T x)(F^T x)^T, row-major k x k, symmetric
  std::vector<double> mean;    ///< (1/N) sum F^T x, k entries
};

/// One pass over the training set of `evaluator` (collective over its communicator): the moments
/// of every source in `sources`, F gathered `chunk_columns` columns at a time. N is the global
/// sample count. `progress(batches_done, batches_total)` is called on every rank after each batch.
std::vector<ProjectedMoments> project_moments(nn::DatasetEvaluator& evaluator, const Frame& frame,
                                              const std::vector<SampleRows>& sources, index chunk_columns,
                                              const std::function<void(index, index)>& progress = {});

/// C_V = second - mean mean^T (centered) or second (uncentered), times `scale` (minibatch factor).
std::vector<double> covariance_of(const ProjectedMoments& moments, bool centered, double scale);

}  // namespace hesscov::stats
