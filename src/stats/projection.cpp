#include "stats/projection.hpp"

#include <cblas.h>
#include <mpi.h>

#include <algorithm>

#include "core/error.hpp"

namespace hesscov::stats {
namespace {

/// Accumulates the Gram matrix (upper triangle, column-major k x k) and column sums of the
/// projections of one source.
struct Accumulator {
  std::vector<double> gram, sum;
  explicit Accumulator(index k) : gram(static_cast<size_t>(k * k), 0.0), sum(static_cast<size_t>(k), 0.0) {}
};

/// projections[:, first:first+count] = rows * columns for one gathered chunk: rows row-major
/// [m x P], columns column-major [P x count], projections row-major [m x k].
void project_chunk(const std::vector<double>& rows, index m, index dimension, const std::vector<double>& columns,
                   index first, index count, index k, std::vector<double>& projections) {
  if (m == 0 || count == 0) return;
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m), static_cast<int>(count),
              static_cast<int>(dimension), 1.0, rows.data(), static_cast<int>(dimension), columns.data(),
              static_cast<int>(dimension), 0.0, projections.data() + first, static_cast<int>(k));
}

void accumulate(const std::vector<double>& projections, index m, index k, Accumulator& into) {
  if (m == 0) return;
  // Row-major [m x k] is column-major [k x m]: gram += P^T P is a "no transpose" rank-m update.
  cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, static_cast<int>(k), static_cast<int>(m), 1.0,
              projections.data(), static_cast<int>(k), 1.0, into.gram.data(), static_cast<int>(k));
  for (index r = 0; r < m; ++r)
    for (index j = 0; j < k; ++j) into.sum[static_cast<size_t>(j)] += projections[static_cast<size_t>(r * k + j)];
}

ProjectedMoments finish(Accumulator& acc, index k, const comm::Communicator& comm, index samples) {
  comm.allreduce_sum(acc.gram.data(), k * k);
  comm.allreduce_sum(acc.sum.data(), k);
  ProjectedMoments moments{k, std::vector<double>(static_cast<size_t>(k * k)), std::vector<double>(static_cast<size_t>(k))};
  const double scale = 1.0 / static_cast<double>(samples);
  for (index i = 0; i < k; ++i) {
    moments.mean[static_cast<size_t>(i)] = acc.sum[static_cast<size_t>(i)] * scale;
    for (index j = 0; j < k; ++j) {
      const index upper = std::min(i, j) + std::max(i, j) * k;  // column-major upper triangle
      moments.second[static_cast<size_t>(i * k + j)] = acc.gram[static_cast<size_t>(upper)] * scale;
    }
  }
  return moments;
}

/// The largest number of local batches over the ranks: every rank gathers frame chunks that many
/// times, so the collectives match even when shards differ in size.
index global_batch_count(const nn::DatasetEvaluator& evaluator) {
  const long long local = (evaluator.local_count() + evaluator.batch_size() - 1) / evaluator.batch_size();
  long long most = 0;
  HC_MPI(MPI_Allreduce(&local, &most, 1, MPI_LONG_LONG, MPI_MAX, evaluator.communicator().get()));
  return most;
}

}  // namespace

SampleRows gradient_rows(const nn::Model& model, const nn::ParamSubset& subset) {
  HC_CHECK(!model.backend().is_device(), core::Error,
           "per-sample projections run on the CPU backend (this model is on " + model.backend().name() + ")");
  return [&model, subset](const nn::Batch& batch, nn::Workspace& workspace, const double* params,
                          std::vector<double>& rows) {
    rows.resize(static_cast<size_t>(batch.samples * subset.size()));
    model.per_sample_gradients(workspace, params, batch, subset, rows.data());
    return batch.samples;
  };
}

std::vector<ProjectedMoments> project_moments(nn::DatasetEvaluator& evaluator, const Frame& frame,
                                              const std::vector<SampleRows>& sources, index chunk_columns,
                                              const std::function<void(index, index)>& progress) {
  HC_CHECK(chunk_columns > 0, core::DimensionMismatch, "frame chunks need at least one column");
  const auto& comm = evaluator.communicator();
  const index k = frame.columns, dimension = frame.rows;
  std::vector<Accumulator> accumulators(sources.size(), Accumulator(k));
  std::vector<std::vector<double>> rows(sources.size()), projections(sources.size());
  std::vector<index> row_counts(sources.size(), 0);
  const index total = global_batch_count(evaluator);
  index done = 0;
  // Every rank runs `total` rounds; a rank out of samples contributes no rows but still gathers.
  auto round = [&] {
    for (index c = 0; c < k; c += chunk_columns) {
      const index count = std::min(chunk_columns, k - c);
      const auto columns = gather_columns(comm, frame, c, count);
      for (size_t s = 0; s < sources.size(); ++s)
        project_chunk(rows[s], row_counts[s], dimension, columns, c, count, k, projections[s]);
    }
    for (size_t s = 0; s < sources.size(); ++s) accumulate(projections[s], row_counts[s], k, accumulators[s]);
    ++done;  // counts rounds whether or not anyone listens: the padding loop below relies on it
    if (progress) progress(done, total);
  };
  evaluator.for_each_local_batch([&](index, const nn::Batch& batch, nn::Workspace& workspace, const double* params) {
    for (size_t s = 0; s < sources.size(); ++s) {
      row_counts[s] = sources[s](batch, workspace, params, rows[s]);
      HC_CHECK(static_cast<index>(rows[s].size()) >= row_counts[s] * dimension, core::DimensionMismatch,
               "a per-sample source wrote rows of the wrong length (frame dimension " + std::to_string(dimension) + ")");
      projections[s].assign(static_cast<size_t>(row_counts[s] * k), 0.0);
    }
    round();
  });
  std::fill(row_counts.begin(), row_counts.end(), 0);
  while (done < total) round();
  std::vector<ProjectedMoments> moments;
  for (auto& accumulator : accumulators) moments.push_back(finish(accumulator, k, comm, evaluator.global_count()));
  return moments;
}

std::vector<double> covariance_of(const ProjectedMoments& moments, bool centered, double scale) {
  const index k = moments.k;
  std::vector<double> c(moments.second.size());
  for (index i = 0; i < k; ++i)
    for (index j = 0; j < k; ++j) {
      const auto at = static_cast<size_t>(i * k + j);
      const double mean_term = centered ? moments.mean[static_cast<size_t>(i)] * moments.mean[static_cast<size_t>(j)] : 0.0;
      c[at] = scale * (moments.second[at] - mean_term);
    }
  return c;
}

}  // namespace hesscov::stats
