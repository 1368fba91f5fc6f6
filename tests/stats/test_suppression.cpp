// The suppression experiment: with neutral options it reproduces the mean Hessian and the AWD
// diagonal that the engine gives directly; on a hand-made example it builds the hand-computed
// matrices; invalid options throw naming the option.
#include "stats/suppression.hpp"

#include <gtest/gtest.h>

#include "support/expect.hpp"

#include <cmath>
#include <string>
#include <typeinfo>

#include "backend/backend.hpp"
#include "core/error.hpp"
#include "spectral/eigen_solver.hpp"
#include "support/reference.hpp"

namespace hesscov::testing {
namespace {

using stats::PerSampleEigen;
using stats::SuppressionOptions;

size_t at(index i) { return static_cast<size_t>(i); }

/// V diag(lambda) V^T of a rebuilt spectrum, row-major.
Dense matrix_of(const stats::RebuiltSpectrum& spectrum) {
  const auto dim = static_cast<index>(spectrum.eigvals.size());
  Dense out(dim, dim);
  for (index i = 0; i < dim; ++i)
    for (index a = 0; a < dim; ++a)
      for (index b = 0; b < dim; ++b)
        out(a, b) += spectrum.eigvals[at(i)] * spectrum.eigvecs[at(i * dim + a)] *
                     spectrum.eigvecs[at(i * dim + b)];
  return out;
}

void expect_same(const Vector& got, const Vector& expected, double tolerance, const char* what) {
  ASSERT_EQ(got.size(), expected.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], tolerance) << what << " " << i;
}

using hesscov::testing::expect_error_naming;

class SuppressionOnNetwork : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    model_ = nn::make_mlp(backend::make_cpu_backend(),
                          {{6, 5, 4, 3}, false, nn::ActivationKind::relu, GetParam()});
    data_ = synthetic_data(16, 6, 3, GetParam(), 71);
    problem_ = std::make_unique<HostProblem>(*model_, data_);
    params_ = model_->initial_parameters(18);
    eig_ = stats::per_sample_eigen(*model_, problem_->workspace(), params_.data(),
                                   problem_->batch(0, data_.samples), block(), nn::Curvature::hessian, {});
  }
  [[nodiscard]] nn::ParamSubset block() const {
    return nn::ParamSubset::of(model_->layout(), {"fc2.weight"});
  }
  std::unique_ptr<nn::Model> model_;
  SyntheticData data_;
  std::unique_ptr<HostProblem> problem_;
  Vector params_;
  PerSampleEigen eig_;
};

/// The unmodified rebuild against the engine: eig of the assembled mean block Hessian, and
/// (1/N) sum_n ||H_n v_i||^2 from per-sample products with the eigenvectors.
TEST_P(SuppressionOnNetwork, OriginalRebuildMatchesTheEngine) {
  const stats::SuppressionResult result = stats::suppression_experiment(eig_, {});
  const auto subset = block();
  const index dim = subset.size();
  const Dense hessian = assemble(
      [&](const Vector& e) { return problem_->curvature(params_, subset, nn::Curvature::hessian, e); }, dim);
  auto reference = spectral::dense_symmetric_eigen(hessian.values, dim, false).values;
  std::reverse(reference.begin(), reference.end());
  expect_same(result.original.eigvals, reference, 1e-12 * std::abs(reference.front()), "eigvals");
  Vector rows(at(data_.samples * dim)), awd(at(dim), 0.0);
  for (index i = 0; i < dim; ++i) {
    model_->per_sample_curvature_products(problem_->workspace(), params_.data(),
                                          problem_->batch(0, data_.samples), subset, nn::Curvature::hessian,
                                          result.original.eigvecs.data() + i * dim, rows.data());
    for (double value : rows) awd[at(i)] += value * value / static_cast<double>(data_.samples);
  }
  expect_same(result.original.awd_diagonal, awd, 1e-12 * awd.front(), "awd diagonal");
  EXPECT_GT(awd.front(), awd.back());
}

TEST_P(SuppressionOnNetwork, NeutralOptionsReproduceTheOriginal) {
  SuppressionOptions neutral{0.05, 1.0, 1.0, 1.0, false};
  SuppressionOptions one_stiff{1.0, 1.0, 1.0, 1.0, true};  // the mean of one sample is itself
  for (const auto& options : {neutral, one_stiff}) {
    const stats::SuppressionResult result = stats::suppression_experiment(eig_, options);
    const double scale = std::abs(result.original.eigvals.front());
    expect_same(result.suppressed.eigvals, result.original.eigvals, 1e-12 * scale, "eigvals");
    expect_same(result.suppressed.awd_diagonal, result.original.awd_diagonal, 1e-12 * scale * scale,
                "awd diagonal");
    double largest = 0.0;
    for (index n = 0; n < eig_.samples; ++n) largest = std::max(largest, eig_.values[at(n * eig_.rank)]);
    EXPECT_DOUBLE_EQ(result.threshold, options.threshold * largest);
    index stiff = 0;
    for (index n = 0; n < eig_.samples; ++n) stiff += eig_.values[at(n * eig_.rank)] >= result.threshold;
    EXPECT_EQ(result.stiff_samples, stiff);
    if (options.threshold == 1.0) EXPECT_EQ(result.stiff_samples, 1);
  }
}

