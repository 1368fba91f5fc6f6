// The valley-floor projection of Study 3 at 1, 2 and 3 ranks: gradient descent reaches the target
// loss on a small MLP; two projected points of a convex problem (linear regression) are connected;
// a trained MLP and the same network with two hidden units swapped (the same loss exactly, a
// different point) are not: the straight line between them crosses a barrier.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>

#include "apps/valley_path.hpp"
#include "data/dataset.hpp"
#include "support/reference.hpp"

namespace hesscov::testing {
namespace {

struct ShardedProblem {
  std::unique_ptr<nn::Model> model;
  SyntheticData data;
  std::unique_ptr<nn::DatasetEvaluator> evaluator;
};

ShardedProblem sharded(const comm::Communicator& world, nn::MlpSpec spec, const std::string& loss, index samples) {
  ShardedProblem p;
  p.model = nn::make_mlp(backend::make_cpu_backend(), spec);
  const index in = spec.widths.front(), out = spec.widths.back();
  p.data = synthetic_data(samples, in, out, loss, 61);
  const auto range = comm::block_partition(samples, world.rank(), world.size());
  p.evaluator = std::make_unique<nn::DatasetEvaluator>(*p.model, world, data::rows(p.data.inputs, in, range.begin, range.end),
                                                       data::rows(p.data.targets, out, range.begin, range.end), 16);
  return p;
}

TEST(ValleyPath, GradientDescentReachesTheTargetLoss) {
  const auto world = comm::Communicator::borrow(MPI_COMM_WORLD);
  auto p = sharded(world, {{5, 8, 3}, true, nn::ActivationKind::tanh, "cross_entropy"}, "cross_entropy", 40);
  const apps::ValleySettings settings{0.2, 0.5, 0.5, 20000, 10, 3, 10};
  const auto all = nn::ParamSubset::all(p.model->layout());
  const auto start = p.model->initial_parameters(4);
  p.evaluator->set_parameters(start);
  ASSERT_GT(p.evaluator->mean_loss(), 0.2);  // it has to descend
  const auto projection = apps::project_to_valley(*p.evaluator, all, start, settings);
  EXPECT_TRUE(projection.reached);
  EXPECT_LT(projection.loss, 0.1);
  EXPECT_GT(projection.steps, 0);
  p.evaluator->set_parameters(projection.params);
  EXPECT_DOUBLE_EQ(p.evaluator->mean_loss(), projection.loss);
}

TEST(ValleyPath, ProjectedPointsOfAConvexLossAreConnected) {
  const auto world = comm::Communicator::borrow(MPI_COMM_WORLD);
  auto p = sharded(world, {{5, 2}, true, nn::ActivationKind::identity, "mse"}, "mse", 40);
  const auto all = nn::ParamSubset::all(p.model->layout());
  // Linear regression on N(0,1) targets: the minimum L* is well above 0. Find it by long descent
  // (an unreachable target), then put the floor at 1.3 L* and project to 1.1 L*.
  const auto minimum = apps::project_to_valley(*p.evaluator, all, std::vector<double>(all.size(), 0.0),
                                               {1e-12, 1.0, 0.1, 5000, 1, 0, 1});
  ASSERT_FALSE(minimum.reached);
  const apps::ValleySettings settings{1.3 * minimum.loss, 1.1 / 1.3, 0.1, 20000, 25, 3, 10};
  const auto a = apps::project_to_valley(*p.evaluator, all, p.model->initial_parameters(1), settings);
  const auto b = apps::project_to_valley(*p.evaluator, all, p.model->initial_parameters(2), settings);
  ASSERT_TRUE(a.reached && b.reached);
  EXPECT_GT(std::abs(a.params[0] - b.params[0]), 1e-6);  // two different points of the floor
  const auto link = apps::check_link(*p.evaluator, a.params, b.params, settings.loss_threshold, settings.line_points);
  EXPECT_TRUE(link.connected) << link.max_loss << " vs " << settings.loss_threshold;
  EXPECT_LE(link.max_loss, std::max(a.loss, b.loss) + 1e-12);  // convexity: below both ends
}

TEST(ValleyPath, SwappedHiddenUnitsAreSeparatedByABarrier) {
  const auto world = comm::Communicator::borrow(MPI_COMM_WORLD);
  auto p = sharded(world, {{5, 8, 3}, true, nn::ActivationKind::tanh, "cross_entropy"}, "cross_entropy", 40);
  const apps::ValleySettings settings{0.2, 0.5, 0.5, 20000, 9, 3, 10};
  const auto all = nn::ParamSubset::all(p.model->layout());
  const auto trained = apps::project_to_valley(*p.evaluator, all, p.model->initial_parameters(4), settings);
  ASSERT_TRUE(trained.reached);
  // Swap hidden units 0 and 1: rows of fc1.weight and fc1.bias, columns of fc2.weight.
  const auto& layout = p.model->layout();
  std::vector<double> swapped = trained.params;
  const auto& w1 = layout.blocks()[layout.find("fc1.weight")];
  const auto& b1 = layout.blocks()[layout.find("fc1.bias")];
  const auto& w2 = layout.blocks()[layout.find("fc2.weight")];
  for (index j = 0; j < 5; ++j) std::swap(swapped[w1.offset + 0 * 5 + j], swapped[w1.offset + 1 * 5 + j]);
  std::swap(swapped[b1.offset], swapped[b1.offset + 1]);
  for (index r = 0; r < 3; ++r) std::swap(swapped[w2.offset + r * 8 + 0], swapped[w2.offset + r * 8 + 1]);
  p.evaluator->set_parameters(swapped);
  EXPECT_NEAR(p.evaluator->mean_loss(), trained.loss, 1e-12);  // the same function, another point
  const auto link = apps::check_link(*p.evaluator, trained.params, swapped, settings.loss_threshold, settings.line_points);
  EXPECT_FALSE(link.connected);
  EXPECT_GT(link.max_loss, settings.loss_threshold);
  // The segment to itself is trivially connected: the check is not always negative.
  EXPECT_TRUE(apps::check_link(*p.evaluator, trained.params, trained.params, settings.loss_threshold, 3).connected);
}

}  // namespace
}  // namespace hesscov::testing
