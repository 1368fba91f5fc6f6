// The distributed curvature operators and SLEPc extraction at 1, 2 and 3 ranks: eigenvalues
// against LAPACK on the dense matrix, rank-count independence, C against explicit per-sample
// gradients, the minibatch-scaled C_S against the empirical covariance of minibatch gradients, and
// a solve stopped by its should_stop request (EigenRequest::should_stop, EigenResult::interrupted).
#include <gtest/gtest.h>
#include <mpi.h>
#include <slepcsys.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "backend/backend.hpp"
#include "comm/communicator.hpp"
#include "core/rng.hpp"
#include "operators/curvature_operator.hpp"
#include "operators/petsc_check.hpp"
#include "spectral/eigen_solver.hpp"
#include "support/reference.hpp"
#include "support/slepc_environment.hpp"

namespace hesscov::testing {
namespace {

const auto* const kSlepc = ::testing::AddGlobalTestEnvironment(new SlepcEnvironment);

/// A small problem sharded over `comm`: evaluator over this rank's samples.
struct Problem {
  std::unique_ptr<nn::Model> model;
  SyntheticData data;
  std::unique_ptr<nn::DatasetEvaluator> evaluator;
  Vector params;
  Problem(const comm::Communicator& comm, const nn::MlpSpec& spec, index samples, index batch) {
    model = nn::make_mlp(backend::make_cpu_backend(), spec);
    const index in = spec.widths.front(), classes = spec.widths.back();
    data = synthetic_data(samples, in, classes, spec.loss, 91);
    const auto range = comm::block_partition(samples, comm.rank(), comm.size());
    evaluator = std::make_unique<nn::DatasetEvaluator>(
        *model, comm, Vector(data.inputs.begin() + range.begin * in, data.inputs.begin() + range.end * in),
        Vector(data.targets.begin() + range.begin * classes, data.targets.begin() + range.end * classes), batch);
    params = model->initial_parameters(3);
  }
};

/// |a_i - b_i| <= tol * max|b| for the first k entries (eigenvalues near zero make a relative
/// comparison per value meaningless, so the scale is the spectrum's).
void expect_spectrum_near(const Vector& a, const Vector& b, size_t k, double tol) {
  ASSERT_GE(a.size(), k);
  ASSERT_GE(b.size(), k);
  double scale = 0.0;
  for (double x : b) scale = std::max(scale, std::abs(x));
  for (size_t i = 0; i < k; ++i) EXPECT_NEAR(a[i], b[i], tol * scale) << "eigenvalue " << i;
}

struct OperatorCase {
  const char* kind;
  bool block;
};

class OperatorSpectrum : public ::testing::TestWithParam<OperatorCase> {};

TEST_P(OperatorSpectrum, SlepcTopAndBottomEqualLapackOnTheDenseMatrix) {
  const auto world = comm::Communicator::borrow(MPI_COMM_WORLD);
  // 100 samples for 83 parameters and the squared error: C (rank <= N - 1) and the GGN (rank <=
  // N K) have full rank, so both ends of every spectrum are simple eigenvalues. With a softmax
  // loss, shifting all logits is an exact symmetry: the GGN and C then have a zero eigenvalue of
  // multiplicity hidden + 1, which a single-vector Krylov method cannot resolve (see the top-end
  // test below for cross-entropy).
  Problem problem(world, {{6, 7, 4}, true, nn::ActivationKind::tanh, "mse"}, 100, 16);
  const auto subset = GetParam().block ? nn::ParamSubset::of(problem.model->layout(), {"fc1.weight"})
                                       : nn::ParamSubset::all(problem.model->layout());
  operators::CurvatureOperator op(*problem.evaluator, world, subset,
                                  {operators::parse_operator_kind(GetParam().kind), true, {}}, problem.params);
  const Vector dense = spectral::assemble_dense(op.mat());
  const auto reference = spectral::dense_symmetric_eigen(dense, op.size(), false);  // ascending
  const size_t k = 6;
  spectral::EigenRequest top{static_cast<index>(k), spectral::Which::largest};
  spectral::EigenRequest bottom{static_cast<index>(k), spectral::Which::smallest};
  bottom.max_it = 10000;  // the bottom of C converges slowly (about 800 restarts here)
  const auto largest = spectral::solve_eigenproblem(op.mat(), top);
  const auto smallest = spectral::solve_eigenproblem(op.mat(), bottom);
  const Vector descending(reference.values.rbegin(), reference.values.rend());
  expect_spectrum_near(largest.values, descending, k, 1e-8);
  expect_spectrum_near(smallest.values, reference.values, k, 1e-8);
  EXPECT_LT(largest.orthogonality, 1e-10);
  for (double r : largest.residuals) EXPECT_LT(r, 1e-8);
  for (double r : smallest.absolute_residuals) EXPECT_LT(r, 1e-8 * smallest.spectral_scale);
}

INSTANTIATE_TEST_SUITE_P(Operators, OperatorSpectrum,
                         ::testing::Values(OperatorCase{"hessian", false}, OperatorCase{"hessian", true},
                                           OperatorCase{"ggn", false}, OperatorCase{"ggn", true},
                                           OperatorCase{"covariance", false}, OperatorCase{"covariance", true}),
                         [](const ::testing::TestParamInfo<OperatorCase>& info) {
                           return std::string(info.param.kind) + (info.param.block ? "_block" : "_full");
                         });

TEST(Operators, CrossEntropyTopEigenvaluesEqualLapack) {
  const auto world = comm::Communicator::borrow(MPI_COMM_WORLD);
  Problem problem(world, {{6, 7, 4}, false, nn::ActivationKind::relu, "cross_entropy"}, 40, 16);
  for (const char* kind : {"hessian", "ggn", "covariance"}) {
    operators::CurvatureOperator op(*problem.evaluator, world, nn::ParamSubset::all(problem.model->layout()),
                                    {operators::parse_operator_kind(kind), true, {}}, problem.params);
    const auto reference = spectral::dense_symmetric_eigen(spectral::assemble_dense(op.mat()), op.size(), false);
    const auto largest = spectral::solve_eigenproblem(op.mat(), {5, spectral::Which::largest});
    expect_spectrum_near(largest.values, Vector(reference.values.rbegin(), reference.values.rend()), 5, 1e-8);
  }
}

TEST(Operators, EigenvaluesDoNotDependOnTheRankCount) {
  const auto world = comm::Communicator::borrow(MPI_COMM_WORLD);
  const auto self = comm::Communicator::borrow(MPI_COMM_SELF);
  const nn::MlpSpec spec{{6, 7, 4}, false, nn::ActivationKind::relu, "mse"};
  Problem distributed(world, spec, 31, 8), serial(self, spec, 31, 8);
  const auto all = nn::ParamSubset::all(distributed.model->layout());
  operators::CurvatureOperator a(*distributed.evaluator, world, all, {}, distributed.params);
  operators::CurvatureOperator b(*serial.evaluator, self, all, {}, serial.params);
  spectral::EigenRequest request{8, spectral::Which::largest};
  const auto va = spectral::solve_eigenproblem(a.mat(), request).values;
  const auto vb = spectral::solve_eigenproblem(b.mat(), request).values;
  ASSERT_EQ(va.size(), 8u);
  ASSERT_EQ(vb.size(), 8u);
  for (size_t i = 0; i < va.size(); ++i) EXPECT_NEAR(va[i], vb[i], 1e-10 * std::abs(vb[i]));
}

TEST(Operators, CovarianceEqualsExplicitPerSampleGradientCovariance) {
  const auto world = comm::Communicator::borrow(MPI_COMM_WORLD);
  Problem problem(world, {{5, 4, 3}, true, nn::ActivationKind::tanh, "softmax_mse"}, 17, 5);
  const auto subset = nn::ParamSubset::all(problem.model->layout());
  const index n = subset.size();
  HostProblem host(*problem.model, problem.data);
  Dense expected(n, n);
  Vector mean(static_cast<size_t>(n), 0.0);
  std::vector<Vector> gradients;
  for (index s = 0; s < problem.data.samples; ++s) gradients.push_back(host.sample_gradient(problem.params, subset, s));
  for (const auto& g : gradients)
    for (index i = 0; i < n; ++i) mean[static_cast<size_t>(i)] += g[static_cast<size_t>(i)] / problem.data.samples;
  for (const auto& g : gradients)
    for (index i = 0; i < n; ++i)
      for (index j = 0; j < n; ++j) expected(i, j) += g[static_cast<size_t>(i)] * g[static_cast<size_t>(j)] / problem.data.samples;
  for (index i = 0; i < n; ++i)
    for (index j = 0; j < n; ++j) expected(i, j) -= mean[static_cast<size_t>(i)] * mean[static_cast<size_t>(j)];
  operators::CurvatureOperator op(*problem.evaluator, world, subset, {operators::OperatorKind::covariance, true, {}},
                                  problem.params);
  EXPECT_LT(relative_error(spectral::assemble_dense(op.mat()), expected.values), 1e-12);
}

TEST(Operators, MinibatchScaledCovarianceMatchesSampledMinibatchGradients) {
  // C_S = C (N - S) / (S (N - 1)) is the exact covariance of the mean gradient of a uniform
  // S-subset. Compare its trace with the empirical variance of 4,000 sampled minibatch gradients:
  // the relative standard error of a variance estimate from K draws is about sqrt(2/K) ~ 2.2%
  // for Gaussian-like sums, so 10% is a > 4 sigma bound at this fixed seed.
  const auto world = comm::Communicator::borrow(MPI_COMM_WORLD);
  Problem problem(world, {{4, 3}, true, nn::ActivationKind::identity, "cross_entropy"}, 40, 40);
  const auto subset = nn::ParamSubset::all(problem.model->layout());
  const index n = subset.size(), batch = 8, draws = 4000;
  operators::CurvatureOperator op(*problem.evaluator, world, subset,
                                  {operators::OperatorKind::covariance, true, {batch, false}}, problem.params);
  const Vector dense = spectral::assemble_dense(op.mat());
  double exact_trace = 0.0;
  for (index i = 0; i < n; ++i) exact_trace += dense[static_cast<size_t>(i * n + i)];
  HostProblem host(*problem.model, problem.data);
  std::vector<Vector> gradients;
  for (index s = 0; s < problem.data.samples; ++s) gradients.push_back(host.sample_gradient(problem.params, subset, s));
  const core::CounterRng rng(5, "test/minibatch");
  Vector sum(static_cast<size_t>(n), 0.0);
  double sum_squares = 0.0;
  for (index d = 0; d < draws; ++d) {
    std::vector<index> order(static_cast<size_t>(problem.data.samples));
    for (index i = 0; i < problem.data.samples; ++i) order[static_cast<size_t>(i)] = i;
    for (index i = problem.data.samples - 1; i > 0; --i)
      std::swap(order[static_cast<size_t>(i)], order[rng.bits(static_cast<std::uint64_t>(d * 1000 + i)) % static_cast<std::uint64_t>(i + 1)]);
    Vector mean_gradient(static_cast<size_t>(n), 0.0);
    for (index j = 0; j < batch; ++j)
      for (index i = 0; i < n; ++i) mean_gradient[static_cast<size_t>(i)] += gradients[static_cast<size_t>(order[static_cast<size_t>(j)])][static_cast<size_t>(i)] / batch;
    for (index i = 0; i < n; ++i) sum[static_cast<size_t>(i)] += mean_gradient[static_cast<size_t>(i)];
    sum_squares += dot(mean_gradient, mean_gradient);
  }
  const double empirical_trace = sum_squares / draws - dot(sum, sum) / (static_cast<double>(draws) * draws);
  EXPECT_NEAR(empirical_trace / exact_trace, 1.0, 0.10);
  EXPECT_NEAR((operators::MinibatchScaling{batch, false}.factor(40)), 32.0 / (8.0 * 39.0), 1e-15);
  EXPECT_NEAR((operators::MinibatchScaling{batch, true}.factor(40)), 1.0 / 8.0, 1e-15);
}

/// A collective stop request, as the sweep's preemption check is: each rank counts the times it
/// was asked (`asked`), and every rank gives the same answer, from the MPI_Allreduce of the counts:
/// stop once `stop_at` calls were made (-1: never).
std::function<bool()> counting_stop(int& asked, int stop_at) {
  return [&asked, stop_at] {
    ++asked;
    int most = 0;
    MPI_Allreduce(&asked, &most, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return stop_at > 0 && most >= stop_at;
  };
}

TEST(EigenSolverStop, StopAtTheSecondRequestReturnsInterruptedWithoutPairs) {
  const auto world = comm::Communicator::borrow(MPI_COMM_WORLD);
  Problem problem(world, {{6, 7, 4}, true, nn::ActivationKind::tanh, "mse"}, 100, 16);
  operators::CurvatureOperator op(*problem.evaluator, world, nn::ParamSubset::all(problem.model->layout()), {},
                                  problem.params);
  for (const auto which : {spectral::Which::largest, spectral::Which::smallest}) {
    int asked = 0;
    spectral::EigenRequest request{6, which};
    request.should_stop = counting_stop(asked, 2);
    const auto result = spectral::solve_eigenproblem(op.mat(), request);
    EXPECT_TRUE(result.interrupted);
    EXPECT_EQ(asked, 2) << "asked once per iteration, never again after it said stop";
    EXPECT_TRUE(result.values.empty());
    EXPECT_TRUE(result.residuals.empty());
    EXPECT_TRUE(result.absolute_residuals.empty());
    EXPECT_TRUE(result.vectors.empty());
    EXPECT_EQ(result.requested, 6);
  }
}

TEST(EigenSolverStop, RequestThatNeverFiresGivesTheEigenvaluesOfAPlainSolve) {
  const auto world = comm::Communicator::borrow(MPI_COMM_WORLD);
  Problem problem(world, {{6, 7, 4}, true, nn::ActivationKind::tanh, "mse"}, 100, 16);
  operators::CurvatureOperator op(*problem.evaluator, world, nn::ParamSubset::all(problem.model->layout()), {},
                                  problem.params);
  const auto reference = spectral::dense_symmetric_eigen(spectral::assemble_dense(op.mat()), op.size(), false);
  const size_t k = 6;
  for (const auto which : {spectral::Which::largest, spectral::Which::smallest}) {
    spectral::EigenRequest request{static_cast<index>(k), which};
    const auto plain = spectral::solve_eigenproblem(op.mat(), request);
    int asked = 0;
    request.should_stop = counting_stop(asked, -1);
    const auto watched = spectral::solve_eigenproblem(op.mat(), request);
    EXPECT_FALSE(watched.interrupted);
    EXPECT_FALSE(plain.interrupted);
    // Asked once per iteration while iterating: not after the iteration that converged.
    EXPECT_GT(watched.iterations, 1) << "a one-iteration solve would not exercise the stop test";
    EXPECT_EQ(asked, watched.iterations - 1);
    const Vector expected = which == spectral::Which::largest
                                ? Vector(reference.values.rbegin(), reference.values.rend())
                                : reference.values;
    expect_spectrum_near(watched.values, expected, k, 1e-8);
    // The stop test wraps SLEPc's own: the same iterations, so the same values to the last bit.
    EXPECT_EQ(watched.iterations, plain.iterations);
    EXPECT_EQ(watched.values, plain.values);
    if (which == spectral::Which::largest)
      for (double r : watched.residuals) EXPECT_LT(r, 1e-8);
    else  // the smallest end converges to the scaled (absolute) test
      for (double r : watched.absolute_residuals) EXPECT_LT(r, 1e-8 * watched.spectral_scale);
  }
}

}  // namespace
}  // namespace hesscov::testing
