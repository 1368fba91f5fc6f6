// Data-parallel products over a sharded data set: every rank count must give the 1-rank answer
// (to round-off), and C v must equal the covariance of explicitly formed per-sample gradients.
#include <gtest/gtest.h>
#include <mpi.h>

#include "backend/backend.hpp"
#include "comm/communicator.hpp"
#include "nn/dataset_evaluator.hpp"
#include "support/reference.hpp"

namespace hesscov::testing {
namespace {

struct ShardCase {
  index samples;
  index batch_size;
  const char* loss;
};

class ShardedProducts : public ::testing::TestWithParam<ShardCase> {
 protected:
  void SetUp() override {
    const ShardCase s = GetParam();
    model_ = nn::make_mlp(backend::make_cpu_backend(), {{5, 6, 3}, true, nn::ActivationKind::tanh, s.loss});
    data_ = synthetic_data(s.samples, 5, 3, s.loss, 71);
    params_ = model_->initial_parameters(14);
    const auto range = comm::block_partition(s.samples, world_.rank(), world_.size());
    const Vector inputs(data_.inputs.begin() + range.begin * 5, data_.inputs.begin() + range.end * 5);
    const Vector targets(data_.targets.begin() + range.begin * 3, data_.targets.begin() + range.end * 3);
    evaluator_ = std::make_unique<nn::DatasetEvaluator>(*model_, world_, inputs, targets, s.batch_size);
    evaluator_->set_parameters(params_);
    reference_ = std::make_unique<HostProblem>(*model_, data_);  // all samples, one batch, no MPI
  }
  comm::Communicator world_ = comm::Communicator::borrow(MPI_COMM_WORLD);
  std::unique_ptr<nn::Model> model_;
  SyntheticData data_;
  Vector params_;
  std::unique_ptr<nn::DatasetEvaluator> evaluator_;
  std::unique_ptr<HostProblem> reference_;
};

TEST_P(ShardedProducts, LossGradientAndCurvatureEqualTheSerialResult) {
  const auto all = nn::ParamSubset::all(model_->layout());
  const Vector v = random_vector(all.size(), 72);
  EXPECT_EQ(evaluator_->global_count(), GetParam().samples);
  EXPECT_NEAR(evaluator_->mean_loss(), reference_->loss(params_), 1e-14 * std::abs(reference_->loss(params_)));
  EXPECT_LT(relative_error(evaluator_->gradient(all), reference_->gradient(params_, all)), 1e-13);
  for (auto kind : {nn::Curvature::hessian, nn::Curvature::gauss_newton})
    EXPECT_LT(relative_error(evaluator_->curvature_product(all, kind, v),
                             reference_->curvature(params_, all, kind, v)),
              1e-13);
}

TEST_P(ShardedProducts, CovarianceProductEqualsExplicitPerSampleGradientCovariance) {
  for (const auto& subset : {nn::ParamSubset::all(model_->layout()),
                             nn::ParamSubset::of(model_->layout(), {"fc2.weight"})}) {
    const index size = subset.size();
    std::vector<Vector> gradients;
    Vector mean(static_cast<size_t>(size), 0.0);
    for (index n = 0; n < data_.samples; ++n) {
      gradients.push_back(reference_->sample_gradient(params_, subset, n));
      for (index i = 0; i < size; ++i) mean[static_cast<size_t>(i)] += gradients.back()[static_cast<size_t>(i)] / static_cast<double>(data_.samples);
    }
    const Vector v = random_vector(size, 73);
    for (bool centered : {true, false}) {
      Vector expected(static_cast<size_t>(size), 0.0);
      for (const auto& g : gradients) {
        const double gv = dot(g, v);
        for (index i = 0; i < size; ++i) expected[static_cast<size_t>(i)] += g[static_cast<size_t>(i)] * gv / static_cast<double>(data_.samples);
      }
      if (centered) {
        const double mv = dot(mean, v);
        for (index i = 0; i < size; ++i) expected[static_cast<size_t>(i)] -= mean[static_cast<size_t>(i)] * mv;
      }
      EXPECT_LT(relative_error(evaluator_->covariance_product(subset, v, centered), expected), 1e-12)
          << (centered ? "centered" : "uncentered") << " on " << size << " coordinates";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shards, ShardedProducts,
    ::testing::Values(ShardCase{12, 12, "cross_entropy"}, ShardCase{13, 4, "mse"}, ShardCase{7, 2, "softmax_mse"},
                      ShardCase{2, 5, "cross_entropy"}),  // 2 samples on 3 ranks: one shard is empty
    [](const ::testing::TestParamInfo<ShardCase>& info) {
      return std::string(info.param.loss) + "_N" + std::to_string(info.param.samples) + "_batch" +
             std::to_string(info.param.batch_size);
    });

TEST(Communicator, BlockPartitionCoversEverySampleOnce) {
  for (int size = 1; size <= 4; ++size) {
    index next = 0;
    for (int rank = 0; rank < size; ++rank) {
      const auto range = comm::block_partition(10, rank, size);
      EXPECT_EQ(range.begin, next);
      EXPECT_GE(range.size(), 10 / size);
      EXPECT_LE(range.size(), 10 / size + 1);
      next = range.end;
    }
    EXPECT_EQ(next, 10);
  }
}

}  // namespace
}  // namespace hesscov::testing
