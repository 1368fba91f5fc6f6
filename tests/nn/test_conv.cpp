// Convolution and pooling layers: the layers against naive references and hand-computed cases,
// and the engine's products on small convolutional models against finite differences and exact
// identities (the same checks the MLP gets in test_gradient/test_curvature/test_jacobian).
#include <gtest/gtest.h>

#include <cmath>

#include "backend/backend.hpp"
#include "backend/buffer.hpp"
#include "core/config.hpp"
#include "nn/cnn.hpp"
#include "nn/conv2d.hpp"
#include "nn/linear.hpp"
#include "nn/model_config.hpp"
#include "nn/pooling.hpp"
#include "support/reference.hpp"

namespace hesscov::testing {
namespace {

using nn::ActivationKind;

// ---------------------------------------------------------------------------------------------
// Conv2d against a direct convolution

struct ConvShape {
  index in_c, in_h, in_w, out_c, kernel_h, kernel_w, stride, padding;
};

/// y[n, o, oh, ow] = b[o] + sum W[o, c, ki, kj] x[n, c, oh*s - p + ki, ow*s - p + kj], by loops.
Vector naive_conv(const ConvShape& s, const Vector& x, const Vector& weight, const double* bias,
                  index samples) {
  const index out_h = (s.in_h + 2 * s.padding - s.kernel_h) / s.stride + 1;
  const index out_w = (s.in_w + 2 * s.padding - s.kernel_w) / s.stride + 1;
  Vector y(static_cast<size_t>(samples * s.out_c * out_h * out_w), 0.0);
  size_t at = 0;
  for (index n = 0; n < samples; ++n)
    for (index o = 0; o < s.out_c; ++o)
      for (index oh = 0; oh < out_h; ++oh)
        for (index ow = 0; ow < out_w; ++ow, ++at) {
          double sum = bias != nullptr ? bias[o] : 0.0;
          for (index c = 0; c < s.in_c; ++c)
            for (index ki = 0; ki < s.kernel_h; ++ki)
              for (index kj = 0; kj < s.kernel_w; ++kj) {
                const index ih = oh * s.stride - s.padding + ki, iw = ow * s.stride - s.padding + kj;
                if (ih < 0 || ih >= s.in_h || iw < 0 || iw >= s.in_w) continue;
                sum += weight[static_cast<size_t>(((o * s.in_c + c) * s.kernel_h + ki) * s.kernel_w + kj)] *
                       x[static_cast<size_t>(((n * s.in_c + c) * s.in_h + ih) * s.in_w + iw)];
              }
          y[at] = sum;
        }
  return y;
}

nn::Conv2d make_conv(const ConvShape& s, bool bias) {
  return {s.in_c, s.in_h, s.in_w, s.out_c, s.kernel_h, s.kernel_w, s.stride, s.padding, bias};
}

Vector plus(const Vector& a, const Vector& b) {
  Vector sum = a;
  for (size_t i = 0; i < sum.size(); ++i) sum[i] += b[i];
  return sum;
}

class ConvLayerTest : public ::testing::TestWithParam<ConvShape> {};

TEST_P(ConvLayerTest, ForwardAndRForwardMatchADirectConvolution) {
  const ConvShape s = GetParam();
  const auto be = backend::make_cpu_backend();
  const nn::Conv2d conv = make_conv(s, true);
  const index samples = 3, patch = s.in_c * s.kernel_h * s.kernel_w;
  const Vector x = random_vector(samples * conv.in_features(), 1), rx = random_vector(samples * conv.in_features(), 2);
  const Vector weight = random_vector(s.out_c * patch, 3), bias = random_vector(s.out_c, 4);
  const Vector v_weight = random_vector(s.out_c * patch, 5), v_bias = random_vector(s.out_c, 6);

  Vector y(static_cast<size_t>(samples * conv.out_features())), ry(y.size());
  conv.forward(*be, {weight.data(), bias.data()}, x.data(), y.data(), samples);
  EXPECT_LT(relative_error(y, naive_conv(s, x, weight, bias.data(), samples)), 1e-13);

  conv.r_forward(*be, {weight.data(), bias.data()}, {v_weight.data(), v_bias.data()}, x.data(), rx.data(),
                 y.data(), ry.data(), samples);
  const Vector expected = plus(naive_conv(s, rx, weight, nullptr, samples), naive_conv(s, x, v_weight, v_bias.data(), samples));
  EXPECT_LT(relative_error(ry, expected), 1e-13);
}

/// The backward passes are the adjoints of the forward maps: <dy, conv(x; W)> = <J_x^T dy, x> =
/// <J_W^T dy, W>, and the curvature terms are the adjoints of the V- and Rx-dependent parts.
TEST_P(ConvLayerTest, BackwardPassesAreTheAdjointsOfTheForwardMaps) {
  const ConvShape s = GetParam();
  const auto be = backend::make_cpu_backend();
  const nn::Conv2d conv = make_conv(s, true);
  const index samples = 3, patch = s.in_c * s.kernel_h * s.kernel_w;
  const Vector x = random_vector(samples * conv.in_features(), 11), rx = random_vector(samples * conv.in_features(), 12);
  const Vector dy = random_vector(samples * conv.out_features(), 13);
  const Vector weight = random_vector(s.out_c * patch, 14), v_weight = random_vector(s.out_c * patch, 15);
  const double in_x = dot(dy, naive_conv(s, x, weight, nullptr, samples));

  Vector dx(x.size());
  conv.backward_input(*be, {weight.data(), nullptr}, x.data(), nullptr, dy.data(), dx.data(), samples);
  EXPECT_NEAR(dot(dx, x), in_x, 1e-13 * norm(dx) * norm(x));

  Vector grad_w(weight.size(), 0.0), grad_b(static_cast<size_t>(s.out_c), 0.0);
  conv.backward_params(*be, x.data(), dy.data(), {{grad_w.data(), grad_b.data()}, 0}, samples);
  EXPECT_NEAR(dot(grad_w, weight), in_x, 1e-13 * norm(grad_w) * norm(weight));
  const Vector ones(static_cast<size_t>(s.out_c), 1.0);
  EXPECT_NEAR(dot(grad_b, ones), dot(dy, Vector(dy.size(), 1.0)), 1e-12);

  // Per-sample rows sum to the summed gradient.
  const index stride = static_cast<index>(weight.size()) + s.out_c + 1;
  Vector rows(static_cast<size_t>(samples * stride), 0.0);
  conv.backward_params(*be, x.data(), dy.data(), {{rows.data(), rows.data() + weight.size()}, stride}, samples);
  Vector summed(weight.size() + static_cast<size_t>(s.out_c), 0.0);
  for (index n = 0; n < samples; ++n)
    for (size_t i = 0; i < summed.size(); ++i) summed[i] += rows[static_cast<size_t>(n * stride) + i];
  Vector expected = grad_w;
  expected.insert(expected.end(), grad_b.begin(), grad_b.end());
  EXPECT_LT(relative_error(summed, expected), 1e-14);

  // rdx += conv_transpose(dy; V_W), rgrads_W += corr(Rx, dy).
  Vector rdx(x.size(), 0.0), rgrad_w(weight.size(), 0.0);
  conv.r_backward_curvature(*be, {weight.data(), nullptr}, {v_weight.data(), nullptr}, x.data(), rx.data(),
                            nullptr, dy.data(), rdx.data(), {{rgrad_w.data(), nullptr}, 0}, samples);
  EXPECT_NEAR(dot(rdx, x), dot(dy, naive_conv(s, x, v_weight, nullptr, samples)), 1e-13 * norm(rdx) * norm(x));
  EXPECT_NEAR(dot(rgrad_w, v_weight), dot(dy, naive_conv(s, rx, v_weight, nullptr, samples)),
              1e-13 * norm(rgrad_w) * norm(v_weight));
}

INSTANTIATE_TEST_SUITE_P(Geometries, ConvLayerTest,
                         ::testing::Values(ConvShape{2, 5, 6, 3, 3, 2, 2, 1}, ConvShape{1, 4, 4, 2, 1, 1, 1, 0},
                                           ConvShape{3, 7, 5, 4, 5, 3, 3, 2}, ConvShape{2, 6, 6, 3, 3, 3, 1, 1},
                                           ConvShape{2, 3, 3, 2, 3, 3, 1, 0}));

/// A patch matrix of ~307k doubles per sample: 14 samples exceed the 4M-double scratch budget, so
/// the layer works in two chunks.
TEST(ConvLayer, ForwardAndBackwardSpanSeveralScratchChunks) {
  const ConvShape s{3, 64, 64, 2, 5, 5, 1, 2};
  const auto be = backend::make_cpu_backend();
  const nn::Conv2d conv = make_conv(s, true);
  const index samples = 14;
  const Vector x = random_vector(samples * conv.in_features(), 21), dy = random_vector(samples * conv.out_features(), 22);
  const Vector weight = random_vector(s.out_c * 75, 23), bias = random_vector(s.out_c, 24);
  Vector y(static_cast<size_t>(samples * conv.out_features())), dx(x.size());
  conv.forward(*be, {weight.data(), bias.data()}, x.data(), y.data(), samples);
  EXPECT_LT(relative_error(y, naive_conv(s, x, weight, bias.data(), samples)), 1e-13);
  conv.backward_input(*be, {weight.data(), bias.data()}, x.data(), y.data(), dy.data(), dx.data(), samples);
  EXPECT_NEAR(dot(dx, x), dot(dy, naive_conv(s, x, weight, nullptr, samples)), 1e-12 * norm(dx) * norm(x));
}

// ---------------------------------------------------------------------------------------------
// Pooling by hand

TEST(Pooling, AdaptiveAveragePoolUsesPyTorchWindows) {
  // 5 -> 2: rows and columns [0, 3) and [2, 5) (floor(i*5/2), ceil((i+1)*5/2)), overlapping at 2.
  const auto be = backend::make_cpu_backend();
  const nn::AdaptiveAvgPool2d pool(1, 5, 5, 2, 2);
  Vector x(25);
  for (index i = 0; i < 25; ++i) x[static_cast<size_t>(i)] = static_cast<double>(i * i % 7) + 0.5 * static_cast<double>(i);
  const index bounds[2][2] = {{0, 3}, {2, 5}};
  Vector expected(4, 0.0);
  for (index oh = 0; oh < 2; ++oh)
    for (index ow = 0; ow < 2; ++ow) {
      for (index h = bounds[oh][0]; h < bounds[oh][1]; ++h)
        for (index w = bounds[ow][0]; w < bounds[ow][1]; ++w) expected[static_cast<size_t>(oh * 2 + ow)] += x[static_cast<size_t>(h * 5 + w)];
      expected[static_cast<size_t>(oh * 2 + ow)] /= 9.0;
    }
  Vector y(4), dx(25);
  pool.forward(*be, {}, x.data(), y.data(), 1);
  EXPECT_LT(relative_error(y, expected), 1e-15);
  const Vector dy{1.0, 1.0, 1.0, 1.0};
  pool.backward_input(*be, {}, x.data(), y.data(), dy.data(), dx.data(), 1);
  EXPECT_DOUBLE_EQ(dx[0], 1.0 / 9.0);       // (0, 0): one window
  EXPECT_DOUBLE_EQ(dx[2], 2.0 / 9.0);       // (0, 2): two windows
  EXPECT_DOUBLE_EQ(dx[12], 4.0 / 9.0);      // (2, 2): all four
  EXPECT_DOUBLE_EQ(dx[24], 1.0 / 9.0);      // (4, 4)
  EXPECT_EQ(pool.kind(), "adaptive_avgpool2d");
}

TEST(Pooling, AveragePoolLeavesUncoveredInputsWithoutGradient) {
  const auto be = backend::make_cpu_backend();
  const nn::AvgPool2d pool(1, 4, 5, 2, 2);  // columns [0,2), [2,4): column 4 is never read
  ASSERT_EQ(pool.out_features(), 4);
  Vector x(20);
  for (index i = 0; i < 20; ++i) x[static_cast<size_t>(i)] = static_cast<double>(i);
  Vector y(4), dx(20);
  pool.forward(*be, {}, x.data(), y.data(), 1);
  EXPECT_EQ(y, (Vector{3.0, 5.0, 13.0, 15.0}));
  const Vector dy{4.0, 8.0, 12.0, 16.0};
  pool.backward_input(*be, {}, x.data(), y.data(), dy.data(), dx.data(), 1);
  EXPECT_EQ(dx, (Vector{1, 1, 2, 2, 0, 1, 1, 2, 2, 0, 3, 3, 4, 4, 0, 3, 3, 4, 4, 0}));
}

TEST(Pooling, MaxPoolRoutesToTheFirstArgmaxOfOverlappingWindows) {
  const auto be = backend::make_cpu_backend();
  const nn::MaxPool2d pool(1, 3, 3, 2, 1);
  // Sample 0: windows pick (0,1), (0,1) (tie, first), (2,0) (tie, first), (2,1).
  // Sample 1 (= -sample 0): every window picks the centre 0.
  const Vector x{1, 5, 5, 2, 0, 3, 4, 4, 1, -1, -5, -5, -2, 0, -3, -4, -4, -1};
  Vector y(8), dx(18), ry(8);
  pool.forward(*be, {}, x.data(), y.data(), 2);
  EXPECT_EQ(y, (Vector{5, 5, 4, 4, 0, 0, 0, 0}));
  const Vector dy{1, 10, 100, 1000, 1, 10, 100, 1000};
  pool.backward_input(*be, {}, x.data(), y.data(), dy.data(), dx.data(), 2);
  EXPECT_EQ(dx, (Vector{0, 11, 0, 0, 0, 0, 100, 1000, 0, 0, 0, 0, 0, 1111, 0, 0, 0, 0}));
  Vector rx(18);
  for (size_t i = 0; i < rx.size(); ++i) rx[i] = static_cast<double>(i);
  pool.r_forward(*be, {}, {}, x.data(), rx.data(), y.data(), ry.data(), 2);
  EXPECT_EQ(ry, (Vector{1, 1, 6, 7, 13, 13, 13, 13}));
}

TEST(Pooling, FlattenIsTheIdentity) {
  const auto be = backend::make_cpu_backend();
  const nn::Flatten flatten(6);
  const Vector x = random_vector(12, 31);
  Vector y(12), dx(12);
  flatten.forward(*be, {}, x.data(), y.data(), 2);
  flatten.backward_input(*be, {}, x.data(), y.data(), x.data(), dx.data(), 2);
  EXPECT_EQ(y, x);
  EXPECT_EQ(dx, x);
  EXPECT_EQ(flatten.kind(), "flatten");
}

// ---------------------------------------------------------------------------------------------
// The engine on small convolutional models

enum class PoolKind { max, avg, adaptive };

struct ConvCase {
  index stride, padding;
  bool bias;
  ActivationKind activation;
  std::string loss;
  PoolKind pool;
};

std::string conv_case_name(const ::testing::TestParamInfo<ConvCase>& info) {
  const ConvCase& c = info.param;
  const char* pools[] = {"max", "avg", "adaptive"};
  return "s" + std::to_string(c.stride) + "p" + std::to_string(c.padding) + (c.bias ? "_bias_" : "_nobias_") +
         nn::to_string(c.activation) + "_" + c.loss + "_" + pools[static_cast<int>(c.pool)];
}

/// 2x7x7 input -> conv1 (3 ch, 3x3, case stride/padding) -> act -> pool -> conv2 (2 ch, 3x2,
/// case stride, padding 1) -> act -> flatten -> fc1 (3 classes). Two convolutions, so the lower
/// one's input-side passes (col2im, the V_W term of R-backward) are exercised too.
std::unique_ptr<nn::Model> tiny_conv_model(const ConvCase& c) {
  std::vector<std::unique_ptr<nn::Layer>> layers;
  std::vector<std::string> names;
  auto add = [&](std::unique_ptr<nn::Layer> layer, const std::string& name) {
    layers.push_back(std::move(layer));
    names.push_back(name);
  };
  auto conv1 = std::make_unique<nn::Conv2d>(2, 7, 7, 3, 3, 3, c.stride, c.padding, c.bias);
  index h = conv1->out_h(), w = conv1->out_w();
  add(std::move(conv1), "conv1");
  add(std::make_unique<nn::Activation>(c.activation, 3 * h * w), "act1");
  std::unique_ptr<nn::Pool2d> pool;
  if (c.pool == PoolKind::max) pool = std::make_unique<nn::MaxPool2d>(3, h, w, 2, 1);
  if (c.pool == PoolKind::avg) pool = std::make_unique<nn::AvgPool2d>(3, h, w, 3, 2);
  if (c.pool == PoolKind::adaptive) pool = std::make_unique<nn::AdaptiveAvgPool2d>(3, h, w, 2, 2);
  h = pool->out_h();
  w = pool->out_w();
  add(std::move(pool), "pool1");
  auto conv2 = std::make_unique<nn::Conv2d>(3, h, w, 2, 3, 2, c.stride, 1, c.bias);
  const index features = conv2->out_features();
  add(std::move(conv2), "conv2");
  add(std::make_unique<nn::Activation>(c.activation, features), "act2");
  add(std::make_unique<nn::Flatten>(features), "flatten");
  add(std::make_unique<nn::Linear>(features, 3, c.bias), "fc1");
  return std::make_unique<nn::Model>(backend::make_cpu_backend(), std::move(layers), std::move(names),
                                     nn::make_loss(c.loss));
}

class ConvModelTest : public ::testing::TestWithParam<ConvCase> {
 protected:
  void SetUp() override {
    model_ = tiny_conv_model(GetParam());
    data_ = synthetic_data(6, model_->in_features(), 3, GetParam().loss, 71);
    problem_ = std::make_unique<HostProblem>(*model_, data_);
    params_ = model_->initial_parameters(72);
    all_ = std::make_unique<nn::ParamSubset>(nn::ParamSubset::all(model_->layout()));
  }
  Vector product(const nn::ParamSubset& subset, const Vector& v, nn::Curvature kind = nn::Curvature::hessian) {
    return problem_->curvature(params_, subset, kind, v);
  }
  std::unique_ptr<nn::Model> model_;
  SyntheticData data_;
  std::unique_ptr<HostProblem> problem_;
  Vector params_;
  std::unique_ptr<nn::ParamSubset> all_;
};

TEST_P(ConvModelTest, GradientMatchesCentralDifferencesOfTheLoss) {
  const Vector exact = problem_->gradient(params_, *all_);
  const Vector reference = fd_gradient([&](const Vector& p) { return problem_->loss(p); }, params_,
                                       model_->layout(), *all_, 1e-6);
  EXPECT_LT(relative_error(exact, reference), 1e-6);
  EXPECT_GT(norm(exact), 1e-3);
}

TEST_P(ConvModelTest, HessianProductMatchesDifferencesOfTheGradient) {
  const Vector v = random_vector(all_->size(), 73);
  const double h = 1e-6;
  Vector up = params_, down = params_;
  for (size_t i = 0; i < v.size(); ++i) {
    up[i] += h * v[i];
    down[i] -= h * v[i];
  }
  const Vector gp = problem_->gradient(up, *all_), gm = problem_->gradient(down, *all_);
  Vector reference(v.size());
  for (size_t i = 0; i < v.size(); ++i) reference[i] = (gp[i] - gm[i]) / (2 * h);
  EXPECT_LT(relative_error(product(*all_, v), reference), 1e-6);
}

TEST_P(ConvModelTest, PerSampleGradientsMatchDifferencesOfEachSampleLoss) {
  const index size = all_->size();
  Vector rows(static_cast<size_t>(data_.samples * size));
  model_->per_sample_gradients(problem_->workspace(), params_.data(), problem_->batch(0, data_.samples), *all_,
                               rows.data());
  for (index n = 0; n < data_.samples; ++n) {
    const Vector reference = fd_gradient([&](const Vector& p) { return problem_->sample_loss(p, n); }, params_,
                                         model_->layout(), *all_, 1e-6);
    const Vector row(rows.begin() + n * size, rows.begin() + (n + 1) * size);
    EXPECT_LT(relative_error(row, reference), 1e-6) << "sample " << n;
  }
}

TEST_P(ConvModelTest, PerSampleHessianProductsMatchDensePerSampleHessians) {
  const index size = all_->size();
  const Vector v = random_vector(size, 74);
  Vector rows(static_cast<size_t>(data_.samples * size));
  model_->per_sample_curvature_products(problem_->workspace(), params_.data(), problem_->batch(0, data_.samples),
                                        *all_, nn::Curvature::hessian, v.data(), rows.data());
  for (index n = 0; n < data_.samples; n += 2) {
    const Dense hessian_n = fd_jacobian([&](const Vector& p) { return problem_->sample_gradient(p, *all_, n); },
                                        params_, model_->layout(), *all_, 1e-5);
    const Vector row(rows.begin() + n * size, rows.begin() + (n + 1) * size);
    EXPECT_LT(relative_error(row, hessian_n.times(v)), 1e-6) << "sample " << n;
  }
}

TEST_P(ConvModelTest, GaussNewtonIsSymmetricPositiveSemidefinite) {
  const Dense ggn = assemble([&](const Vector& e) { return product(*all_, e, nn::Curvature::gauss_newton); },
                             all_->size());
  EXPECT_LE(ggn.max_asymmetry(), 1e-14 * ggn.frobenius());
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    const Vector v = random_vector(all_->size(), 400 + seed);
    EXPECT_GE(dot(v, ggn.times(v)), -1e-14 * ggn.frobenius() * dot(v, v));
  }
}

TEST_P(ConvModelTest, BlockProductsAreTheRestrictionOfTheFullProducts) {
  std::vector<std::vector<std::string>> blocks{{"conv1.weight"}, {"conv2.weight", "fc1.weight"}};
  if (GetParam().bias) blocks.push_back({"conv1.bias", "conv2.bias"});
  for (const auto& names : blocks) {
    const auto block = nn::ParamSubset::of(model_->layout(), names);
    const Vector v = random_vector(block.size(), 75);
    for (auto kind : {nn::Curvature::hessian, nn::Curvature::gauss_newton}) {
      const Vector full = product(*all_, block.embed(model_->layout(), v), kind);
      EXPECT_LT(relative_error(product(block, v, kind), block.restrict(model_->layout(), full)), 1e-13)
          << names.front();
    }
    EXPECT_LT(relative_error(problem_->gradient(params_, block),
                             block.restrict(model_->layout(), problem_->gradient(params_, *all_))),
              1e-14);
  }
}

TEST_P(ConvModelTest, JacobianProductEqualsDotsWithPerSampleGradients) {
  for (const auto& subset : {*all_, nn::ParamSubset::of(model_->layout(), {"conv1.weight", "fc1.weight"})}) {
    const Vector v = random_vector(subset.size(), 76);
    Vector jv(static_cast<size_t>(data_.samples));
    model_->jacobian_product(problem_->workspace(), params_.data(), problem_->batch(0, data_.samples), subset,
                             v.data(), jv.data());
    Vector expected(static_cast<size_t>(data_.samples));
    for (index n = 0; n < data_.samples; ++n)
      expected[static_cast<size_t>(n)] = dot(problem_->sample_gradient(params_, subset, n), v);
    EXPECT_LT(relative_error(jv, expected), 1e-13);
  }
}

INSTANTIATE_TEST_SUITE_P(
    ConvPoolCases, ConvModelTest,
    ::testing::Values(ConvCase{1, 0, true, ActivationKind::relu, "cross_entropy", PoolKind::max},
                      ConvCase{1, 1, false, ActivationKind::tanh, "mse", PoolKind::avg},
                      ConvCase{2, 0, true, ActivationKind::tanh, "softmax_mse", PoolKind::adaptive},
                      ConvCase{2, 1, false, ActivationKind::relu, "cross_entropy", PoolKind::adaptive},
                      ConvCase{1, 0, false, ActivationKind::tanh, "cross_entropy", PoolKind::max},
                      ConvCase{2, 1, true, ActivationKind::tanh, "mse", PoolKind::max},
                      ConvCase{1, 1, true, ActivationKind::relu, "softmax_mse", PoolKind::avg},
                      ConvCase{2, 0, false, ActivationKind::relu, "cross_entropy", PoolKind::avg},
                      ConvCase{1, 1, true, ActivationKind::tanh, "cross_entropy", PoolKind::adaptive},
                      ConvCase{2, 0, true, ActivationKind::relu, "softmax_mse", PoolKind::max},
                      ConvCase{1, 0, true, ActivationKind::identity, "mse", PoolKind::adaptive},
                      ConvCase{2, 1, true, ActivationKind::tanh, "softmax_mse", PoolKind::avg}),
    conv_case_name);

/// The builder's CNN (2x2 max pools with stride 2, adaptive pool, dense head) end to end.
TEST(CnnModel, HessianOfABuiltCnnMatchesDifferencesOfTheGradient) {
  const nn::CnnSpec spec{{"3", "M", "4"}, 2, {5}, 3, true, ActivationKind::tanh, "cross_entropy"};
  const auto model = nn::make_cnn(backend::make_cpu_backend(), {2, 6, 6}, spec);
  const SyntheticData data = synthetic_data(5, model->in_features(), 3, spec.loss, 81);
  HostProblem problem(*model, data);
  const Vector params = model->initial_parameters(82);
  const auto all = nn::ParamSubset::all(model->layout());
  const Vector gradient = problem.gradient(params, all);
  EXPECT_LT(relative_error(gradient, fd_gradient([&](const Vector& p) { return problem.loss(p); }, params,
                                                 model->layout(), all, 1e-6)),
            1e-6);
  const Dense hessian = assemble(
      [&](const Vector& e) { return problem.curvature(params, all, nn::Curvature::hessian, e); }, all.size());
  const Dense reference = fd_jacobian([&](const Vector& p) { return problem.gradient(p, all); }, params,
                                      model->layout(), all, 1e-5);
  EXPECT_LT(relative_error(hessian.values, reference.values), 1e-6);
}

// ---------------------------------------------------------------------------------------------
// Builders and configuration

TEST(CnnModel, ParameterCountsMatchAHandComputation) {
  const auto cpu = backend::make_cpu_backend();
  const nn::CnnSpec spec{{"32", "M", "64", "M", "128"}, 1, {64}, 10, true, ActivationKind::relu, "cross_entropy"};
  const auto cnn = nn::make_cnn(cpu, {3, 32, 32}, spec);
  const index conv1 = 32 * 3 * 9 + 32, conv2 = 64 * 32 * 9 + 64, conv3 = 128 * 64 * 9 + 128;
  const index fc1 = 64 * 128 + 64, fc2 = 10 * 64 + 10;
  EXPECT_EQ(cnn->num_params(), conv1 + conv2 + conv3 + fc1 + fc2);
  EXPECT_EQ(cnn->num_params(), 102154);
  EXPECT_EQ(cnn->layout().blocks().front().name, "conv1.weight");
  EXPECT_EQ(cnn->layout().blocks().front().shape, (std::vector<index>{32, 3, 3, 3}));
  EXPECT_EQ(cnn->layout().blocks()[static_cast<size_t>(cnn->layout().find("fc1.weight"))].shape, (std::vector<index>{64, 128}));
  EXPECT_EQ(cnn->out_features(), 10);

  const auto lenet = nn::make_lenet(cpu, {3, 32, 32}, 10, true, ActivationKind::relu, "cross_entropy");
  EXPECT_EQ(lenet->num_params(), (6 * 3 * 25 + 6) + (16 * 6 * 25 + 16) + (120 * 400 + 120) + (84 * 120 + 84) +
                                     (10 * 84 + 10));
  EXPECT_EQ(lenet->num_params(), 62006);
  const auto wide = nn::make_lenet(cpu, {3, 32, 32}, 10, false, ActivationKind::relu, "cross_entropy",
                                   {{16, 32}, {120, 84}});
  EXPECT_EQ(wide->num_params(), 16 * 3 * 25 + 32 * 16 * 25 + 120 * 800 + 84 * 120 + 10 * 84);
  EXPECT_EQ(lenet->layer_names(), (std::vector<std::string>{"conv1", "act1", "pool1", "conv2", "act2", "pool2",
                                                             "flatten", "fc1", "act3", "fc2", "act4", "fc3"}));
}

TEST(CnnModel, RejectsBadTokensAndPoolsThatDoNotFit) {
  const auto cpu = backend::make_cpu_backend();
  EXPECT_THROW((void)nn::cnn_feature_channels("X"), core::Error);
  EXPECT_THROW((void)nn::cnn_feature_channels("0"), core::Error);
  EXPECT_THROW((void)nn::cnn_feature_channels("12a"), core::Error);
  EXPECT_EQ(nn::cnn_feature_channels("M"), 0);
  EXPECT_EQ(nn::cnn_feature_channels("128"), 128);
  EXPECT_THROW((void)nn::make_cnn(cpu, {1, 2, 2}, {{"4", "M", "M"}, 1, {}, 3, false, ActivationKind::relu, "mse"}),
               core::DimensionMismatch);
  EXPECT_THROW((void)nn::make_lenet(cpu, {1, 15, 15}, 10, false, ActivationKind::relu, "mse"),
               core::DimensionMismatch);
}

core::Schema model_schema() {
  core::Schema schema;
  nn::add_model_keys(schema);
  return schema;
}

/// The ConfigError of building the model that `yaml` describes for a 3x32x32, 10-class data set.
std::string config_error_key(const std::string& yaml, nn::InputShape input = {3, 32, 32}) {
  const core::Schema schema = model_schema();
  const auto config = core::Config::load_string(yaml, schema, "m.yaml");
  try {
    (void)nn::make_model(backend::make_cpu_backend(), config, input, 10);
  } catch (const core::ConfigError& error) {
    return error.key();
  }
  ADD_FAILURE() << "no ConfigError for " << yaml;
  return "";
}

TEST(ModelConfig, DispatchesOnModelType) {
  const core::Schema schema = model_schema();
  const auto cpu = backend::make_cpu_backend();
  const auto mlp = nn::make_model(cpu, core::Config::defaults(schema), {1, 28, 28}, 10);
  EXPECT_EQ(mlp->num_params(), 42200);
  const auto cnn = nn::make_model(cpu, core::Config::load_string("model: {type: cnn}", schema), {3, 32, 32}, 10);
  EXPECT_EQ(cnn->num_params(), 864 + 18432 + 73728 + 8192 + 640);  // the study's bias-free CNN
  const auto lenet = nn::make_model(
      cpu, core::Config::load_string("model: {type: lenet, bias: true, lenet: {hidden: [256, 128]}}", schema),
      {3, 32, 32}, 10);
  EXPECT_EQ(lenet->num_params(), 456 + 2416 + (256 * 400 + 256) + (128 * 256 + 128) + (10 * 128 + 10));
}

TEST(ModelConfig, BadConvolutionalSpecsNameTheirKey) {
  EXPECT_EQ(config_error_key("model: {type: cnn, cnn: {features: ['32', X]}}"), "model.cnn.features");
  EXPECT_EQ(config_error_key("model: {type: cnn, cnn: {features: ['8', M, M, M, M, M, M]}}"), "model.cnn.features");
  EXPECT_EQ(config_error_key("model: {type: cnn, cnn: {adaptive: 9}}"), "model.cnn.adaptive");
  EXPECT_EQ(config_error_key("model: {type: lenet, lenet: {channels: [6, 16, 32]}}"), "model.lenet.channels");
  EXPECT_EQ(config_error_key("model: {type: lenet}", {1, 12, 12}), "model.type");
  EXPECT_EQ(config_error_key("model: {type: mlp}"), "model.mlp");
}

// ---------------------------------------------------------------------------------------------
// Tier (b): CUDA against the CPU

TEST(CudaConv, ModelProductsEqualTheCpuBackend) {
  if (backend::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device visible: GPU test not run";
  const auto cpu = backend::make_cpu_backend();
  const auto gpu = backend::make_cuda_backend(0);
  const nn::CnnSpec spec{{"5", "M", "6"}, 2, {7}, 4, true, ActivationKind::tanh, "softmax_mse"};
  const nn::InputShape input{3, 9, 11};
  const auto host_model = nn::make_cnn(cpu, input, spec), device_model = nn::make_cnn(gpu, input, spec);
  const SyntheticData data = synthetic_data(45, input.features(), 4, spec.loss, 91);
  const Vector params = host_model->initial_parameters(92);
  const auto all = nn::ParamSubset::all(host_model->layout());
  const Vector v = random_vector(all.size(), 93);
  HostProblem host(*host_model, data);

  backend::Buffer<double> inputs(gpu, data.inputs), targets(gpu, data.targets), theta(gpu, params),
      direction(gpu, v), out(gpu, Vector(v.size(), 0.0)),
      rows(gpu, Vector(static_cast<size_t>(data.samples * all.size()), 0.0));
  nn::Workspace ws(*device_model, data.samples);
  const nn::Batch batch{inputs.data(), targets.data(), data.samples};
  const double scale = 1.0 / static_cast<double>(data.samples);
  device_model->curvature_product(ws, theta.data(), batch, all, nn::Curvature::hessian, direction.data(), scale,
                                  out.data());
  EXPECT_LT(relative_error(out.to_host(), host.curvature(params, all, nn::Curvature::hessian, v)), 1e-12);

  device_model->per_sample_gradients(ws, theta.data(), batch, all, rows.data());
  Vector host_rows(static_cast<size_t>(data.samples * all.size()));
  host_model->per_sample_gradients(host.workspace(), params.data(), host.batch(0, data.samples), all,
                                   host_rows.data());
  EXPECT_LT(relative_error(rows.to_host(), host_rows), 1e-12);
}

}  // namespace
}  // namespace hesscov::testing
