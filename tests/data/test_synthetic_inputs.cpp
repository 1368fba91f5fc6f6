// Synthetic inputs with a chosen covariance (data.synthetic.input_scales) and the quadratic task's
// data, against the documented counter streams and at a fixed seed against their statistics.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <typeinfo>

#include "core/config.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "data/data_config.hpp"
#include "data/synthetic.hpp"

namespace hesscov::data {
namespace {

using std::size_t;

SyntheticSpec spec_of(SyntheticTask task, std::vector<double> scales = {}) {
  SyntheticSpec spec;
  spec.count = 200;
  spec.features = 4;
  spec.classes = 3;
  spec.teacher_width = 6;
  spec.task = task;
  spec.noise = 0.25;
  spec.seed = 13;
  spec.input_scales = std::move(scales);
  return spec;
}

core::Schema data_schema() {
  core::Schema schema;
  add_data_keys(schema);
  return schema;
}

/// The ConfigError that loading `yaml` and its data raises: exactly that type; returns its key.
std::string config_error_key(const std::string& yaml) {
  const core::Schema schema = data_schema();
  try {
    const auto config = core::Config::load_string(yaml, schema, "d.yaml");
    (void)load_dataset(config);
    ADD_FAILURE() << "no error for " << yaml;
  } catch (const core::Error& error) {
    EXPECT_EQ(typeid(error), typeid(core::ConfigError)) << error.what();
    if (const auto* config_error = dynamic_cast<const core::ConfigError*>(&error)) {
      EXPECT_NE(std::string(error.what()).find("data.synthetic.input_scales"), std::string::npos) << error.what();
      return config_error->key();
    }
  }
  return "";
}

TEST(SyntheticInputScales, ScaledDrawsAreTheUnscaledDrawsTimesTheScaleBitForBit) {
  const std::vector<double> scales{0.5, 2.0, 0.0, 3.25};
  const core::CounterRng stream(13, "synthetic/inputs/train");
  for (const auto task : {SyntheticTask::classification, SyntheticTask::regression}) {
    const Dataset plain = make_synthetic(spec_of(task));
    const Dataset scaled = make_synthetic(spec_of(task, scales));
    const Dataset ones = make_synthetic(spec_of(task, {1.0, 1.0, 1.0, 1.0}));
    ASSERT_EQ(scaled.inputs.size(), 200u * 4u);
    for (size_t i = 0; i < scaled.inputs.size(); ++i) {
      ASSERT_EQ(plain.inputs[i], stream.normal(i)) << i;  // the stream contract, unscaled
      ASSERT_EQ(scaled.inputs[i], plain.inputs[i] * scales[i % 4]) << i;
      ASSERT_EQ(ones.inputs[i], plain.inputs[i]) << i;
    }
  }
}

TEST(SyntheticInputScales, SampleCovarianceIsDiagonalScalesSquared) {
  SyntheticSpec spec = spec_of(SyntheticTask::regression, {0.5, 1.0, 2.0, 3.0});
  spec.count = 40000;
  const Dataset data = make_synthetic(spec);
  const double n = static_cast<double>(spec.count);
  std::vector<double> mean(4, 0.0);
  for (size_t k = 0; k < data.inputs.size(); ++k) mean[k % 4] += data.inputs[k] / n;
  for (size_t i = 0; i < 4; ++i)
    for (size_t j = 0; j < 4; ++j) {
      double covariance = 0.0;
      for (std::int64_t row = 0; row < spec.count; ++row) {
        const double* x = data.inputs.data() + row * 4;
        covariance += (x[i] - mean[i]) * (x[j] - mean[j]) / n;
      }
      const double si = spec.input_scales[i], sj = spec.input_scales[j];
      // At this fixed seed: a Gaussian sample variance has standard deviation s^2 sqrt(2/N) (0.7%
      // of s^2 here), a sample covariance s_i s_j / sqrt(N); the bounds are 5 of those.
      if (i == j)
        EXPECT_NEAR(covariance, si * si, 5.0 * si * si * std::sqrt(2.0 / n)) << i;
      else
        EXPECT_NEAR(covariance, 0.0, 5.0 * si * sj / std::sqrt(n)) << i << ", " << j;
    }
}

TEST(SyntheticInputScales, RegressionTargetsUseTheScaledInputs) {
  const std::vector<double> scales{0.5, 2.0, 0.0, 3.25};
  const Dataset data = make_synthetic(spec_of(SyntheticTask::regression, scales));
  const Dataset plain = make_synthetic(spec_of(SyntheticTask::regression));
  const core::CounterRng u(13, "synthetic/teacher/u"), noise(13, "synthetic/noise/train");
  double changed = 0.0;
  for (std::int64_t n = 0; n < data.count; ++n) {
    double target = 0.0;
    for (std::int64_t j = 0; j < 4; ++j)
      target += u.normal(static_cast<std::uint64_t>(j)) / 2.0 * data.inputs[static_cast<size_t>(n * 4 + j)];
    target += 0.25 * noise.normal(static_cast<std::uint64_t>(n));
    EXPECT_NEAR(data.targets[static_cast<size_t>(n)], target, 1e-14 * (1.0 + std::abs(target))) << n;
    changed = std::max(changed, std::abs(data.targets[static_cast<size_t>(n)] - plain.targets[static_cast<size_t>(n)]));
  }
  EXPECT_GT(changed, 0.1);
}

TEST(SyntheticQuadraticTask, ZeroTargetsOnePerFeatureOnTheSameInputStream) {
  const Dataset data = make_synthetic(spec_of(SyntheticTask::quadratic));
  const Dataset regression = make_synthetic(spec_of(SyntheticTask::regression));
  EXPECT_EQ(data.name, "synthetic-quadratic(seed=13):train");
  EXPECT_EQ(data.count, 200);
  EXPECT_EQ(data.features, 4);
  EXPECT_EQ(data.num_classes, 4);
  EXPECT_EQ(data.inputs, regression.inputs);
  EXPECT_EQ(data.targets, std::vector<double>(200 * 4, 0.0));
  EXPECT_EQ(data.labels, std::vector<int>(200, 0));
  EXPECT_EQ(to_string(SyntheticTask::quadratic), "quadratic");
  EXPECT_EQ(targets_of(data), data.targets);
}

TEST(SyntheticInputScales, MakeSyntheticRejectsBadScales) {
  for (const std::vector<double>& scales :
       {std::vector<double>{1.0, 2.0}, std::vector<double>{1.0, 1.0, 1.0, 1.0, 1.0},
        std::vector<double>{1.0, -1.0, 1.0, 1.0}, std::vector<double>{1.0, std::nan(""), 1.0, 1.0}}) {
    try {
      (void)make_synthetic(spec_of(SyntheticTask::regression, scales));
      ADD_FAILURE() << "no error for " << scales.size() << " scales";
    } catch (const core::Error& error) {
      EXPECT_EQ(typeid(error), typeid(core::Error)) << error.what();
      EXPECT_NE(std::string(error.what()).find("input"), std::string::npos) << error.what();
    }
  }
}

TEST(SyntheticDataConfig, InputScalesAndTheQuadraticTaskThroughTheConfig) {
  const core::Schema schema = data_schema();
  const auto config = core::Config::load_string(
      "data: {name: synthetic, synthetic: {task: regression, count: 50, features: 4, seed: 13, noise: 0.25, "
      "input_scales: [0.5, 2, 0, 3.25]}}",
      schema);
  const Dataset loaded = load_dataset(config);
  SyntheticSpec spec = spec_of(SyntheticTask::regression, {0.5, 2.0, 0.0, 3.25});
  spec.count = 50;
  const Dataset direct = make_synthetic(spec);
  EXPECT_EQ(loaded.inputs, direct.inputs);
  EXPECT_EQ(loaded.targets, direct.targets);
  const auto quadratic = core::Config::load_string(
      "data: {name: synthetic, synthetic: {task: quadratic, count: 30, features: 3}}", schema);
  const Dataset q = load_dataset(quadratic);
  EXPECT_EQ(q.num_classes, 3);
  EXPECT_EQ(q.targets, std::vector<double>(90, 0.0));
  EXPECT_EQ(load_test_dataset(quadratic, q).name, "synthetic-quadratic(seed=0):test");
}

TEST(SyntheticDataConfig, BadInputScalesAreConfigErrorsNamingTheKey) {
  EXPECT_EQ(config_error_key("data: {name: synthetic, synthetic: {features: 4, input_scales: [1, 2]}}"),
            "data.synthetic.input_scales");
  EXPECT_EQ(config_error_key("data: {name: synthetic, synthetic: {features: 2, input_scales: [1, 2, 3]}}"),
            "data.synthetic.input_scales");
  EXPECT_EQ(config_error_key("data: {name: synthetic, synthetic: {features: 2, input_scales: [1, -2]}}"),
            "data.synthetic.input_scales[1]");
  EXPECT_EQ(config_error_key("data: {name: synthetic, synthetic: {task: quadratic, features: 2, "
                             "input_scales: [1, 2]}}"),
            "data.synthetic.input_scales");
  EXPECT_EQ(config_error_key("data: {name: idx, synthetic: {input_scales: [1]}}"), "data.synthetic.input_scales");
}

}  // namespace
}  // namespace hesscov::data
