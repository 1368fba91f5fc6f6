// Hessian and Gauss-Newton products against finite differences of the gradient, dense matrices
// assembled column by column, exact identities and closed forms.
#include <gtest/gtest.h>

#include <cmath>

#include "backend/backend.hpp"
#include "support/cases.hpp"
#include "support/reference.hpp"

namespace hesscov::testing {
namespace {


/// Largest |eigenvalue| of a symmetric dense matrix by power iteration on A^2.
double spectral_norm(const Dense& a) {
  Vector v = random_vector(a.rows, 99);
  double estimate = 0.0;
  for (int iteration = 0; iteration < 200; ++iteration) {
    Vector w = a.times(a.times(v));
    estimate = std::sqrt(norm(w) / norm(v));
    const double scale = 1.0 / norm(w);
    for (auto& x : w) x *= scale;
    v = w;
  }
  return estimate;
}

class CurvatureTest : public ::testing::TestWithParam<EngineCase> {
 protected:
  void SetUp() override {
    const EngineCase c = GetParam();
    model_ = nn::make_mlp(backend::make_cpu_backend(), {{5, 4, 3, 3}, c.bias, c.activation, c.loss});
    data_ = synthetic_data(8, 5, 3, c.loss, 21);
    problem_ = std::make_unique<HostProblem>(*model_, data_);
    params_ = model_->initial_parameters(7);
  }
  Vector hvp(const nn::ParamSubset& subset, const Vector& v, nn::Curvature kind = nn::Curvature::hessian) {
    return problem_->curvature(params_, subset, kind, v);
  }
  std::unique_ptr<nn::Model> model_;
  SyntheticData data_;
  std::unique_ptr<HostProblem> problem_;
  Vector params_;
};

TEST_P(CurvatureTest, HessianProductMatchesDifferencesOfTheGradient) {
  const auto all = nn::ParamSubset::all(model_->layout());
  const Vector v = random_vector(all.size(), 31);
  const double h = 1e-6;
  Vector plus = params_, minus = params_;
  for (size_t i = 0; i < v.size(); ++i) {
    plus[i] += h * v[i];
    minus[i] -= h * v[i];
  }
  const Vector gp = problem_->gradient(plus, all), gm = problem_->gradient(minus, all);
  Vector reference(v.size());
  for (size_t i = 0; i < v.size(); ++i) reference[i] = (gp[i] - gm[i]) / (2 * h);
  EXPECT_LT(relative_error(hvp(all, v), reference), 1e-6);
}

TEST_P(CurvatureTest, AssembledHessianMatchesDenseFiniteDifferenceHessian) {
  const auto all = nn::ParamSubset::all(model_->layout());
  const Dense exact = assemble([&](const Vector& e) { return hvp(all, e); }, all.size());
  const Dense reference = fd_jacobian([&](const Vector& p) { return problem_->gradient(p, all); },
                                      params_, model_->layout(), all, 1e-5);
  EXPECT_LT(relative_error(exact.values, reference.values), 1e-6);
  const Vector v = random_vector(all.size(), 32);
  EXPECT_LT(relative_error(hvp(all, v), reference.times(v)), 1e-6);
}

TEST_P(CurvatureTest, HessianProductIsSymmetric) {
  const auto all = nn::ParamSubset::all(model_->layout());
  const Dense hessian = assemble([&](const Vector& e) { return hvp(all, e); }, all.size());
  const double scale = spectral_norm(hessian);
  ASSERT_GT(scale, 0.0);
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    const Vector v = random_vector(all.size(), 100 + seed), w = random_vector(all.size(), 200 + seed);
    const double gap = std::abs(dot(v, hvp(all, w)) - dot(w, hvp(all, v)));
    EXPECT_LE(gap, 1e-12 * norm(v) * norm(w) * scale);
  }
}

TEST_P(CurvatureTest, GaussNewtonIsSymmetricPositiveSemidefinite) {
  const auto all = nn::ParamSubset::all(model_->layout());
  const Dense ggn = assemble([&](const Vector& e) { return hvp(all, e, nn::Curvature::gauss_newton); },
                             all.size());
  EXPECT_LE(ggn.max_asymmetry(), 1e-14 * ggn.frobenius());
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    const Vector v = random_vector(all.size(), 300 + seed);
    EXPECT_GE(dot(v, ggn.times(v)), -1e-14 * ggn.frobenius() * dot(v, v));
  }
}

