// Models with exact answers, built the way a run builds them (core::Config with the job schema ->
// data::load_dataset -> nn::make_model): linear regression, whose Hessian is X^T X / N (x) I, and
// the Study 4 quadratic loss, whose Hessian is diag(lambda) and whose noise covariance is diag(c).
// Every reference is computed here from the inputs and the formulas, never from the engine.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <typeinfo>

#include "apps/eig_stage.hpp"
#include "apps/run_setup.hpp"
#include "backend/backend.hpp"
#include "core/config.hpp"
#include "data/data_config.hpp"
#include "nn/model_config.hpp"
#include "nn/quadratic.hpp"
#include "support/configured.hpp"
#include "support/reference.hpp"

namespace hesscov::testing {
namespace {

/// Runs `f`, expects exactly an E.
template <class E>
void expect_exactly(const std::function<void()>& f) {
  try {
    f();
    ADD_FAILURE() << "no exception, expected " << typeid(E).name();
  } catch (const core::Error& error) {
    EXPECT_EQ(typeid(error), typeid(E)) << error.what();
  }
}

double max_abs_diff(const Vector& a, const Vector& b) {
  double worst = 0.0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
  return worst;
}

// ---------------------------------------------------------------------------------------------
// Linear regression

std::string linear_yaml(const std::string& task, bool bias, const std::string& extra = "") {
  return "data: {name: synthetic, synthetic: {task: " + task +
         ", count: 23, features: 4, classes: 3, seed: 3, noise: 0.4, input_scales: [0.5, 1.0, 2.0, 1.5]" + extra +
         "}}\nmodel: {type: linear, loss: mse, bias: " + (bias ? "true" : "false") + "}\n";
}

/// [X 1] (with bias) or X, row n the sample's input.
Dense design_matrix(const SyntheticData& data, index features, bool bias) {
  Dense design(data.samples, features + (bias ? 1 : 0));
  for (index n = 0; n < data.samples; ++n) {
    for (index j = 0; j < features; ++j) design(n, j) = data.inputs[static_cast<size_t>(n * features + j)];
    if (bias) design(n, features) = 1.0;
  }
  return design;
}

/// The closed form H = (A^T A / N) (x) I_out in the layout W [out x in] (coordinate a * in + b),
/// then b [out] (coordinate out * in + a), A the design matrix.
Dense linear_hessian(const Dense& design, index features, index outputs, bool bias) {
  const index size = outputs * features + (bias ? outputs : 0);
  auto coordinate = [&](index a, index b) { return b < features ? a * features + b : outputs * features + a; };
  Dense hessian(size, size);
  for (index a = 0; a < outputs; ++a)
    for (index b = 0; b < design.cols; ++b)
      for (index d = 0; d < design.cols; ++d) {
        double moment = 0.0;
        for (index n = 0; n < design.rows; ++n) moment += design(n, b) * design(n, d);
        hessian(coordinate(a, b), coordinate(a, d)) = moment / static_cast<double>(design.rows);
      }
  return hessian;
}

/// Per-sample gradients of 1/2 ||W x + b - t||^2: g_n = r_n (x) [x_n 1], r_n = W x_n + b - t_n.
std::vector<Vector> linear_sample_gradients(const Vector& params, const Dense& design, const SyntheticData& data,
                                            index features, index outputs, bool bias) {
  std::vector<Vector> gradients;
  for (index n = 0; n < data.samples; ++n) {
    Vector g(params.size(), 0.0);
    for (index a = 0; a < outputs; ++a) {
      double residual = -data.targets[static_cast<size_t>(n * outputs + a)];
      for (index b = 0; b < features; ++b) residual += params[static_cast<size_t>(a * features + b)] * design(n, b);
      if (bias) residual += params[static_cast<size_t>(outputs * features + a)];
      for (index b = 0; b < features; ++b) g[static_cast<size_t>(a * features + b)] = residual * design(n, b);
      if (bias) g[static_cast<size_t>(outputs * features + a)] = residual;
    }
    gradients.push_back(g);
  }
  return gradients;
}

/// C v = (1/N) J^T (J v) - gbar (gbar . v) from the engine's J v and weighted J^T w, the way
/// nn::DatasetEvaluator::covariance_product composes it.
Vector engine_covariance_product(const nn::Model& model, HostProblem& problem, const Vector& params,
                                 const SyntheticData& data, const Vector& v) {
  const auto all = nn::ParamSubset::all(model.layout());
  Vector jv(static_cast<size_t>(data.samples));
  model.jacobian_product(problem.workspace(), params.data(), problem.batch(0, data.samples), all, v.data(),
                         jv.data());
  Vector product(v.size(), 0.0);
  model.gradient(problem.workspace(), params.data(), problem.batch(0, data.samples), all, jv.data(),
                 1.0 / static_cast<double>(data.samples), product.data());
  const Vector mean = problem.gradient(params, all);
  const double mean_dot_v = dot(mean, v);
  for (size_t i = 0; i < v.size(); ++i) product[i] -= mean[i] * mean_dot_v;
  return product;
}

class LinearModel : public ::testing::TestWithParam<std::tuple<std::string, bool>> {};

TEST_P(LinearModel, IsOneLinearLayerFromTheDataFeaturesToItsOutputs) {
  const auto [task, bias] = GetParam();
  const Configured c(linear_yaml(task, bias));
  const index outputs = task == "regression" ? 1 : 3;
  ASSERT_EQ(c.model->layers().size(), 1u);
  EXPECT_EQ(c.model->layers()[0]->kind(), "linear");
  EXPECT_EQ(c.model->in_features(), 4);
  EXPECT_EQ(c.model->out_features(), outputs);
  EXPECT_EQ(c.model->loss().name(), "mse");
  const auto& blocks = c.model->layout().blocks();
  ASSERT_EQ(blocks.size(), bias ? 2u : 1u);
  EXPECT_EQ(blocks[0].name, "fc1.weight");
  EXPECT_EQ(blocks[0].shape, (std::vector<index>{outputs, 4}));
  if (bias) EXPECT_EQ(blocks[1].name, "fc1.bias");
  EXPECT_EQ(c.model->num_params(), outputs * 4 + (bias ? outputs : 0));
  EXPECT_NE(c.model->summary().find("fc1: linear 4 -> " + std::to_string(outputs)), std::string::npos)
      << c.model->summary();
}

TEST_P(LinearModel, GradientMatchesCentralDifferences) {
  const auto [task, bias] = GetParam();
  const Configured c(linear_yaml(task, bias));
  HostProblem problem(*c.model, c.data);
  const Vector params = c.model->initial_parameters(5);
  const auto all = nn::ParamSubset::all(c.model->layout());
  const Vector exact = problem.gradient(params, all);
  const Vector reference =
      fd_gradient([&](const Vector& p) { return problem.loss(p); }, params, c.model->layout(), all, 1e-5);
  // The loss is quadratic, so central differences are exact up to rounding (~1e-16 / 1e-5).
  EXPECT_LT(relative_error(exact, reference), 1e-8);
  EXPECT_GT(norm(exact), 1e-2);
}

TEST_P(LinearModel, HessianAndGaussNewtonAreTheInputSecondMomentTimesIdentity) {
  const auto [task, bias] = GetParam();
  const Configured c(linear_yaml(task, bias));
  const index outputs = c.model->out_features();
  HostProblem problem(*c.model, c.data);
  const Vector params = c.model->initial_parameters(6);
  const auto all = nn::ParamSubset::all(c.model->layout());
  const Dense expected = linear_hessian(design_matrix(c.data, 4, bias), 4, outputs, bias);
  ASSERT_EQ(expected.rows, all.size());
  for (auto kind : {nn::Curvature::hessian, nn::Curvature::gauss_newton}) {
    const Dense exact = assemble([&](const Vector& e) { return problem.curvature(params, all, kind, e); }, all.size());
    EXPECT_LT(max_abs_diff(exact.values, expected.values), 1e-12);
    for (std::uint64_t seed = 0; seed < 3; ++seed) {
      const Vector v = random_vector(all.size(), 60 + seed);
      EXPECT_LT(max_abs_diff(problem.curvature(params, all, kind, v), expected.times(v)), 1e-12 * norm(v));
    }
  }
  // The scales make the moment matrix far from the identity, so the check has teeth.
  EXPECT_GT(expected(2, 2), 2.0);
  EXPECT_LT(expected(0, 0), 0.5);
}

TEST_P(LinearModel, CovarianceProductMatchesExplicitPerSampleGradients) {
  const auto [task, bias] = GetParam();
  const Configured c(linear_yaml(task, bias));
  const index outputs = c.model->out_features(), size = c.model->num_params();
  HostProblem problem(*c.model, c.data);
  const Vector params = c.model->initial_parameters(7);
  const auto all = nn::ParamSubset::all(c.model->layout());
  const Dense design = design_matrix(c.data, 4, bias);
  const std::vector<Vector> gradients = linear_sample_gradients(params, design, c.data, 4, outputs, bias);

  Vector rows(static_cast<size_t>(c.data.samples * size));
  c.model->per_sample_gradients(problem.workspace(), params.data(), problem.batch(0, c.data.samples), all,
                                rows.data());
  for (index n = 0; n < c.data.samples; ++n)
    EXPECT_LT(max_abs_diff(Vector(rows.begin() + n * size, rows.begin() + (n + 1) * size),
                           gradients[static_cast<size_t>(n)]),
              1e-13)
        << "sample " << n;

  Dense covariance(size, size);
  Vector mean(static_cast<size_t>(size), 0.0);
  const double inv_n = 1.0 / static_cast<double>(c.data.samples);
  for (const Vector& g : gradients)
    for (index i = 0; i < size; ++i) mean[static_cast<size_t>(i)] += g[static_cast<size_t>(i)] * inv_n;
  for (const Vector& g : gradients)
    for (index i = 0; i < size; ++i)
      for (index j = 0; j < size; ++j)
        covariance(i, j) += (g[static_cast<size_t>(i)] - mean[static_cast<size_t>(i)]) *
                            (g[static_cast<size_t>(j)] - mean[static_cast<size_t>(j)]) * inv_n;
  for (std::uint64_t seed = 0; seed < 3; ++seed) {
    const Vector v = random_vector(size, 70 + seed);
    const Vector reference = covariance.times(v);
    EXPECT_LT(relative_error(engine_covariance_product(*c.model, problem, params, c.data, v), reference), 1e-12);
    EXPECT_GT(norm(reference), 1e-3 * norm(v));
  }
}

INSTANTIATE_TEST_SUITE_P(TasksAndBias, LinearModel,
                         ::testing::Combine(::testing::Values(std::string("regression"), std::string("classification")),
                                            ::testing::Bool()),
                         [](const auto& info) {
                           return std::get<0>(info.param) + (std::get<1>(info.param) ? "_bias" : "_nobias");
                         });

TEST(LinearModelConfig, NeedsDataWithOutputs) {
  // The default loss (cross_entropy) is allowed: softmax regression on classification data.
  const Configured softmax("data: {name: synthetic, synthetic: {count: 10, features: 3, classes: 4}}\n"
                           "model: {type: linear}\n");
  EXPECT_EQ(softmax.model->loss().name(), "cross_entropy");
  EXPECT_EQ(softmax.model->num_params(), 12);
}

// ---------------------------------------------------------------------------------------------
// The quadratic model

const Vector kSpectrum{4.0, 2.5, 1.0, 0.25, 0.0};
const Vector kNoise{2.0, 0.5, 1.0, 0.1, 0.0};

std::string quadratic_yaml(index count, const std::string& model_extra = "", const std::string& task = "quadratic",
                           index features = 5) {
  return "data: {name: synthetic, synthetic: {task: " + task + ", count: " + std::to_string(count) +
         ", features: " + std::to_string(features) +
         ", seed: 11}}\nmodel: {type: quadratic, quadratic: {spectrum: [4, 2.5, 1, 0.25, 0], "
         "noise: [2, 0.5, 1, 0.1, 0]}" +
         (model_extra.find("loss:") == std::string::npos ? ", loss: mse" : "") + model_extra + "}\n";
}

/// sigma_i = sqrt(c_i / lambda_i), 0 where c_i = 0.
double sigma(size_t i) { return kNoise[i] == 0.0 ? 0.0 : std::sqrt(kNoise[i] / kSpectrum[i]); }

/// The residual z_ni = sqrt(lambda_i) theta_i - sigma_i x_ni.
double residual(const Vector& theta, const SyntheticData& data, index n, size_t i) {
  return std::sqrt(kSpectrum[i]) * theta[i] - sigma(i) * data.inputs[static_cast<size_t>(n) * kSpectrum.size() + i];
}

TEST(QuadraticModel, BuiltFromConfigHasOneBlockZeroStartAndZeroTargets) {
  const Configured c(quadratic_yaml(50));
  ASSERT_EQ(c.model->layers().size(), 1u);
  EXPECT_EQ(c.model->layers()[0]->kind(), "quadratic");
  EXPECT_EQ(c.model->in_features(), 5);
  EXPECT_EQ(c.model->out_features(), 5);
  EXPECT_EQ(c.model->loss().name(), "mse");
  ASSERT_EQ(c.model->layout().blocks().size(), 1u);
  EXPECT_EQ(c.model->layout().blocks()[0].name, "quad.theta");
  EXPECT_EQ(c.model->layout().blocks()[0].shape, (std::vector<index>{5}));
  EXPECT_EQ(c.model->summary(), "  quad: quadratic 5 -> 5, 5 parameters\n  loss: mse; total 5 parameters");
  EXPECT_EQ(c.model->initial_parameters(9), Vector(5, 0.0));
  EXPECT_EQ(c.dataset.num_classes, 5);
  EXPECT_EQ(c.data.targets, Vector(50 * 5, 0.0));
  // model.bias and model.activation do not change the model.
  const Configured biased(quadratic_yaml(50, ", bias: true, activation: tanh"));
  EXPECT_EQ(biased.model->num_params(), 5);
}

TEST(QuadraticModel, LossValuesMatchTheFormula) {
  const Configured c(quadratic_yaml(40));
  HostProblem problem(*c.model, c.data);
  const Vector theta = random_vector(5, 81);
  Vector losses(static_cast<size_t>(c.data.samples));
  c.model->per_sample_losses(problem.workspace(), theta.data(), problem.batch(0, c.data.samples), losses.data());
  double mean = 0.0;
  for (index n = 0; n < c.data.samples; ++n) {
    double expected = 0.0;
    for (size_t i = 0; i < 5; ++i) expected += 0.5 * residual(theta, c.data, n, i) * residual(theta, c.data, n, i);
    EXPECT_NEAR(losses[static_cast<size_t>(n)], expected, 1e-14 * expected) << "sample " << n;
    mean += expected / static_cast<double>(c.data.samples);
  }
  EXPECT_NEAR(problem.loss(theta), mean, 1e-13 * mean);
}

TEST(QuadraticModel, GradientMatchesCentralDifferencesAndTheFormula) {
  const Configured c(quadratic_yaml(40));
  HostProblem problem(*c.model, c.data);
  const Vector theta = random_vector(5, 82);
  const auto all = nn::ParamSubset::all(c.model->layout());
  const Vector exact = problem.gradient(theta, all);
  const Vector reference =
      fd_gradient([&](const Vector& p) { return problem.loss(p); }, theta, c.model->layout(), all, 1e-5);
  EXPECT_LT(relative_error(exact, reference), 1e-8);
  Vector formula(5, 0.0);
  for (index n = 0; n < c.data.samples; ++n)
    for (size_t i = 0; i < 5; ++i)
      formula[i] += std::sqrt(kSpectrum[i]) * residual(theta, c.data, n, i) / static_cast<double>(c.data.samples);
  EXPECT_LT(max_abs_diff(exact, formula), 1e-13);
  EXPECT_GT(norm(exact), 0.1);
  EXPECT_EQ(exact[4], 0.0);  // the flat direction
}

TEST(QuadraticModel, HessianAndGaussNewtonProductsAreLambdaTimesV) {
  const Configured c(quadratic_yaml(64));
  HostProblem problem(*c.model, c.data);
  const Vector theta = random_vector(5, 83);
  const auto all = nn::ParamSubset::all(c.model->layout());
  for (auto kind : {nn::Curvature::hessian, nn::Curvature::gauss_newton}) {
    for (std::uint64_t seed = 0; seed < 3; ++seed) {
      const Vector v = random_vector(5, 90 + seed);
      const Vector hv = problem.curvature(theta, all, kind, v);
      // 64 terms of sqrt(lambda) v / 64 summed, then one more product: a few ulps.
      for (size_t i = 0; i < 5; ++i) EXPECT_NEAR(hv[i], kSpectrum[i] * v[i], 1e-14 * std::abs(kSpectrum[i] * v[i]));
    }
    // Every per-sample Hessian is diag(lambda).
    const Vector v = random_vector(5, 99);
    Vector rows(static_cast<size_t>(c.data.samples * 5));
    c.model->per_sample_curvature_products(problem.workspace(), theta.data(), problem.batch(0, c.data.samples), all,
                                           kind, v.data(), rows.data());
    for (index n = 0; n < c.data.samples; ++n)
      for (size_t i = 0; i < 5; ++i)
        EXPECT_NEAR(rows[static_cast<size_t>(n) * 5 + i], kSpectrum[i] * v[i], 2e-15 * std::abs(kSpectrum[i] * v[i]))
            << "sample " << n;
  }
}

TEST(QuadraticModel, PerSampleGradientsMatchTheFormula) {
  const Configured c(quadratic_yaml(30));
  HostProblem problem(*c.model, c.data);
  const Vector theta = random_vector(5, 84);
  const auto all = nn::ParamSubset::all(c.model->layout());
  Vector rows(static_cast<size_t>(c.data.samples * 5));
  c.model->per_sample_gradients(problem.workspace(), theta.data(), problem.batch(0, c.data.samples), all, rows.data());
  for (index n = 0; n < c.data.samples; ++n)
    for (size_t i = 0; i < 5; ++i) {
      const double expected = std::sqrt(kSpectrum[i]) * residual(theta, c.data, n, i);
      EXPECT_NEAR(rows[static_cast<size_t>(n) * 5 + i], expected, 1e-15 * (1.0 + std::abs(expected)))
          << "sample " << n << ", coordinate " << i;
    }
  // Each row is also the gradient of that sample's loss alone (finite differences).
  for (index n = 0; n < 3; ++n) {
    const Vector reference = fd_gradient([&](const Vector& p) { return problem.sample_loss(p, n); }, theta,
                                         c.model->layout(), all, 1e-5);
    EXPECT_LT(relative_error(Vector(rows.begin() + n * 5, rows.begin() + (n + 1) * 5), reference), 1e-8);
  }
}

TEST(QuadraticModel, CenteredCovarianceIsDiagonalLambdaSigmaSquaredTimesTheSampleVariance) {
  const index count = 20000;
  const Configured c(quadratic_yaml(count));
  HostProblem problem(*c.model, c.data);
  const Vector theta = random_vector(5, 85);
  const auto all = nn::ParamSubset::all(c.model->layout());
  Vector rows(static_cast<size_t>(count * 5));
  c.model->per_sample_gradients(problem.workspace(), theta.data(), problem.batch(0, count), all, rows.data());

  // C from the engine's per-sample gradients; mean and covariance of the inputs actually drawn.
  const double inv_n = 1.0 / static_cast<double>(count);
  Vector g_mean(5, 0.0), x_mean(5, 0.0);
  for (index n = 0; n < count; ++n)
    for (size_t i = 0; i < 5; ++i) {
      g_mean[i] += rows[static_cast<size_t>(n) * 5 + i] * inv_n;
      x_mean[i] += c.data.inputs[static_cast<size_t>(n) * 5 + i] * inv_n;
    }
  Dense covariance(5, 5), x_covariance(5, 5);
  for (index n = 0; n < count; ++n)
    for (index i = 0; i < 5; ++i)
      for (index j = 0; j < 5; ++j) {
        const auto at = [&](const Vector& m, index k) { return m[static_cast<size_t>(n * 5 + k)]; };
        covariance(i, j) += (at(rows, i) - g_mean[static_cast<size_t>(i)]) *
                            (at(rows, j) - g_mean[static_cast<size_t>(j)]) * inv_n;
        x_covariance(i, j) += (at(c.data.inputs, i) - x_mean[static_cast<size_t>(i)]) *
                              (at(c.data.inputs, j) - x_mean[static_cast<size_t>(j)]) * inv_n;
      }
  for (index i = 0; i < 5; ++i)
    for (index j = 0; j < 5; ++j) {
      const auto si = static_cast<size_t>(i), sj = static_cast<size_t>(j);
      // Exact algebra: g_ni - gbar_i = -sqrt(lambda_i) sigma_i (x_ni - xbar_i), so
      // C_ij = sqrt(lambda_i lambda_j) sigma_i sigma_j Cov_N(x_i, x_j), lambda_i sigma_i^2 = c_i.
      const double identity = std::sqrt(kSpectrum[si] * kSpectrum[sj]) * sigma(si) * sigma(sj) * x_covariance(i, j);
      EXPECT_NEAR(covariance(i, j), identity, 1e-12 * std::sqrt(kNoise[si] * kNoise[sj])) << i << ", " << j;
      // Statistics at this fixed seed: the sample variance of N(0, 1) has standard deviation
      // sqrt(2/N) = 0.01 and a sample covariance 1/sqrt(N) = 0.007; the bounds are 5 of those.
      const double target = i == j ? kNoise[si] : 0.0;
      const double bound = (i == j ? 5.0 * std::sqrt(2.0 / count) : 5.0 / std::sqrt(count)) *
                           std::sqrt(kNoise[si] * kNoise[sj]);
      EXPECT_NEAR(covariance(i, j), target, bound) << i << ", " << j;
    }
  EXPECT_EQ(covariance(4, 4), 0.0);  // lambda = 0: no gradient, no noise
  // The matrix-free C v (J v, then J^T w) agrees with the assembled covariance.
  const Vector v = random_vector(5, 86);
  EXPECT_LT(relative_error(engine_covariance_product(*c.model, problem, theta, c.data, v), covariance.times(v)),
            1e-10);
}

TEST(QuadraticModel, ConfigErrorsNameTheirKeys) {
  // Lists of different lengths, an empty spectrum, c > 0 where lambda = 0.
  EXPECT_EQ(config_error_key("data: {name: synthetic, synthetic: {task: quadratic, features: 2}}\n"
                             "model: {type: quadratic, loss: mse, quadratic: {spectrum: [1, 2], noise: [1]}}"),
            "model.quadratic.noise");
  EXPECT_EQ(config_error_key("data: {name: synthetic, synthetic: {task: quadratic, features: 2}}\n"
                             "model: {type: quadratic, loss: mse}"),
            "model.quadratic.spectrum");
  EXPECT_EQ(config_error_key("data: {name: synthetic, synthetic: {task: quadratic, features: 2}}\n"
                             "model: {type: quadratic, loss: mse, quadratic: {spectrum: [1, 0], noise: [1, 0.5]}}"),
            "model.quadratic.noise");
  // Negative entries: the schema names the entry.
  EXPECT_EQ(config_error_key("model: {type: quadratic, quadratic: {spectrum: [1, -2], noise: [1, 1]}}"),
            "model.quadratic.spectrum[1]");
  EXPECT_EQ(config_error_key("model: {type: quadratic, quadratic: {spectrum: [1, 2], noise: [-1, 1]}}"),
            "model.quadratic.noise[0]");
  // The data must be the quadratic task with P features, the loss mse.
  EXPECT_EQ(config_error_key(quadratic_yaml(10, "", "quadratic", 4)), "data.synthetic.features");
  EXPECT_EQ(config_error_key(quadratic_yaml(10, "", "quadratic", 6)), "data.synthetic.features");
  EXPECT_EQ(config_error_key(quadratic_yaml(10, "", "regression")), "data.synthetic.task");
  EXPECT_EQ(config_error_key(quadratic_yaml(10, "", "classification")), "data.synthetic.task");
  // model.loss left at its default (cross_entropy), or another loss.
  EXPECT_EQ(config_error_key("data: {name: synthetic, synthetic: {task: quadratic, features: 5}}\n"
                             "model: {type: quadratic, quadratic: {spectrum: [4, 2.5, 1, 0.25, 0], "
                             "noise: [2, 0.5, 1, 0.1, 0]}}"),
            "model.loss");
  EXPECT_EQ(config_error_key(quadratic_yaml(10, ", loss: softmax_mse")), "model.loss");
}

TEST(QuadraticModel, DataOtherThanSyntheticIsAConfigErrorNamingDataName) {
  // make_model alone (load_dataset would need the IDX files): the check reads data.name.
  const core::Schema schema = configured_schema();
  for (const char* name : {"idx", "cifar10"}) {
    const auto config = core::Config::load_string(
        std::string("data: {name: ") + name + "}\nmodel: {type: quadratic, loss: mse, quadratic: {spectrum: [1], noise: [1]}}",
        schema, "q.yaml");
    try {
      (void)nn::make_model(backend::make_cpu_backend(), config, {1, 1, 1}, 1);
      ADD_FAILURE() << "no error for data.name " << name;
    } catch (const core::Error& error) {
      ASSERT_EQ(typeid(error), typeid(core::ConfigError)) << error.what();
      EXPECT_EQ(static_cast<const core::ConfigError&>(error).key(), "data.name");
      EXPECT_NE(std::string(error.what()).find("data.name"), std::string::npos) << error.what();
    }
  }
}

TEST(QuadraticModel, ConfigWithoutADataSectionChecksTheShapeAgainstTheSpectrum) {
  core::Schema schema;
  nn::add_model_keys(schema);
  const auto config =
      core::Config::load_string("model: {type: quadratic, loss: mse, quadratic: {spectrum: [1, 2], noise: [0, 1]}}",
                                schema, "m.yaml");
  EXPECT_EQ(nn::make_model(backend::make_cpu_backend(), config, {1, 1, 2}, 2)->num_params(), 2);
  try {
    (void)nn::make_model(backend::make_cpu_backend(), config, {1, 1, 3}, 3);
    ADD_FAILURE() << "no error for 3 features";
  } catch (const core::ConfigError& error) {
    EXPECT_EQ(error.key(), "model.quadratic.spectrum");
  }
}

TEST(QuadraticModel, ConstructorRejectsBadSpectraWithTypedErrors) {
  expect_exactly<core::DimensionMismatch>([] { nn::Quadratic({1.0, 2.0}, {1.0}); });
  expect_exactly<core::DimensionMismatch>([] { nn::Quadratic({}, {}); });
  expect_exactly<core::Error>([] { nn::Quadratic({1.0, -1.0}, {0.0, 0.0}); });
  expect_exactly<core::Error>([] { nn::Quadratic({1.0}, {-0.5}); });
  expect_exactly<core::Error>([] { nn::Quadratic({0.0}, {1.0}); });
  expect_exactly<core::Error>([] { nn::Quadratic({std::nan("")}, {0.0}); });
  const nn::Quadratic layer({4.0, 0.0}, {2.0, 0.0});
  EXPECT_EQ(layer.scales(), (Vector{2.0, 0.0}));
  EXPECT_EQ(layer.sigmas(), (Vector{std::sqrt(0.5), 0.0}));
}

// ---------------------------------------------------------------------------------------------
// Tier (b): the quadratic layer on CUDA against the CPU (it uses only listed kernels)

TEST(CudaQuadratic, ProductsEqualTheCpuBackend) {
  if (backend::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device visible: GPU test not run";
  const auto cpu = backend::make_cpu_backend();
  const auto gpu = backend::make_cuda_backend(0);
  const index size = 37, samples = 45;  // above a warp, not a multiple of one
  nn::QuadraticSpec spec;
  for (index i = 0; i < size; ++i) {
    spec.spectrum.push_back(i % 7 == 3 ? 0.0 : 0.1 + 0.3 * static_cast<double>(i));
    spec.noise.push_back(spec.spectrum.back() == 0.0 ? 0.0 : 0.05 * static_cast<double>(i + 1));
  }
  const auto host_model = nn::make_quadratic(cpu, spec), device_model = nn::make_quadratic(gpu, spec);
  SyntheticData data;
  data.samples = samples;
  data.inputs = random_vector(samples * size, 95);
  data.targets.assign(static_cast<size_t>(samples * size), 0.0);
  const Vector theta = random_vector(size, 96), v = random_vector(size, 97);
  const auto all = nn::ParamSubset::all(host_model->layout());
  HostProblem host(*host_model, data);

  backend::Buffer<double> inputs(gpu, data.inputs), targets(gpu, data.targets), params(gpu, theta),
      direction(gpu, v), out(gpu, Vector(v.size(), 0.0)), losses(gpu, Vector(static_cast<size_t>(samples), 0.0)),
      rows(gpu, Vector(static_cast<size_t>(samples * size), 0.0));
  nn::Workspace ws(*device_model, samples);
  const nn::Batch batch{inputs.data(), targets.data(), samples};
  const double scale = 1.0 / static_cast<double>(samples);
  device_model->curvature_product(ws, params.data(), batch, all, nn::Curvature::hessian, direction.data(), scale,
                                  out.data());
  EXPECT_LT(relative_error(out.to_host(), host.curvature(theta, all, nn::Curvature::hessian, v)), 1e-13);
  out.from_host(Vector(v.size(), 0.0));
  device_model->gradient(ws, params.data(), batch, all, nullptr, scale, out.data());
  EXPECT_LT(relative_error(out.to_host(), host.gradient(theta, all)), 1e-13);
  device_model->per_sample_losses(ws, params.data(), batch, losses.data());
  Vector host_losses(static_cast<size_t>(samples));
  host_model->per_sample_losses(host.workspace(), theta.data(), host.batch(0, samples), host_losses.data());
  EXPECT_LT(relative_error(losses.to_host(), host_losses), 1e-14);
  device_model->per_sample_gradients(ws, params.data(), batch, all, rows.data());
  Vector host_rows(static_cast<size_t>(samples * size));
  host_model->per_sample_gradients(host.workspace(), theta.data(), host.batch(0, samples), all, host_rows.data());
  EXPECT_LT(relative_error(rows.to_host(), host_rows), 1e-14);
}

}  // namespace
}  // namespace hesscov::testing
