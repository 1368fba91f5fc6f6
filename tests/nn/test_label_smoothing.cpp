// Label-smoothing cross-entropy (SCIENCE.md Study 3): targets (1 - eps) one_hot + eps / K through
// the unchanged cross-entropy kernel; its value against the formula, its gradient against central
// differences, H v against differences of the gradient and the dense Hessian's symmetry.
#include <gtest/gtest.h>

#include <cmath>

#include "backend/backend.hpp"
#include "nn/loss.hpp"
#include "support/reference.hpp"

namespace hesscov::testing {
namespace {

constexpr double kEpsilon = 0.1;

class LabelSmoothing : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = nn::make_mlp(backend::make_cpu_backend(), {{5, 4, 3}, true, nn::ActivationKind::tanh, "cross_entropy"});
    data_ = synthetic_data(9, 5, 3, "cross_entropy", 41);
    nn::smooth_targets(data_.targets, 3, kEpsilon);
    problem_ = std::make_unique<HostProblem>(*model_, data_);
    params_ = model_->initial_parameters(3);
  }
  std::unique_ptr<nn::Model> model_;
  SyntheticData data_;
  std::unique_ptr<HostProblem> problem_;
  Vector params_;
};

TEST_F(LabelSmoothing, TargetsAreTheSmoothedDistribution) {
  std::vector<double> targets{0, 1, 0, 0, 0, 1};
  nn::smooth_targets(targets, 3, 0.3);
  const std::vector<double> expected{0.1, 0.8, 0.1, 0.1, 0.1, 0.8};
  for (size_t i = 0; i < targets.size(); ++i) EXPECT_NEAR(targets[i], expected[i], 1e-15);
  std::vector<double> unchanged{0, 1, 0};
  nn::smooth_targets(unchanged, 3, 0.0);
  EXPECT_EQ(unchanged, (std::vector<double>{0, 1, 0}));
  EXPECT_THROW(nn::smooth_targets(targets, 3, 1.0), core::Error);
  EXPECT_THROW(nn::smooth_targets(targets, 4, 0.1), core::DimensionMismatch);
}

TEST_F(LabelSmoothing, LossIsTheMixtureOfHardAndUniformCrossEntropy) {
  // l(z, t) = sum_k t_k (logsumexp z - z_k) is linear in t, so the smoothed loss is
  // (1 - eps) l(z, one_hot) + eps l(z, uniform), each from the plain kernel.
  SyntheticData hard = synthetic_data(9, 5, 3, "cross_entropy", 41), uniform = hard;
  for (auto& t : uniform.targets) t = 1.0 / 3.0;
  HostProblem hard_problem(*model_, hard), uniform_problem(*model_, uniform);
  for (index n = 0; n < data_.samples; ++n)
    EXPECT_NEAR(problem_->sample_loss(params_, n),
                (1 - kEpsilon) * hard_problem.sample_loss(params_, n) + kEpsilon * uniform_problem.sample_loss(params_, n),
                1e-13)
        << n;
}

TEST_F(LabelSmoothing, GradientAndHessianMatchFiniteDifferences) {
  const auto all = nn::ParamSubset::all(model_->layout());
  const Vector fd = fd_gradient([&](const Vector& p) { return problem_->loss(p); }, params_, model_->layout(), all, 1e-6);
  EXPECT_LT(relative_error(problem_->gradient(params_, all), fd), 1e-7);
  const Dense hessian = assemble([&](const Vector& v) { return problem_->curvature(params_, all, nn::Curvature::hessian, v); },
                                 all.size());
  const Dense reference = fd_jacobian([&](const Vector& p) { return problem_->gradient(p, all); }, params_,
                                      model_->layout(), all, 1e-5);
  double worst = 0.0, scale = 0.0;
  for (size_t i = 0; i < hessian.values.size(); ++i) {
    worst = std::max(worst, std::abs(hessian.values[i] - reference.values[i]));
    scale = std::max(scale, std::abs(reference.values[i]));
  }
  EXPECT_LT(worst, 1e-6 * scale);
  EXPECT_LT(hessian.max_asymmetry(), 1e-12 * scale);
  // Smoothing changes the curvature: the same model with one-hot targets has another Hessian.
  SyntheticData hard = synthetic_data(9, 5, 3, "cross_entropy", 41);
  HostProblem plain(*model_, hard);
  const Vector v = random_vector(all.size(), 5);
  EXPECT_GT(relative_error(plain.curvature(params_, all, nn::Curvature::hessian, v),
                           problem_->curvature(params_, all, nn::Curvature::hessian, v)), 1e-3);
}

}  // namespace
}  // namespace hesscov::testing