INSTANTIATE_TEST_SUITE_P(SuppressionNetwork, SuppressionOnNetwork, ::testing::Values("cross_entropy", "mse"));

/// Three samples in 3 dimensions (u = (e1+e2)/sqrt2, w = (e1-e2)/sqrt2):
/// A = 4 e1e1 + 1 e2e2 - 0.5 e3e3, B = 2 uu + 1 ww + 0.3 e3e3, C = 0.5 e3e3 + 0.2 e1e1 + 0.1 e2e2.
PerSampleEigen hand_made() {
  const double r2 = 1.0 / std::sqrt(2.0);
  PerSampleEigen eig{3, 3, 3, {}, {}, {}};
  eig.values = {4.0, 1.0, -0.5, 2.0, 1.0, 0.3, 0.5, 0.2, 0.1};
  eig.vectors = {1, 0, 0, 0, 1, 0, 0, 0, 1,          //
                 r2, r2, 0, r2, -r2, 0, 0, 0, 1,      //
                 0, 0, 1, 1, 0, 0, 0, 1, 0};
  eig.traces = {4.5, 3.3, 0.8};
  return eig;
}

TEST(SuppressionHandMade, ZeroTailsGiveTheHandComputedMatrices) {
  // tau = 0.4: threshold 1.6, A and B stiff (mean 3), C soft (leading x 0.5).
  const SuppressionOptions options{0.4, 0.0, 0.5, 0.0, true};
  const stats::SuppressionResult result = stats::suppression_experiment(hand_made(), options);
  EXPECT_EQ(result.stiff_samples, 2);
  EXPECT_EQ(result.stiff, (std::vector<std::uint8_t>{1, 1, 0}));
  EXPECT_DOUBLE_EQ(result.threshold, 1.6);
  EXPECT_DOUBLE_EQ(result.stiff_leading_mean, 3.0);
  // H' = (3 e1e1 + 3 uu + 0.25 e3e3) / 3.
  const Vector suppressed = {1.5, 0.5, 0.0, 0.5, 0.5, 0.0, 0.0, 0.0, 1.0 / 12.0};
  expect_same(matrix_of(result.suppressed).values, suppressed, 1e-14, "H'");
  const double s = std::sqrt(0.5);
  expect_same(result.suppressed.eigvals, {1 + s, 1 - s, 1.0 / 12.0}, 1e-14, "eig H'");
  // C' = (9 e1e1 + 9 uu + 0.0625 e3e3) / 3: three times H' on the (e1, e2) plane.
  expect_same(result.suppressed.awd_diagonal, {3 * (1 + s), 3 * (1 - s), 0.0625 / 3.0}, 1e-14,
              "diag C'");
  // H = (A + B + C) / 3, indefinite A included.
  const Vector original = {5.7 / 3, 0.5 / 3, 0.0, 0.5 / 3, 2.6 / 3, 0.0, 0.0, 0.0, 0.3 / 3};
  expect_same(matrix_of(result.original).values, original, 1e-14, "H");
}

TEST(SuppressionHandMade, WithoutReplacementStiffSamplesKeepTheirLeadingEigenvalue) {
  const SuppressionOptions options{0.4, 0.0, 0.5, 0.0, false};
  const stats::SuppressionResult result = stats::suppression_experiment(hand_made(), options);
  // H' = (4 e1e1 + 2 uu + 0.25 e3e3) / 3.
  const Vector suppressed = {5.0 / 3, 1.0 / 3, 0.0, 1.0 / 3, 1.0 / 3, 0.0, 0.0, 0.0, 0.25 / 3};
  expect_same(matrix_of(result.suppressed).values, suppressed, 1e-14, "H'");
}

TEST(SuppressionOptionsCheck, InvalidOptionsThrowNamingTheOption) {
  const PerSampleEigen eig = hand_made();
  auto run = [&](SuppressionOptions options) { (void)stats::suppression_experiment(eig, options); };
  expect_error_naming<core::Error>([&] { run({1.5, 0.1, 0.1, 0.1, true}); }, "threshold");
  expect_error_naming<core::Error>([&] { run({-0.1, 0.1, 0.1, 0.1, true}); }, "threshold");
  expect_error_naming<core::Error>([&] { run({0.1, -1.0, 0.1, 0.1, true}); }, "stiff_tail_factor");
  expect_error_naming<core::Error>([&] { run({0.1, 0.1, -1.0, 0.1, true}); }, "soft_leading_factor");
  expect_error_naming<core::Error>([&] { run({0.1, 0.1, 0.1, -1.0, true}); }, "soft_tail_factor");
  PerSampleEigen broken = eig;
  broken.vectors.pop_back();
  expect_error_naming<core::DimensionMismatch>(
      [&] { (void)stats::suppression_experiment(broken, {}); }, "vector entries");
  PerSampleEigen negative = eig;
  for (double& value : negative.values) value = -std::abs(value);
  expect_error_naming<core::Error>([&] { (void)stats::suppression_experiment(negative, {}); },
                                   "largest leading eigenvalue");
}

}  // namespace
}  // namespace hesscov::testing
