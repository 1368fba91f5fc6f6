// Per-sample Jacobian products J v = (g_n . v)_n against explicitly formed per-sample gradients.
#include <gtest/gtest.h>

#include "backend/backend.hpp"
#include "support/reference.hpp"

namespace hesscov::testing {
namespace {

TEST(JacobianProduct, EqualsDotProductsWithExplicitPerSampleGradients) {
  for (const char* loss : {"cross_entropy", "mse", "softmax_mse"}) {
    const auto model = nn::make_mlp(backend::make_cpu_backend(),
                                    {{5, 6, 4, 3}, true, nn::ActivationKind::tanh, loss});
    const SyntheticData data = synthetic_data(11, 5, 3, loss, 61);
    HostProblem problem(*model, data);
    const Vector params = model->initial_parameters(12);
    for (const auto& subset : {nn::ParamSubset::all(model->layout()),
                               nn::ParamSubset::of(model->layout(), {"fc2.weight", "fc1.bias"})}) {
      const Vector v = random_vector(subset.size(), 62);
      Vector jv(static_cast<size_t>(data.samples));
      model->jacobian_product(problem.workspace(), params.data(), problem.batch(0, data.samples),
                              subset, v.data(), jv.data());
      Vector expected(static_cast<size_t>(data.samples));
      for (index n = 0; n < data.samples; ++n)
        expected[static_cast<size_t>(n)] = dot(problem.sample_gradient(params, subset, n), v);
      EXPECT_LT(relative_error(jv, expected), 1e-13) << loss;
    }
  }
}

TEST(JacobianProduct, ReluNetworkWithoutBiasAtZeroDirectionIsZero) {
  const auto model = nn::make_mlp(backend::make_cpu_backend(),
                                  {{4, 4, 3}, false, nn::ActivationKind::relu, "cross_entropy"});
  const SyntheticData data = synthetic_data(5, 4, 3, "cross_entropy", 63);
  HostProblem problem(*model, data);
  const Vector params = model->initial_parameters(13);
  const auto all = nn::ParamSubset::all(model->layout());
  const Vector zero(static_cast<size_t>(all.size()), 0.0);
  Vector jv(static_cast<size_t>(data.samples), 1.0);
  model->jacobian_product(problem.workspace(), params.data(), problem.batch(0, data.samples), all,
                          zero.data(), jv.data());
  for (double value : jv) EXPECT_EQ(value, 0.0);
}

TEST(Workspace, RejectsBatchesLargerThanItsCapacity) {
  const auto model = nn::make_mlp(backend::make_cpu_backend(),
                                  {{4, 3}, false, nn::ActivationKind::relu, "mse"});
  const SyntheticData data = synthetic_data(5, 4, 3, "mse", 64);
  nn::Workspace small(*model, 2);
  Vector losses(5);
  const Vector params = model->initial_parameters(1);
  EXPECT_THROW(model->per_sample_losses(small, params.data(), {data.inputs.data(), data.targets.data(), 5},
                                        losses.data()),
               core::DimensionMismatch);
}

TEST(ModelBuilder, RejectsMismatchedOrEmptyShapes) {
  EXPECT_THROW(nn::make_mlp(backend::make_cpu_backend(), {{4}, false, nn::ActivationKind::relu, "mse"}),
               core::DimensionMismatch);
  EXPECT_THROW(nn::make_mlp(backend::make_cpu_backend(), {{4, 0, 3}, false, nn::ActivationKind::relu, "mse"}),
               core::DimensionMismatch);
  EXPECT_THROW(nn::make_mlp(backend::make_cpu_backend(), {{4, 3}, false, nn::ActivationKind::relu, "hinge"}),
               core::Error);
}

TEST(ParamLayout, NamesOffsetsAndSubsetsFollowLayoutOrder) {
  const auto model = nn::make_mlp(backend::make_cpu_backend(),
                                  {{784, 50, 50, 10}, false, nn::ActivationKind::relu, "cross_entropy"});
  const auto& blocks = model->layout().blocks();
  ASSERT_EQ(blocks.size(), 3u);
  EXPECT_EQ(blocks[1].name, "fc2.weight");
  EXPECT_EQ(blocks[1].offset, 784 * 50);
  EXPECT_EQ(blocks[1].size, 2500);
  EXPECT_EQ(model->num_params(), 784 * 50 + 2500 + 500);  // 42,200 as in SCIENCE.md
  const auto subset = nn::ParamSubset::of(model->layout(), {"fc3.weight", "fc2.weight"});
  EXPECT_EQ(subset.offset_of(1), 0);
  EXPECT_EQ(subset.offset_of(2), 2500);
  EXPECT_EQ(subset.offset_of(0), -1);
  try {
    (void)nn::ParamSubset::of(model->layout(), {"fc9.weight"});
    FAIL() << "unknown block accepted";
  } catch (const core::Error& error) {
    EXPECT_NE(std::string(error.what()).find("fc9.weight"), std::string::npos);
    EXPECT_NE(std::string(error.what()).find("fc2.weight"), std::string::npos);
  }
}

}  // namespace
}  // namespace hesscov::testing
