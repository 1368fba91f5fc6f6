// Per-sample Hessian eigendecompositions against finite differences of per-sample gradients, the
// low-rank path against the dense one, the Kronecker structure of a ReLU weight block against a
// hand-coded forward pass, and per-sample spectral statistics against hand-computed values.
#include "stats/per_sample_hessian.hpp"

#include <gtest/gtest.h>

#include "support/expect.hpp"

#include <algorithm>
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
using stats::PerSampleMethod;
using stats::PerSampleOptions;

size_t at(index i) { return static_cast<size_t>(i); }

/// U diag(mu) U^T of sample n, row-major dim x dim.
Dense rebuild(const PerSampleEigen& eig, index n) {
  Dense out(eig.dim, eig.dim);
  for (index j = 0; j < eig.rank; ++j) {
    const double mu = eig.values[at(n * eig.rank + j)];
    const double* u = eig.vectors.data() + (n * eig.rank + j) * eig.dim;
    for (index a = 0; a < eig.dim; ++a)
      for (index b = 0; b < eig.dim; ++b) out(a, b) += mu * u[a] * u[b];
  }
  return out;
}

/// max |U^T U - I| of sample n: the stored eigenvectors are orthonormal.
double orthonormality_loss(const PerSampleEigen& eig, index n) {
  double worst = 0.0;
  const double* u = eig.vectors.data() + n * eig.rank * eig.dim;
  for (index i = 0; i < eig.rank; ++i)
    for (index j = 0; j < eig.rank; ++j) {
      double product = 0.0;
      for (index a = 0; a < eig.dim; ++a) product += u[i * eig.dim + a] * u[j * eig.dim + a];
      worst = std::max(worst, std::abs(product - (i == j ? 1.0 : 0.0)));
    }
  return worst;
}

/// Sample n's eigenvalues with |mu| > cut, descending.
Vector significant(const PerSampleEigen& eig, index n, double cut) {
  Vector out;
  for (index j = 0; j < eig.rank; ++j)
    if (std::abs(eig.values[at(n * eig.rank + j)]) > cut) out.push_back(eig.values[at(n * eig.rank + j)]);
  return out;
}

double largest_magnitude(const PerSampleEigen& eig) {
  double largest = 0.0;
  for (double mu : eig.values) largest = std::max(largest, std::abs(mu));
  return largest;
}

using hesscov::testing::expect_error_naming;

PerSampleEigen decompose(HostProblem& problem, const nn::Model& model, const Vector& params,
                         index samples, const nn::ParamSubset& subset, nn::Curvature curvature,
                         PerSampleOptions options) {
  return stats::per_sample_eigen(model, problem.workspace(), params.data(), problem.batch(0, samples),
                                 subset, curvature, options);
}

struct DenseCase {
  nn::ActivationKind activation;
  std::string loss;
};

class PerSampleDenseTest : public ::testing::TestWithParam<DenseCase> {};