TEST_P(CurvatureTest, BlockProductIsTheRestrictionOfTheFullProduct) {
  const auto all = nn::ParamSubset::all(model_->layout());
  const auto block = nn::ParamSubset::of(model_->layout(), {"fc2.weight"});
  const Vector v = random_vector(block.size(), 33);
  for (auto kind : {nn::Curvature::hessian, nn::Curvature::gauss_newton}) {
    const Vector full = hvp(all, block.embed(model_->layout(), v), kind);
    EXPECT_LT(relative_error(hvp(block, v, kind), block.restrict(model_->layout(), full)), 1e-13);
  }
}

TEST_P(CurvatureTest, PerSampleHessianProductsMatchDensePerSampleHessians) {
  const auto all = nn::ParamSubset::all(model_->layout());
  const index size = all.size();
  const Vector v = random_vector(size, 34);
  Vector rows(static_cast<size_t>(data_.samples * size));
  model_->per_sample_curvature_products(problem_->workspace(), params_.data(),
                                        problem_->batch(0, data_.samples), all,
                                        nn::Curvature::hessian, v.data(), rows.data());
  for (index n = 0; n < data_.samples; ++n) {
    const Dense hessian_n = fd_jacobian(
        [&](const Vector& p) { return problem_->sample_gradient(p, all, n); }, params_,
        model_->layout(), all, 1e-5);
    const Vector row(rows.begin() + n * size, rows.begin() + (n + 1) * size);
    EXPECT_LT(relative_error(row, hessian_n.times(v)), 1e-6) << "sample " << n;
  }
}

INSTANTIATE_TEST_SUITE_P(AllLayersAndLosses, CurvatureTest, ::testing::ValuesIn(all_engine_cases()), engine_case_name);

/// With one weight block of a ReLU network, the outputs are piecewise linear in that block, so
/// the block Hessian equals the block Gauss-Newton matrix exactly (for losses convex in z).
TEST(CurvatureIdentity, ReluBlockHessianEqualsGaussNewtonBlock) {
  for (const char* loss : {"cross_entropy", "mse"}) {
    for (bool bias : {false, true}) {
      const auto model = nn::make_mlp(backend::make_cpu_backend(),
                                      {{6, 5, 5, 3}, bias, nn::ActivationKind::relu, loss});
      const SyntheticData data = synthetic_data(10, 6, 3, loss, 41);
      HostProblem problem(*model, data);
      const Vector params = model->initial_parameters(8);
      for (const char* name : {"fc1.weight", "fc2.weight", "fc3.weight"}) {
        const auto block = nn::ParamSubset::of(model->layout(), {name});
        const Dense hessian = assemble(
            [&](const Vector& e) { return problem.curvature(params, block, nn::Curvature::hessian, e); },
            block.size());
        const Dense ggn = assemble(
            [&](const Vector& e) { return problem.curvature(params, block, nn::Curvature::gauss_newton, e); },
            block.size());
        EXPECT_LT(relative_error(hessian.values, ggn.values), 1e-12) << loss << " " << name;
      }
    }
  }
}

/// The same identity fails for tanh, where the network's own curvature enters: the check above can
/// tell the two products apart.
TEST(CurvatureIdentity, TanhBlockHessianDiffersFromGaussNewton) {
  const auto model = nn::make_mlp(backend::make_cpu_backend(),
                                  {{6, 5, 5, 3}, false, nn::ActivationKind::tanh, "cross_entropy"});
  const SyntheticData data = synthetic_data(10, 6, 3, "cross_entropy", 42);
  HostProblem problem(*model, data);
  const Vector params = model->initial_parameters(9);
  const auto block = nn::ParamSubset::of(model->layout(), {"fc1.weight"});
  const Vector v = random_vector(block.size(), 43);
  EXPECT_GT(relative_error(problem.curvature(params, block, nn::Curvature::hessian, v),
                           problem.curvature(params, block, nn::Curvature::gauss_newton, v)),
            1e-3);
}

