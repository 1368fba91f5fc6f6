// The Study 3 valley toys (nn/toy_valley.hpp) against their closed forms written out here:
// L(t) = ½λ1(t3, t4) t1² + ½λ2(t3, t4) t2² for every sample, t = start + θ. The loss is checked
// against the formula, the engine's gradient against central differences of that formula, and
// the engine's Hessian (every second-order term of the residual layer) and Gauss-Newton products
// against dense matrices from central differences of the closed-form gradient and from the
// closed-form Jacobian. The configured model (model.type: toy_valley_1/2) refuses bad settings
// naming the key.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "backend/backend.hpp"
#include "nn/toy_valley.hpp"
#include "support/configured.hpp"
#include "support/reference.hpp"

namespace hesscov::testing {
namespace {

using Point = std::array<double, 4>;

double lambda(nn::ValleyToy toy, int i, double t3, double t4) {
  if (toy == nn::ValleyToy::one) return i == 0 ? 2.0 * std::abs(t3 + t4) : 2.0 * std::abs(t3 + 2.0 * t4);
  return i == 0 ? 8.0 - 4.0 * std::exp(-(t3 * t3 + t4 * t4)) : 2.0 * std::exp(-(t3 - t4) * (t3 - t4));
}

double closed_loss(nn::ValleyToy toy, const Point& t) {
  return 0.5 * lambda(toy, 0, t[2], t[3]) * t[0] * t[0] + 0.5 * lambda(toy, 1, t[2], t[3]) * t[1] * t[1];
}

/// ∇L from central differences of λ only (∂L/∂t1 = λ1 t1 exactly).
Vector closed_gradient(nn::ValleyToy toy, const Point& t) {
  const double h = 1e-6;
  Vector g{lambda(toy, 0, t[2], t[3]) * t[0], lambda(toy, 1, t[2], t[3]) * t[1], 0.0, 0.0};
  for (int i = 0; i < 2; ++i) {
    const double half_square = 0.5 * t[static_cast<size_t>(i)] * t[static_cast<size_t>(i)];
    g[2] += half_square * (lambda(toy, i, t[2] + h, t[3]) - lambda(toy, i, t[2] - h, t[3])) / (2.0 * h);
    g[3] += half_square * (lambda(toy, i, t[2], t[3] + h) - lambda(toy, i, t[2], t[3] - h)) / (2.0 * h);
  }
  return g;
}

struct Toy {
  explicit Toy(nn::ValleyToy kind, Point start_point)
      : toy(kind), start(start_point),
        model(nn::make_toy_valley(backend::make_cpu_backend(), {kind, start_point}, 2)),
        data(synthetic_data(5, 2, 2, "mse", 3)) {
    std::fill(data.targets.begin(), data.targets.end(), 0.0);
  }
  [[nodiscard]] Point point(const Vector& theta) const {
    return {start[0] + theta[0], start[1] + theta[1], start[2] + theta[2], start[3] + theta[3]};
  }
  nn::ValleyToy toy;
  Point start;
  std::unique_ptr<nn::Model> model;
  SyntheticData data;
};

struct Case {
  nn::ValleyToy toy;
  Point start, theta;
};

class ToyValley : public ::testing::TestWithParam<Case> {};

TEST_P(ToyValley, LossGradientHessianAndGaussNewtonMatchTheClosedForm) {
  const Case& c = GetParam();
  Toy toy(c.toy, c.start);
  HostProblem problem(*toy.model, toy.data);
  const auto all = nn::ParamSubset::all(toy.model->layout());
  ASSERT_EQ(all.size(), 4);
  const Vector theta(c.theta.begin(), c.theta.end());
  const Point t = toy.point(theta);
  EXPECT_NEAR(problem.loss(theta), closed_loss(c.toy, t), 1e-14 * (1.0 + closed_loss(c.toy, t)));
  EXPECT_LT(relative_error(problem.gradient(theta, all), closed_gradient(c.toy, t)), 1e-8);
  // Hessian: differences of the closed-form gradient (itself from differences of λ).
  const Dense hessian = assemble([&](const Vector& e) { return problem.curvature(theta, all, nn::Curvature::hessian, e); }, 4);
  const Dense reference = fd_jacobian([&](const Vector& p) { return closed_gradient(c.toy, toy.point(p)); }, theta,
                                      toy.model->layout(), all, 1e-4);
  for (index i = 0; i < 4; ++i)
    for (index j = 0; j < 4; ++j) EXPECT_NEAR(hessian(i, j), reference(i, j), 1e-5) << i << "," << j;
  EXPECT_LT(hessian.max_asymmetry(), 1e-13);
  EXPECT_NEAR(hessian(0, 0), lambda(c.toy, 0, t[2], t[3]), 1e-13);
  EXPECT_NEAR(hessian(1, 1), lambda(c.toy, 1, t[2], t[3]), 1e-13);
  // Gauss-Newton JᵀJ of the residuals z = (√λ1 t1, √λ2 t2), J from differences of z.
  const Dense ggn = assemble([&](const Vector& e) { return problem.curvature(theta, all, nn::Curvature::gauss_newton, e); }, 4);
  auto residuals = [&](const Point& p) {
    return std::array<double, 2>{std::sqrt(lambda(c.toy, 0, p[2], p[3])) * p[0], std::sqrt(lambda(c.toy, 1, p[2], p[3])) * p[1]};
  };
  double jacobian[2][4];
  for (size_t j = 0; j < 4; ++j) {
    Point up = t, down = t;
    up[j] += 1e-6, down[j] -= 1e-6;
    for (size_t i = 0; i < 2; ++i) jacobian[i][j] = (residuals(up)[i] - residuals(down)[i]) / 2e-6;
  }
  for (index i = 0; i < 4; ++i)
    for (index j = 0; j < 4; ++j)
      EXPECT_NEAR(ggn(i, j), jacobian[0][i] * jacobian[0][j] + jacobian[1][i] * jacobian[1][j], 1e-7) << i << "," << j;
}

INSTANTIATE_TEST_SUITE_P(
    Points, ToyValley,
    ::testing::Values(Case{nn::ValleyToy::one, {0.0, 0.0, 1.0, 1.0}, {0.3, -0.2, 0.1, -0.05}},
                      Case{nn::ValleyToy::one, {0.5, 0.4, -1.0, 0.3}, {0.0, 0.1, 0.0, 0.0}},  // t3 + t4 < 0 < t3 + 2t4
                      Case{nn::ValleyToy::two, {0.0, 0.0, 1.0, -1.0}, {0.4, 0.7, -0.2, 0.3}},
                      Case{nn::ValleyToy::two, {1.0, -2.0, 0.2, 0.5}, {0.0, 0.0, 0.1, 0.1}}),
    [](const auto& info) { return "case" + std::to_string(info.index); });

TEST(ToyValleyModel, StartsAtTheConfiguredPointWithZeroDisplacement) {
  const Toy toy(nn::ValleyToy::one, {0.0, 0.0, 1.0, 1.0});
  const Vector theta = toy.model->initial_parameters(12345);
  EXPECT_EQ(theta, Vector(4, 0.0));
  EXPECT_EQ(toy.model->layout().blocks().at(0).name, "toy.theta");
  // On the floor the Hessian is diag(λ1, λ2, 0, 0): 4 and 6 at (1, 1), trace 10.
  Toy copy(nn::ValleyToy::one, {0.0, 0.0, 1.0, 1.0});
  HostProblem problem(*copy.model, copy.data);
  const auto all = nn::ParamSubset::all(copy.model->layout());
  const Dense h = assemble([&](const Vector& e) { return problem.curvature(theta, all, nn::Curvature::hessian, e); }, 4);
  EXPECT_NEAR(h(0, 0), 4.0, 1e-14);
  EXPECT_NEAR(h(1, 1), 6.0, 1e-14);
  EXPECT_EQ(h(2, 2) + h(3, 3), 0.0);
}

TEST(ToyValleyConfig, RefusesSettingsItCannotRunNamingTheKey) {
  const std::string good_data = "data: {name: synthetic, synthetic: {task: quadratic, count: 4, features: 2}}\n";
  EXPECT_EQ(config_error_key(good_data + "model: {type: toy_valley_1, loss: mse, toy: {start: [0, 0, 1]}}\n"),
            "model.toy.start");
  EXPECT_EQ(config_error_key(good_data + "model: {type: toy_valley_2, loss: cross_entropy}\n"), "model.loss");
  EXPECT_EQ(config_error_key("data: {name: synthetic, synthetic: {task: quadratic, count: 4, features: 3}}\n"
                             "model: {type: toy_valley_1, loss: mse}\n"),
            "data.synthetic.features");
  EXPECT_EQ(config_error_key("data: {name: synthetic, synthetic: {count: 4, features: 2}}\n"
                             "model: {type: toy_valley_1, loss: mse}\n"),
            "data.synthetic.task");
}

}  // namespace
}  // namespace hesscov::testing
