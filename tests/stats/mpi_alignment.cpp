// The streaming Study 1 statistics (SCIENCE.md "Study 1", "Shared objects") at 1, 2 and 3 ranks:
// frame projections of per-sample gradients and per-sample Hessians, the Haar-random frame, the
// traces of the noise covariance and the whole analyse_alignment pipeline. Every test compares
// against a dense reference that every rank computes from the whole data set with plain loops
// (per-sample gradients one sample at a time, C as a P x P matrix, V^T C V by triple loops), so
// agreement at every rank count also means the results do not depend on the rank count.
//
// The data sets are sharded unevenly and swept in batches of 3, which divides neither the shards
// nor N, and frames of 7 columns are gathered 3 at a time: the ragged last batch, ranks with fewer
// batches (or none) than others, and a short last chunk are all on the path.
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <numbers>
#include <string>

#include "backend/backend.hpp"
#include "comm/communicator.hpp"
#include "core/rng.hpp"
#include "nn/dataset_evaluator.hpp"
#include "spectral/eigen_solver.hpp"
#include "stats/alignment.hpp"
#include "stats/covariance_traces.hpp"
#include "stats/frame.hpp"
#include "stats/projection.hpp"
#include "support/reference.hpp"

namespace hesscov::testing {
namespace {

size_t at(index i) { return static_cast<size_t>(i); }

/// Dense matrices of the references: row-major k x k (C_V) and P x P (C); frames column-major
/// P x k (column j at j * P), like gather_columns returns them.
using Matrix = std::vector<double>;

// ---- the problem -------------------------------------------------------------------------------

/// A bias-free ReLU MLP 7-6-5-4 with cross-entropy on `samples` synthetic samples, sharded over
/// `comm` by comm::block_partition, with the whole data set kept for the references (`host`).
/// Built in place and never moved: the evaluator and `host` point into it.
struct Problem {
  std::unique_ptr<nn::Model> model;
  SyntheticData data;
  Vector params;
  std::unique_ptr<nn::DatasetEvaluator> evaluator;
  std::unique_ptr<HostProblem> host;

  Problem(const comm::Communicator& comm, index samples, index batch) {
    model = nn::make_mlp(backend::make_cpu_backend(), {{7, 6, 5, 4}, false, nn::ActivationKind::relu, "cross_entropy"});
    const index in = model->in_features(), classes = model->out_features();
    data = synthetic_data(samples, in, classes, "cross_entropy", 301);
    params = model->initial_parameters(302);
    const auto range = comm::block_partition(samples, comm.rank(), comm.size());
    evaluator = std::make_unique<nn::DatasetEvaluator>(
        *model, comm, Vector(data.inputs.begin() + range.begin * in, data.inputs.begin() + range.end * in),
        Vector(data.targets.begin() + range.begin * classes, data.targets.begin() + range.end * classes), batch);
    evaluator->set_parameters(params);
    host = std::make_unique<HostProblem>(*model, data);
  }
  Problem(const Problem&) = delete;
  Problem& operator=(const Problem&) = delete;

