// Gradients of every layer and loss against central finite differences of the loss.
#include <gtest/gtest.h>

#include <tuple>

#include "backend/backend.hpp"
#include "support/cases.hpp"
#include "support/reference.hpp"

namespace hesscov::testing {
namespace {


class GradientTest : public ::testing::TestWithParam<EngineCase> {};

TEST_P(GradientTest, MatchesCentralDifferencesOfTheLoss) {
  const EngineCase c = GetParam();
  const auto model = nn::make_mlp(backend::make_cpu_backend(), {{6, 5, 4, 3}, c.bias, c.activation, c.loss});
  const SyntheticData data = synthetic_data(9, 6, 3, c.loss, 11);
  HostProblem problem(*model, data);
  const Vector params = model->initial_parameters(3);
  const auto all = nn::ParamSubset::all(model->layout());

  const Vector exact = problem.gradient(params, all);
  const Vector reference = fd_gradient([&](const Vector& p) { return problem.loss(p); }, params,
                                       model->layout(), all, 1e-6);
  EXPECT_LT(relative_error(exact, reference), 1e-6);
  EXPECT_GT(norm(exact), 1e-3);  // a vanishing gradient would make the comparison empty
}

TEST_P(GradientTest, PerSampleGradientsMatchDifferencesOfEachSampleLoss) {
  const EngineCase c = GetParam();
  const auto model = nn::make_mlp(backend::make_cpu_backend(), {{4, 3, 3}, c.bias, c.activation, c.loss});
  const SyntheticData data = synthetic_data(5, 4, 3, c.loss, 12);
  HostProblem problem(*model, data);
  const Vector params = model->initial_parameters(4);
  const auto all = nn::ParamSubset::all(model->layout());
  const index size = all.size();

  Vector batched(static_cast<size_t>(data.samples * size));
  model->per_sample_gradients(problem.workspace(), params.data(), problem.batch(0, data.samples), all,
                              batched.data());
  for (index n = 0; n < data.samples; ++n) {
    const Vector reference = fd_gradient([&](const Vector& p) { return problem.sample_loss(p, n); },
                                         params, model->layout(), all, 1e-6);
    const Vector row(batched.begin() + n * size, batched.begin() + (n + 1) * size);
    EXPECT_LT(relative_error(row, reference), 1e-6) << "sample " << n;
  }
}

INSTANTIATE_TEST_SUITE_P(AllLayersAndLosses, GradientTest, ::testing::ValuesIn(all_engine_cases()), engine_case_name);

TEST(Gradient, RestrictedToABlockIsTheRestrictionOfTheFullGradient) {
  const auto model = nn::make_mlp(backend::make_cpu_backend(),
                                  {{5, 4, 4, 3}, true, nn::ActivationKind::tanh, "cross_entropy"});
  const SyntheticData data = synthetic_data(6, 5, 3, "cross_entropy", 13);
  HostProblem problem(*model, data);
  const Vector params = model->initial_parameters(5);
  const auto all = nn::ParamSubset::all(model->layout());
  const auto block = nn::ParamSubset::of(model->layout(), {"fc2.weight", "fc3.bias"});

  const Vector full = problem.gradient(params, all);
  const Vector restricted = problem.gradient(params, block);
  const Vector expected = block.restrict(model->layout(), full);
  ASSERT_EQ(restricted.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(restricted[i], expected[i], 1e-15);
}

TEST(Gradient, WeightedGradientIsJacobianTransposeTimesWeights) {
  const auto model = nn::make_mlp(backend::make_cpu_backend(),
                                  {{4, 5, 3}, true, nn::ActivationKind::relu, "softmax_mse"});
  const SyntheticData data = synthetic_data(7, 4, 3, "softmax_mse", 14);
  HostProblem problem(*model, data);
  const Vector params = model->initial_parameters(6);
  const auto all = nn::ParamSubset::all(model->layout());
  const Vector weights = random_vector(data.samples, 15);

  Vector jtw(static_cast<size_t>(all.size()), 0.0);
  model->gradient(problem.workspace(), params.data(), problem.batch(0, data.samples), all,
                  weights.data(), 1.0, jtw.data());
  Vector expected(static_cast<size_t>(all.size()), 0.0);
  for (index n = 0; n < data.samples; ++n) {
    const Vector g = problem.sample_gradient(params, all, n);
    for (size_t i = 0; i < g.size(); ++i) expected[i] += weights[static_cast<size_t>(n)] * g[i];
  }
  EXPECT_LT(relative_error(jtw, expected), 1e-13);
}

}  // namespace
}  // namespace hesscov::testing