/// Linear model with squared error: H = GGN = (X^T X / N) (x) I_out, a closed form.
TEST(CurvatureClosedForm, LinearRegressionHessianIsTheInputSecondMoment) {
  const index in = 4, out = 3, samples = 12;
  const auto model = nn::make_mlp(backend::make_cpu_backend(),
                                  {{in, out}, false, nn::ActivationKind::identity, "mse"});
  const SyntheticData data = synthetic_data(samples, in, out, "mse", 51);
  HostProblem problem(*model, data);
  const Vector params = model->initial_parameters(10);
  const auto all = nn::ParamSubset::all(model->layout());
  Dense expected(out * in, out * in);  // W is [out x in] row-major: coordinate a*in + b
  for (index a = 0; a < out; ++a)
    for (index b = 0; b < in; ++b)
      for (index c = 0; c < in; ++c) {
        double moment = 0.0;
        for (index n = 0; n < samples; ++n)
          moment += data.inputs[static_cast<size_t>(n * in + b)] * data.inputs[static_cast<size_t>(n * in + c)];
        expected(a * in + b, a * in + c) = moment / static_cast<double>(samples);
      }
  for (auto kind : {nn::Curvature::hessian, nn::Curvature::gauss_newton}) {
    const Dense exact = assemble([&](const Vector& e) { return problem.curvature(params, all, kind, e); },
                                 all.size());
    EXPECT_LT(relative_error(exact.values, expected.values), 1e-14);
  }
}

/// Softmax cross-entropy of a linear model: H = (1/N) sum_n (x_n x_n^T) (x) (diag p_n - p_n p_n^T).
TEST(CurvatureClosedForm, SoftmaxRegressionHessianIsTheKroneckerSum) {
  const index in = 3, out = 4, samples = 9;
  const auto model = nn::make_mlp(backend::make_cpu_backend(),
                                  {{in, out}, false, nn::ActivationKind::identity, "cross_entropy"});
  const SyntheticData data = synthetic_data(samples, in, out, "cross_entropy", 52);
  HostProblem problem(*model, data);
  const Vector params = model->initial_parameters(11);
  Dense expected(out * in, out * in);
  for (index n = 0; n < samples; ++n) {
    const double* x = data.inputs.data() + n * in;
    Vector logits(static_cast<size_t>(out), 0.0), p(static_cast<size_t>(out));
    double total = 0.0;
    for (index a = 0; a < out; ++a) {
      for (index b = 0; b < in; ++b) logits[static_cast<size_t>(a)] += params[static_cast<size_t>(a * in + b)] * x[b];
      p[static_cast<size_t>(a)] = std::exp(logits[static_cast<size_t>(a)]);
      total += p[static_cast<size_t>(a)];
    }
    for (auto& value : p) value /= total;
    for (index a = 0; a < out; ++a)
      for (index c = 0; c < out; ++c) {
        const double curvature = (a == c ? p[static_cast<size_t>(a)] : 0.0) - p[static_cast<size_t>(a)] * p[static_cast<size_t>(c)];
        for (index b = 0; b < in; ++b)
          for (index d = 0; d < in; ++d)
            expected(a * in + b, c * in + d) += x[b] * x[d] * curvature / static_cast<double>(samples);
      }
  }
  const auto all = nn::ParamSubset::all(model->layout());
  const Dense exact = assemble(
      [&](const Vector& e) { return problem.curvature(params, all, nn::Curvature::hessian, e); }, all.size());
  EXPECT_LT(relative_error(exact.values, expected.values), 1e-13);
}

}  // namespace
}  // namespace hesscov::testing