  [[nodiscard]] nn::ParamSubset block(const std::string& name) const {
    return nn::ParamSubset::of(model->layout(), {name});
  }
  [[nodiscard]] nn::ParamSubset all() const { return nn::ParamSubset::all(model->layout()); }
};

/// c_S = (N - S) / (S (N - 1)): the covariance factor of a minibatch of S drawn without replacement.
double minibatch_factor(index n, index s) {
  return static_cast<double>(n - s) / (static_cast<double>(s) * static_cast<double>(n - 1));
}

// ---- dense references --------------------------------------------------------------------------

/// g_n for every sample, each from the engine's gradient on a batch of that sample alone (not the
/// per-sample path the streaming code uses).
std::vector<Vector> sample_gradients(Problem& problem, const nn::ParamSubset& subset) {
  std::vector<Vector> gradients;
  for (index n = 0; n < problem.data.samples; ++n)
    gradients.push_back(problem.host->sample_gradient(problem.params, subset, n));
  return gradients;
}

Vector mean_of(const std::vector<Vector>& rows) {
  Vector mean(rows.front().size(), 0.0);
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) mean[i] += row[i] / static_cast<double>(rows.size());
  return mean;
}

/// C = (1/N) sum_n g_n g_n^T - (centered ? g g^T : 0), row-major P x P.
Matrix covariance(const std::vector<Vector>& gradients, bool centered) {
  const auto p = static_cast<index>(gradients.front().size());
  const double n = static_cast<double>(gradients.size());
  const Vector mean = mean_of(gradients);
  Matrix c(at(p * p), 0.0);
  for (const auto& g : gradients)
    for (index a = 0; a < p; ++a)
      for (index b = 0; b < p; ++b) c[at(a * p + b)] += g[at(a)] * g[at(b)] / n;
  if (centered)
    for (index a = 0; a < p; ++a)
      for (index b = 0; b < p; ++b) c[at(a * p + b)] -= mean[at(a)] * mean[at(b)];
  return c;
}

/// scale * F^T C F by loops: C row-major p x p, F column-major p x k; row-major k x k.
Matrix project(const Matrix& c, const Matrix& f, index p, index k, double scale) {
  Matrix out(at(k * k), 0.0);
  for (index i = 0; i < k; ++i)
    for (index j = 0; j < k; ++j) {
      double sum = 0.0;
      for (index a = 0; a < p; ++a)
        for (index b = 0; b < p; ++b) sum += f[at(i * p + a)] * c[at(a * p + b)] * f[at(j * p + b)];
      out[at(i * k + j)] = scale * sum;
    }
  return out;
}

/// F^T x for a column-major p x k frame.
Vector project(const Vector& x, const Matrix& f, index p, index k) {
  Vector out(at(k), 0.0);
  for (index j = 0; j < k; ++j)
    for (index a = 0; a < p; ++a) out[at(j)] += f[at(j * p + a)] * x[at(a)];
  return out;
}

/// The orthonormal factor Q of the thin QR of `a` (column-major rows x cols) with R's diagonal
/// positive, by modified Gram-Schmidt run twice (the second pass removes the first's round-off;
/// its R is ~I, so the diagonal stays positive): the unique such Q, whatever algorithm found it.
Matrix gram_schmidt(Matrix a, index rows, index cols) {
  for (int pass = 0; pass < 2; ++pass)
    for (index j = 0; j < cols; ++j) {
      double* column = a.data() + j * rows;
      for (index l = 0; l < j; ++l) {
        const double* previous = a.data() + l * rows;
        double projection = 0.0;
        for (index i = 0; i < rows; ++i) projection += previous[i] * column[i];
        for (index i = 0; i < rows; ++i) column[i] -= projection * previous[i];
      }
      double norm = 0.0;
      for (index i = 0; i < rows; ++i) norm += column[i] * column[i];
      norm = std::sqrt(norm);
      for (index i = 0; i < rows; ++i) column[i] /= norm;
    }
  return a;
}

/// A fixed orthonormal P x k frame, the same on every rank: Gram-Schmidt of Gaussian vectors.
Matrix fixed_frame(index p, index k, std::uint64_t seed) {
  Matrix a;
  for (index j = 0; j < k; ++j) {
    const Vector column = random_vector(p, seed + static_cast<std::uint64_t>(j));
    a.insert(a.end(), column.begin(), column.end());
  }
  return gram_schmidt(std::move(a), p, k);
}

/// This rank's rows (comm::block_partition of P) of a frame every rank holds whole.
stats::Frame distribute(const comm::Communicator& comm, const Matrix& dense, index p, index k) {
  const auto part = comm::block_partition(p, comm.rank(), comm.size());
  stats::Frame frame = stats::empty_frame(p, k, part.begin, part.size());
  for (index j = 0; j < k; ++j)
    for (index i = 0; i < frame.row_count; ++i)
      frame.local[at(j * frame.row_count + i)] = dense[at(j * p + frame.row_begin + i)];
  return frame;
}

double trace(const Matrix& c, index p) {
  double sum = 0.0;
  for (index a = 0; a < p; ++a) sum += c[at(a * p + a)];
  return sum;
}

/// tr(C^2) = sum_ab C_ab C_ba.
double trace_of_square(const Matrix& c, index p) {
  double sum = 0.0;
  for (index a = 0; a < p; ++a)
    for (index b = 0; b < p; ++b) sum += c[at(a * p + b)] * c[at(b * p + a)];
  return sum;
}

/// mean over i != j of |C_ij| / sqrt(C_ii C_jj).
double mean_abs_correlation(const Matrix& c, index k) {
  double sum = 0.0;
  for (index i = 0; i < k; ++i)
    for (index j = 0; j < k; ++j)
      if (i != j) sum += std::abs(c[at(i * k + j)]) / std::sqrt(c[at(i * k + i)] * c[at(j * k + j)]);
  return sum / static_cast<double>(k * (k - 1));
}

/// Least-squares slope of log y against log x over the pairs with x > 0 and y > 0.
double log_log_slope(const Vector& x, const Vector& y) {
  Vector lx, ly;
  for (size_t i = 0; i < x.size(); ++i)
    if (x[i] > 0.0 && y[i] > 0.0) {
      lx.push_back(std::log(x[i]));
      ly.push_back(std::log(y[i]));
    }
  const double n = static_cast<double>(lx.size());
  double mx = 0.0, my = 0.0;
  for (size_t i = 0; i < lx.size(); ++i) mx += lx[i] / n, my += ly[i] / n;
  double sxy = 0.0, sxx = 0.0;
  for (size_t i = 0; i < lx.size(); ++i) {
    sxy += (lx[i] - mx) * (ly[i] - my);
    sxx += (lx[i] - mx) * (lx[i] - mx);
  }
  return sxy / sxx;
}

Vector diagonal_of(const Matrix& c, index k) {
  Vector d(at(k));
  for (index i = 0; i < k; ++i) d[at(i)] = c[at(i * k + i)];
  return d;
}

/// (1/N) sum_n (H_n v_i) . (H_n v_j) for the columns v of a column-major p x k frame, with H_n v
/// from the engine's per-sample Hessian product on a batch of sample n alone: V^T (mean H_n^2) V.
Matrix awd_reference(Problem& problem, const nn::ParamSubset& subset, const Matrix& f, index k) {
  const index p = subset.size(), samples = problem.data.samples;
  Matrix out(at(k * k), 0.0);
  std::vector<Vector> hv(at(k), Vector(at(p)));
  for (index n = 0; n < samples; ++n) {
    for (index i = 0; i < k; ++i)
      problem.model->per_sample_curvature_products(problem.host->workspace(), problem.params.data(),
                                                   problem.host->batch(n, 1), subset, nn::Curvature::hessian,
                                                   f.data() + i * p, hv[at(i)].data());
    for (index i = 0; i < k; ++i)
      for (index j = 0; j < k; ++j) out[at(i * k + j)] += dot(hv[at(i)], hv[at(j)]) / static_cast<double>(samples);
  }
  return out;
}

/// The dense Hessian of the mean loss on `subset` (row-major, symmetrised), column j = H e_j.
Matrix dense_hessian(Problem& problem, const nn::ParamSubset& subset) {
  const index p = subset.size();
  Matrix h(at(p * p));
  Vector unit(at(p), 0.0);
  for (index j = 0; j < p; ++j) {
    unit[at(j)] = 1.0;
    const Vector column = problem.host->curvature(problem.params, subset, nn::Curvature::hessian, unit);
    unit[at(j)] = 0.0;
    for (index i = 0; i < p; ++i) h[at(i * p + j)] = column[at(i)];
  }
  for (index i = 0; i < p; ++i)
    for (index j = 0; j < i; ++j) h[at(i * p + j)] = h[at(j * p + i)] = 0.5 * (h[at(i * p + j)] + h[at(j * p + i)]);
  return h;
}

double max_abs_difference(const Matrix& a, const Matrix& b) {
  double worst = 0.0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
  return worst;
}

// ---- 1. C_V from the streaming projection ------------------------------------------------------

struct ShardCase {
  index samples, batch;
  index minibatch;  ///< S of the scale c_S applied to C_V
};

// The required test: V^T C V streamed from per-sample gradients a batch at a time, with V
// gathered a chunk of columns at a time, equals the projection of the explicit covariance.
TEST(ProjectMoments, GradientMomentsEqualTheProjectedExplicitCovariance) {
  const auto world = comm::Communicator::borrow(MPI_COMM_WORLD);
  // 37 samples: shards of 13/12/12 (3 ranks) or 19/18 (2 ranks) give 5/4/4 or 7/6 batches of 3,
  // so ranks run extra empty rounds. 2 samples on 3 ranks leave one shard empty.
  for (const ShardCase s : {ShardCase{37, 3, 3}, ShardCase{2, 5, 1}}) {
    Problem problem(world, s.samples, s.batch);
    for (const auto& subset : {problem.all(), problem.block("fc2.weight")}) {
      const index p = subset.size(), k = 7;
      const Matrix v = fixed_frame(p, k, 311);
      const stats::Frame frame = distribute(world, v, p, k);
      const auto gradients = sample_gradients(problem, subset);
      const double scale = minibatch_factor(s.samples, s.minibatch);
      for (const index chunk : {index{3}, index{64}}) {  // 3 + 3 + 1 columns, or all 7 at once
        index calls = 0, last_done = 0, last_total = 0;
        const auto moments = stats::project_moments(*problem.evaluator, frame,
                                                    {stats::gradient_rows(*problem.model, subset)}, chunk,
                                                    [&](index done, index total) {
                                                      ++calls;
                                                      last_done = done;
                                                      last_total = total;
                                                    });
        ASSERT_EQ(moments.size(), 1U);
        const std::string where = "N " + std::to_string(s.samples) + ", P " + std::to_string(p) + ", chunk " +
                                  std::to_string(chunk);
        EXPECT_LT(relative_error(moments[0].mean, project(mean_of(gradients), v, p, k)), 1e-12) << where;
        for (const bool centered : {true, false})
          EXPECT_LT(relative_error(stats::covariance_of(moments[0], centered, scale),
                                   project(covariance(gradients, centered), v, p, k, scale)),
                    1e-12)
              << where << (centered ? ", centered" : ", uncentered");
        // Every rank runs as many rounds as the largest shard (rank 0's) has batches.
        const index rounds = (comm::block_partition(s.samples, 0, world.size()).size() + s.batch - 1) / s.batch;
        EXPECT_EQ(calls, rounds) << where;
        EXPECT_EQ(last_done, rounds) << where;
        EXPECT_EQ(last_total, rounds) << where;
      }
    }
  }
}

// ---- 2. the Haar frame -------------------------------------------------------------------------

// Gaussian entries by global (row, column) counter, then QR: the frame must be orthonormal and the
// same matrix for any number of ranks. Two independent references: the serial recipe (the stream
// "align/haar/<draw>", counter j * P + i, Gram-Schmidt), and the same call on a 1-rank
// communicator split off in this run.
TEST(HaarFrame, IsOrthonormalAndTheSameMatrixOnAnyNumberOfRanks) {
  const auto world = comm::Communicator::borrow(MPI_COMM_WORLD);
  const auto alone = world.split(world.rank(), 0);
  const std::uint64_t seed = 321;
  for (const auto& [p, k] : {std::pair<index, index>{30, 7}, std::pair<index, index>{92, 5}}) {
    Matrix previous;
    for (const std::uint64_t draw : {std::uint64_t{0}, std::uint64_t{3}}) {
      const std::string where = "P " + std::to_string(p) + ", k " + std::to_string(k) + ", draw " + std::to_string(draw);
      const stats::Frame frame = stats::haar_frame(world, p, k, seed, draw);
      const auto part = comm::block_partition(p, world.rank(), world.size());
      EXPECT_EQ(frame.row_begin, part.begin) << where;
      EXPECT_EQ(frame.row_count, part.size()) << where;
      EXPECT_LT(stats::orthonormality_loss(world, frame), 1e-13) << where;

      const Matrix gathered = stats::gather_columns(world, frame, 0, k);
      const core::CounterRng rng(seed, "align/haar/" + std::to_string(draw));
      Matrix gaussian(at(p * k));
      for (index j = 0; j < k; ++j)
        for (index i = 0; i < p; ++i) gaussian[at(j * p + i)] = rng.normal(static_cast<std::uint64_t>(j * p + i));
      EXPECT_LT(max_abs_difference(gathered, gram_schmidt(gaussian, p, k)), 1e-13) << where;
      const stats::Frame serial = stats::haar_frame(alone, p, k, seed, draw);
      EXPECT_LT(max_abs_difference(gathered, stats::gather_columns(alone, serial, 0, k)), 1e-13) << where;

      // A partial gather is the matching slice of the full one.
      const Matrix middle = stats::gather_columns(world, frame, 2, 2);
      EXPECT_EQ(middle, Matrix(gathered.begin() + 2 * p, gathered.begin() + 4 * p)) << where;
      // Another draw is another frame.
      if (!previous.empty()) {
        EXPECT_GT(max_abs_difference(gathered, previous), 0.1) << where;
      }
      previous = gathered;
    }
  }
}

// ---- 3. the traces of C ------------------------------------------------------------------------

TEST(CovarianceTraces, DenseMethodEqualsTheExplicitCovariance) {
  const auto world = comm::Communicator::borrow(MPI_COMM_WORLD);
  Problem problem(world, 37, 3);
  for (const auto& subset : {problem.all(), problem.block("fc2.weight")}) {
    const auto gradients = sample_gradients(problem, subset);
    for (const bool centered : {true, false}) {
      const std::string where = "P " + std::to_string(subset.size()) + (centered ? ", centered" : ", uncentered");
      const Matrix c = covariance(gradients, centered);
      const auto traces = stats::covariance_traces(*problem.evaluator, subset, {centered, 4096, 100, 0});
      EXPECT_EQ(traces.method, "dense") << where;
      EXPECT_EQ(traces.trace_squared_error, 0.0) << where;
      const double tr = trace(c, subset.size()), tr2 = trace_of_square(c, subset.size());
      EXPECT_NEAR(traces.trace, tr, 1e-12 * tr) << where;
      EXPECT_NEAR(traces.trace_squared, tr2, 1e-12 * tr2) << where;
      EXPECT_NEAR(traces.participation_ratio(), tr * tr / tr2, 1e-12 * tr * tr / tr2) << where;
    }
  }
}

// Hutchinson's estimate of tr(C^2) (forced by a dense limit of 0) is unbiased: with a fixed seed it
// must land within 4 of its own standard errors of the exact value. tr C stays exact.
TEST(CovarianceTraces, HutchinsonEstimateIsWithinFourStandardErrors) {
  const auto world = comm::Communicator::borrow(MPI_COMM_WORLD);
  Problem problem(world, 37, 3);
  for (const auto& subset : {problem.all(), problem.block("fc2.weight")}) {
    const auto gradients = sample_gradients(problem, subset);
    for (const bool centered : {true, false}) {
      const std::string where = "P " + std::to_string(subset.size()) + (centered ? ", centered" : ", uncentered");
      const Matrix c = covariance(gradients, centered);
      const double tr = trace(c, subset.size()), tr2 = trace_of_square(c, subset.size());
      const auto traces = stats::covariance_traces(*problem.evaluator, subset, {centered, 0, 400, 331});
      EXPECT_EQ(traces.method, "hutchinson") << where;
      EXPECT_EQ(traces.probes, 400) << where;
      EXPECT_NEAR(traces.trace, tr, 1e-12 * tr) << where;
      EXPECT_GT(traces.trace_squared_error, 0.0) << where;
      // For PSD A = C^2 the Rademacher variance is 2(||A||_F^2 - sum A_ii^2) <= 2 tr(A)^2, so the
      // standard error of 400 probes is at most ~0.07 tr(C^2): the 4-SE window is a real test.
      EXPECT_LT(traces.trace_squared_error, 0.1 * tr2) << where;
      EXPECT_LT(std::abs(traces.trace_squared - tr2), 4.0 * traces.trace_squared_error) << where;
      // The estimate is one number for the run, not one per rank.
      double low = traces.trace_squared, high = traces.trace_squared;
      MPI_Allreduce(MPI_IN_PLACE, &low, 1, MPI_DOUBLE, MPI_MIN, world.get());
      MPI_Allreduce(MPI_IN_PLACE, &high, 1, MPI_DOUBLE, MPI_MAX, world.get());
      EXPECT_EQ(low, high) << where;
    }
  }
}

// ---- 4. the AWD second moment ------------------------------------------------------------------

// With the rows diag(mu_n) U_n^T of every sample's low-rank Hessian eigendecomposition as the
// source, the projected second moment is V^T (mean H_n^2) V. The reference takes H_n v_i straight
// from the engine's per-sample Hessian product. For one weight block of a ReLU network H_n has
// rank <= classes, so outputs + 2 probes reconstruct it exactly. The gradient source rides along in
// the same pass: several sources must not disturb each other.
TEST(ProjectMoments, AwdRowsGiveTheSecondMomentOfPerSampleHessians) {
  const auto world = comm::Communicator::borrow(MPI_COMM_WORLD);
  Problem problem(world, 37, 3);
  for (const std::string block : {"fc1.weight", "fc2.weight"}) {
    const auto subset = problem.block(block);
    const index p = subset.size(), k = 7;
    const Matrix v = fixed_frame(p, k, 341);
    stats::PerSampleOptions options{stats::PerSampleMethod::lowrank};
    options.rank = problem.model->out_features() + 2;
    options.seed = 342;
    const auto moments = stats::project_moments(
        *problem.evaluator, distribute(world, v, p, k),
        {stats::gradient_rows(*problem.model, subset), stats::awd_rows(*problem.model, subset, options)}, 3);
    ASSERT_EQ(moments.size(), 2U);
    const Matrix expected = awd_reference(problem, subset, v, k);
    EXPECT_LT(relative_error(moments[1].second, expected), 1e-9) << block;
    EXPECT_LT(relative_error(stats::covariance_of(moments[1], false, 1.0), expected), 1e-9) << block;
    EXPECT_LT(relative_error(moments[0].second, project(covariance(sample_gradients(problem, subset), false), v, p, k, 1.0)),
              1e-12)
        << block;
  }
}

// ---- 5. analyse_alignment end to end -----------------------------------------------------------

// The whole pipeline on the top-k eigenvectors of the dense block Hessian against the reference:
// C_V, its correlation measure, the power-law exponent, k_eff, the commutator, the AWD matrix and
// the Haar baselines (Q^T C Q with Q the gathered haar_frame of each draw).
TEST(AnalyseAlignment, EndToEndEqualsTheDenseReference) {
  const auto world = comm::Communicator::borrow(MPI_COMM_WORLD);
  const index samples = 37, batch = 3, k = 7;
  Problem problem(world, samples, batch);
  const auto subset = problem.block("fc2.weight");
  const index p = subset.size();

  // V, lambda: the top k eigenpairs of the dense Hessian (ascending from LAPACK), descending.
  const auto eig = spectral::dense_symmetric_eigen(dense_hessian(problem, subset), p, true);
  Matrix v;
  Vector lambda;
  for (index j = 0; j < k; ++j) {
    const index from = p - 1 - j;
    lambda.push_back(eig.values[at(from)]);
    v.insert(v.end(), eig.vectors.begin() + from * p, eig.vectors.begin() + (from + 1) * p);
  }
  ASSERT_GT(lambda.back(), 0.0);  // one block of a ReLU net: H = GGN restricted, PSD

  stats::AlignmentOptions options;
  options.scale = minibatch_factor(samples, batch);
  options.chunk_columns = 3;
  options.baseline_draws = 2;
  options.seed = 351;
  options.awd_per_sample.rank = problem.model->out_features() + 2;
  const auto result = stats::analyse_alignment(*problem.evaluator, subset, distribute(world, v, p, k), lambda, options);

  const auto gradients = sample_gradients(problem, subset);
  const Matrix c = covariance(gradients, true);
  const Matrix c_v = project(c, v, p, k, options.scale);
  EXPECT_EQ(result.k, k);
  EXPECT_EQ(result.lambda, lambda);
  EXPECT_LT(relative_error(result.hessian.matrix, c_v), 1e-12);
  EXPECT_LT(relative_error(result.uncentered, project(covariance(gradients, false), v, p, k, options.scale)), 1e-12);
  EXPECT_LT(relative_error(result.mean_projection, project(mean_of(gradients), v, p, k)), 1e-12);

  const double m = mean_abs_correlation(c_v, k);
  EXPECT_NEAR(result.hessian.mean_offdiagonal, m, 1e-12 * m);

  // Traces of the full block covariance, scaled like C_V; k_eff is scale-free.
  const double tr = trace(c, p), tr2 = trace_of_square(c, p), k_eff = tr * tr / tr2;
  EXPECT_NEAR(result.traces.trace, options.scale * tr, 1e-12 * options.scale * tr);
  EXPECT_NEAR(result.traces.trace_squared, options.scale * options.scale * tr2, 1e-12 * options.scale * options.scale * tr2);
  EXPECT_NEAR(result.k_eff, k_eff, 1e-12 * k_eff);
  EXPECT_NEAR(result.hessian.null.expected, std::sqrt(2.0 / (std::numbers::pi * k_eff)), 1e-12);

  // All k pairs are positive here; an error of 1e-12 in a diagonal moves the slope by ~1e-11.
  EXPECT_EQ(result.fit.used, k);
  EXPECT_NEAR(result.fit.exponent, log_log_slope(lambda, diagonal_of(c_v, k)), 1e-10);

  // ||C_V L - L C_V||_F / ||C_V||_F with L = diag(lambda).
  double commutator = 0.0, norm = 0.0;
  for (index i = 0; i < k; ++i)
    for (index j = 0; j < k; ++j) {
      const double entry = c_v[at(i * k + j)];
      commutator += std::pow(entry * (lambda[at(j)] - lambda[at(i)]), 2);
      norm += entry * entry;
    }
  EXPECT_NEAR(result.commutator, std::sqrt(commutator / norm), 1e-10 * std::sqrt(commutator / norm));

  ASSERT_TRUE(result.has_awd);
  const Matrix awd = awd_reference(problem, subset, v, k);
  EXPECT_LT(relative_error(result.awd.matrix, awd), 1e-9);
  EXPECT_NEAR(result.awd.mean_offdiagonal, mean_abs_correlation(awd, k), 1e-9);
  EXPECT_NEAR(result.awd_fit.exponent, log_log_slope(lambda, diagonal_of(awd, k)), 1e-8);

  // The baselines: the same pipeline on Haar frames of draws 0, 1 of the seed.
  ASSERT_EQ(result.baselines.size(), 2U);
  double baseline_sum = 0.0;
  for (index draw = 0; draw < 2; ++draw) {
    const Matrix q = stats::gather_columns(world, stats::haar_frame(world, p, k, options.seed, static_cast<std::uint64_t>(draw)), 0, k);
    const Matrix c_q = project(c, q, p, k, options.scale);
    const auto& baseline = result.baselines[at(draw)];
    EXPECT_EQ(result.baseline_draws[at(draw)], static_cast<std::uint64_t>(draw));
    EXPECT_LT(relative_error(baseline.matrix, c_q), 1e-12) << "draw " << draw;
    const double m_rand = mean_abs_correlation(c_q, k);
    EXPECT_NEAR(baseline.mean_offdiagonal, m_rand, 1e-12 * m_rand) << "draw " << draw;
    baseline_sum += m_rand;
  }
  EXPECT_EQ(result.baseline_m.n, 2);
  EXPECT_NEAR(result.baseline_m.mean, baseline_sum / 2.0, 1e-12 * baseline_sum);
}

}  // namespace
}  // namespace hesscov::testing