TEST_P(PerSampleDenseTest, RebuiltHessiansMatchFiniteDifferencesOfPerSampleGradients) {
  const auto [activation, loss] = GetParam();
  const auto model = nn::make_mlp(backend::make_cpu_backend(), {{6, 5, 4, 3}, true, activation, loss});
  const SyntheticData data = synthetic_data(4, 6, 3, loss, 61);
  HostProblem problem(*model, data);
  const Vector params = model->initial_parameters(12);
  for (const auto& subset : {nn::ParamSubset::of(model->layout(), {"fc2.weight"}),
                             nn::ParamSubset::all(model->layout())}) {
    const PerSampleEigen eig = decompose(problem, *model, params, data.samples, subset,
                                         nn::Curvature::hessian, {});
    ASSERT_EQ(eig.rank, subset.size());
    for (index n = 0; n < data.samples; ++n) {
      const Dense reference = fd_jacobian(
          [&](const Vector& p) { return problem.sample_gradient(p, subset, n); }, params,
          model->layout(), subset, 1e-5);
      EXPECT_LT(relative_error(rebuild(eig, n).values, reference.values), 1e-6)
          << "sample " << n << ", dim " << subset.size();
      EXPECT_LT(orthonormality_loss(eig, n), 1e-12);
      double trace = 0.0;
      for (index i = 0; i < subset.size(); ++i) trace += reference(i, i);
      EXPECT_NEAR(eig.traces[at(n)], trace, 1e-6 * reference.frobenius());
      for (index j = 1; j < eig.rank; ++j)
        EXPECT_GE(eig.values[at(n * eig.rank + j - 1)], eig.values[at(n * eig.rank + j)]);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(PerSampleDense, PerSampleDenseTest,
                         ::testing::Values(DenseCase{nn::ActivationKind::relu, "cross_entropy"},
                                           DenseCase{nn::ActivationKind::relu, "mse"},
                                           DenseCase{nn::ActivationKind::tanh, "cross_entropy"},
                                           DenseCase{nn::ActivationKind::tanh, "mse"}),
                         [](const ::testing::TestParamInfo<DenseCase>& info) {
                           return nn::to_string(info.param.activation) + "_" + info.param.loss;
                         });

/// The low-rank eigenpairs of every sample against the dense ones: the same nonzero eigenvalues,
/// the same matrix, orthonormal vectors, and at most `max_rank` nonzero eigenvalues.
void expect_lowrank_matches_dense(const PerSampleEigen& lowrank, const PerSampleEigen& dense,
                                  index max_rank, const std::string& label) {
  const double scale = largest_magnitude(dense);
  ASSERT_GT(scale, 0.0) << label;
  for (index n = 0; n < dense.samples; ++n) {
    const Vector expected = significant(dense, n, 1e-10 * scale);
    const Vector got = significant(lowrank, n, 1e-10 * scale);
    ASSERT_EQ(got.size(), expected.size()) << label << " sample " << n;
    EXPECT_LE(static_cast<index>(got.size()), max_rank) << label;
    for (size_t j = 0; j < got.size(); ++j) EXPECT_NEAR(got[j], expected[j], 1e-9 * scale) << label;
    const Dense rebuilt = rebuild(dense, n);
    if (rebuilt.frobenius() > 0.0)
      EXPECT_LT(relative_error(rebuild(lowrank, n).values, rebuilt.values), 1e-9) << label;
    else
      EXPECT_EQ(rebuild(lowrank, n).frobenius(), 0.0) << label;
    EXPECT_LT(orthonormality_loss(lowrank, n), 1e-12) << label;
    EXPECT_NEAR(lowrank.traces[at(n)], dense.traces[at(n)], 1e-9 * scale) << label;
  }
}

TEST(PerSampleLowrank, ReluWeightBlocksMatchDense) {
  for (const char* loss : {"cross_entropy", "mse", "softmax_mse"}) {
    const auto model = nn::make_mlp(backend::make_cpu_backend(),
                                    {{8, 6, 5, 3}, false, nn::ActivationKind::relu, loss});
    const SyntheticData data = synthetic_data(6, 8, 3, loss, 62);
    HostProblem problem(*model, data);
    const Vector params = model->initial_parameters(13);
    for (const char* name : {"fc1.weight", "fc2.weight", "fc3.weight"}) {
      const auto block = nn::ParamSubset::of(model->layout(), {name});
      const PerSampleEigen dense = decompose(problem, *model, params, data.samples, block,
                                             nn::Curvature::hessian, {});
      const PerSampleEigen lowrank = decompose(problem, *model, params, data.samples, block,
                                               nn::Curvature::hessian,
                                               {PerSampleMethod::lowrank, 0, 5, 1e-8});
      EXPECT_EQ(lowrank.rank, 5);  // default: out_features + 2
      expect_lowrank_matches_dense(lowrank, dense, 3, std::string(loss) + " " + name);
      // softmax_mse is not convex in z: its H_n are indefinite, the case a PSD shortcut misses.
      if (std::string(loss) == "softmax_mse")
        EXPECT_LT(*std::min_element(lowrank.values.begin(), lowrank.values.end()),
                  -1e-6 * largest_magnitude(dense)) << name;
    }
  }
}

TEST(PerSampleLowrank, GaussNewtonOfTanhNetworkOverAllParametersMatchesDense) {
  for (const char* loss : {"cross_entropy", "mse"}) {
    const auto model = nn::make_mlp(backend::make_cpu_backend(),
                                    {{6, 5, 4, 3}, true, nn::ActivationKind::tanh, loss});
    const SyntheticData data = synthetic_data(5, 6, 3, loss, 63);
    HostProblem problem(*model, data);
    const Vector params = model->initial_parameters(14);
    const auto all = nn::ParamSubset::all(model->layout());
    const PerSampleEigen dense = decompose(problem, *model, params, data.samples, all,
                                           nn::Curvature::gauss_newton, {});
    // r = 3 is exactly the bound (for mse a square solve), r = 8 oversamples.
    for (index rank : {3, 8}) {
      const PerSampleEigen lowrank = decompose(problem, *model, params, data.samples, all,
                                               nn::Curvature::gauss_newton,
                                               {PerSampleMethod::lowrank, rank, 7, 1e-8});
      expect_lowrank_matches_dense(lowrank, dense, 3,
                                   std::string(loss) + " ggn rank " + std::to_string(rank));
    }
  }
}

TEST(PerSampleLowrank, VerificationRejectsARankBoundThatDoesNotHold) {
  // The Hessian of a tanh network over all parameters has full-ish per-sample rank.
  const auto model = nn::make_mlp(backend::make_cpu_backend(),
                                  {{6, 5, 4, 3}, true, nn::ActivationKind::tanh, "cross_entropy"});
  const SyntheticData data = synthetic_data(3, 6, 3, "cross_entropy", 64);
  HostProblem problem(*model, data);
  const Vector params = model->initial_parameters(15);
  const auto all = nn::ParamSubset::all(model->layout());
  expect_error_naming<core::Error>(
      [&] {
        (void)decompose(problem, *model, params, data.samples, all, nn::Curvature::hessian,
                        {PerSampleMethod::lowrank, 3, 0, 1e-8});
      },
      "rank > r = 3");
}

/// Hand-coded forward pass of a bias-free ReLU MLP 6-5-4-3 for the Kronecker test.
struct HandMlp {
  Vector w1, w2, w3;  // row-major [out x in]
  static Vector matvec(const Vector& w, const Vector& x, index out) {
    const index in = static_cast<index>(x.size());
    Vector y(at(out), 0.0);
    for (index i = 0; i < out; ++i)
      for (index j = 0; j < in; ++j) y[at(i)] += w[at(i * in + j)] * x[at(j)];
    return y;
  }
  static Vector relu(Vector x) {
    for (double& value : x) value = std::max(value, 0.0);
    return x;
  }
  /// Logits as a function of the pre-activation p = W2 a of the second layer.
  [[nodiscard]] Vector logits_of(const Vector& p) const { return matvec(w3, relu(p), 3); }
};

/// d^2 l / dz^2 at logits z: softmax cross-entropy diag(s) - s s^T, or the identity for mse.
Dense loss_hessian(const Vector& z, const std::string& loss) {
  Dense out(3, 3);
  if (loss == "mse") {
    for (index i = 0; i < 3; ++i) out(i, i) = 1.0;
    return out;
  }
  const double top = *std::max_element(z.begin(), z.end());
  Vector s(3);
  double total = 0.0;
  for (index i = 0; i < 3; ++i) total += (s[at(i)] = std::exp(z[at(i)] - top));
  for (double& value : s) value /= total;
  for (index i = 0; i < 3; ++i)
    for (index j = 0; j < 3; ++j) out(i, j) = (i == j ? s[at(i)] : 0.0) - s[at(i)] * s[at(j)];
  return out;
}

TEST(PerSampleKronecker, ReluWeightBlockIsKroneckerOfOutputCurvatureAndInputOuterProduct) {
  for (const char* loss : {"cross_entropy", "mse"}) {
    const auto model = nn::make_mlp(backend::make_cpu_backend(),
                                    {{6, 5, 4, 3}, false, nn::ActivationKind::relu, loss});
    const SyntheticData data = synthetic_data(6, 6, 3, loss, 65);
    HostProblem problem(*model, data);
    const Vector params = model->initial_parameters(16);
    const auto& blocks = model->layout().blocks();
    auto block_values = [&](size_t b) {
      return Vector(params.begin() + blocks[b].offset, params.begin() + blocks[b].offset + blocks[b].size);
    };
    const HandMlp mlp{block_values(0), block_values(1), block_values(2)};
    ASSERT_EQ(blocks[1].name, "fc2.weight");
    const auto block = nn::ParamSubset::of(model->layout(), {"fc2.weight"});
    const PerSampleEigen eig = decompose(problem, *model, params, data.samples, block,
                                         nn::Curvature::hessian, {});
    index alive = 0;
    for (index n = 0; n < data.samples; ++n) {
      const Vector x(data.inputs.begin() + n * 6, data.inputs.begin() + (n + 1) * 6);
      const Vector a = HandMlp::relu(HandMlp::matvec(mlp.w1, x, 5));
      const Vector p = HandMlp::matvec(mlp.w2, a, 4);
      // B = dz/dp by central differences; exact for a piecewise-linear map away from its kinks.
      const double step = 1e-4;
      Dense jacobian(3, 4);
      for (index k = 0; k < 4; ++k) {
        ASSERT_GT(std::abs(p[at(k)]), 10 * step) << "pre-activation too close to the kink";
        Vector plus = p, minus = p;
        plus[at(k)] += step;
        minus[at(k)] -= step;
        const Vector zp = mlp.logits_of(plus), zm = mlp.logits_of(minus);
        for (index c = 0; c < 3; ++c) jacobian(c, k) = (zp[at(c)] - zm[at(c)]) / (2 * step);
      }
      const Dense curvature = loss_hessian(mlp.logits_of(p), loss);
      Dense k_n(4, 4);  // B^T (d^2 l/dz^2) B
      for (index i = 0; i < 4; ++i)
        for (index j = 0; j < 4; ++j)
          for (index c = 0; c < 3; ++c)
            for (index d = 0; d < 3; ++d) k_n(i, j) += jacobian(c, i) * curvature(c, d) * jacobian(d, j);
      // Row-major W2 [4 x 5]: coordinate i * 5 + j, so H_n = K_n (x) (a a^T).
      Dense expected(20, 20);
      for (index i = 0; i < 4; ++i)
        for (index j = 0; j < 5; ++j)
          for (index k = 0; k < 4; ++k)
            for (index l = 0; l < 5; ++l) expected(i * 5 + j, k * 5 + l) = k_n(i, k) * a[at(j)] * a[at(l)];
      if (expected.frobenius() == 0.0) {  // no active unit: the whole block is flat for n
        EXPECT_EQ(rebuild(eig, n).frobenius(), 0.0) << loss << " " << n;
        continue;
      }
      ++alive;
      EXPECT_LT(relative_error(rebuild(eig, n).values, expected.values), 1e-9) << loss << " " << n;
      // Eigenvalues: ||a||^2 eig(K_n), padded with zeros.
      const auto k_eig = spectral::dense_symmetric_eigen(k_n.values, 4, false);
      Vector expected_values(20, 0.0);
      for (index i = 0; i < 4; ++i) expected_values[at(i)] = dot(a, a) * k_eig.values[at(i)];
      std::sort(expected_values.begin(), expected_values.end(), std::greater<>());
      const double scale = std::max(std::abs(expected_values.front()), std::abs(expected_values.back()));
      for (index j = 0; j < 20; ++j)
        EXPECT_NEAR(eig.values[at(n * 20 + j)], expected_values[at(j)], 1e-9 * scale) << loss << " " << n;
    }
    EXPECT_GE(alive, 3) << loss;
  }
}

TEST(PerSampleOptionsCheck, InvalidOptionsAndInputsThrowNamingTheValue) {
  const auto model = nn::make_mlp(backend::make_cpu_backend(),
                                  {{4, 3, 2}, false, nn::ActivationKind::relu, "mse"});
  const SyntheticData data = synthetic_data(2, 4, 2, "mse", 66);
  HostProblem problem(*model, data);
  const Vector params = model->initial_parameters(17);
  const auto all = nn::ParamSubset::all(model->layout());
  expect_error_naming<core::Error>(
      [&] {
        (void)decompose(problem, *model, params, 2, all, nn::Curvature::hessian,
                        {PerSampleMethod::lowrank, -1, 0, 1e-8});
      },
      "rank = -1");
  expect_error_naming<core::Error>(
      [&] {
        (void)decompose(problem, *model, params, 2, all, nn::Curvature::hessian,
                        {PerSampleMethod::lowrank, 0, 0, 0.0});
      },
      "tolerance");
  expect_error_naming<core::DimensionMismatch>(
      [&] {
        (void)decompose(problem, *model, params, 0, all, nn::Curvature::hessian, {});
      },
      "batch.samples = 0");
  const PerSampleEigen eig = decompose(problem, *model, params, 2, all, nn::Curvature::hessian, {});
  PerSampleEigen other = eig;
  other.rank = 1;
  expect_error_naming<core::DimensionMismatch>([&] { (void)stats::concatenate({eig, other}); },
                                               "part 1");
  expect_error_naming<core::DimensionMismatch>(
      [&] { (void)stats::per_sample_spectra(eig, eig.vectors.data(), eig.dim + 1); }, "k = ");
}

TEST(PerSampleConcatenate, KeepsSamplesInOrder) {
  PerSampleEigen first{1, 2, 1, {3.0}, {1.0, 0.0}, {3.0}};
  PerSampleEigen second{2, 2, 1, {2.0, 1.0}, {0.0, 1.0, 1.0, 0.0}, {2.0, 1.0}};
  const PerSampleEigen all = stats::concatenate({first, second});
  EXPECT_EQ(all.samples, 3);
  EXPECT_EQ(all.values, (Vector{3.0, 2.0, 1.0}));
  EXPECT_EQ(all.vectors, (Vector{1.0, 0.0, 0.0, 1.0, 1.0, 0.0}));
  EXPECT_EQ(all.traces, (Vector{3.0, 2.0, 1.0}));
}

/// Three samples in 4 dimensions with known eigenpairs; global vectors e1, e2.
PerSampleEigen hand_built() {
  const double r2 = 1.0 / std::sqrt(2.0), r3 = std::sqrt(3.0) / 2.0;
  PerSampleEigen eig{3, 4, 2, {}, {}, {}};
  eig.values = {3.0, 1.0, 2.0, 0.5, 1.0, -0.5};
  eig.vectors = {1, 0, 0, 0, /**/ 0, 1, 0, 0,        // sample 0: e1, e2
                 r2, r2, 0, 0, /**/ r2, -r2, 0, 0,   // sample 1: (e1+e2)/sqrt2, (e1-e2)/sqrt2
                 0.5, 0, r3, 0, /**/ 0, 0, 0, 1};    // sample 2: (e1 + sqrt3 e3)/2, e4
  eig.traces = {4.0, 2.5, 0.5};
  return eig;
}

TEST(PerSampleSpectra, SharesAlignmentsAndCorrelationsMatchHandComputedValues) {
  const PerSampleEigen eig = hand_built();
  const Vector global = {1, 0, 0, 0, /**/ 0, 1, 0, 0};
  const stats::PerSampleSpectra out = stats::per_sample_spectra(eig, global.data(), 2);
  EXPECT_EQ(out.leading, (Vector{3.0, 2.0, 1.0}));
  const Vector shares = {0.75, 0.8, 2.0}, alignment = {1, 0, 0.5, 0.5, 0.25, 0};
  for (size_t n = 0; n < 3; ++n) EXPECT_NEAR(out.leading_share[n], shares[n], 1e-15);
  for (size_t i = 0; i < 6; ++i) EXPECT_NEAR(out.alignment[i], alignment[i], 1e-15);
  const Vector totals = {1.0, 1.0, 0.25};
  for (size_t n = 0; n < 3; ++n) EXPECT_NEAR(out.total_alignment[n], totals[n], 1e-15);
  // lambda deviations (1, 0, -1); alignment with e1 deviates by (5, -1, -4)/12: r = 9/sqrt(84).
  EXPECT_NEAR(out.alignment_correlation[0], 9.0 / std::sqrt(84.0), 1e-14);
  // alignment with e2 (0, 1/2, 0) is uncorrelated with (3, 2, 1).
  EXPECT_NEAR(out.alignment_correlation[1], 0.0, 1e-14);
  // totals deviate by (1, 1, -2)/4: r = (3/4) / sqrt(2 * 3/8) = sqrt(3)/2.
  EXPECT_NEAR(out.total_alignment_correlation, std::sqrt(3.0) / 2.0, 1e-14);
}

TEST(PerSampleSpectra, ZeroTraceAndConstantAlignmentGiveNaN) {
  PerSampleEigen eig = hand_built();
  eig.traces[2] = 0.0;
  const Vector global = {0, 0, 0, 1};  // e4: every leading vector is orthogonal to it
  const stats::PerSampleSpectra out = stats::per_sample_spectra(eig, global.data(), 1);
  EXPECT_TRUE(std::isnan(out.leading_share[2]));
  EXPECT_TRUE(std::isnan(out.alignment_correlation[0]));
  EXPECT_TRUE(std::isnan(out.total_alignment_correlation));
}

}  // namespace
}  // namespace hesscov::testing
