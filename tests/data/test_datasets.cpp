// The data sets of the studies: the CIFAR-10 reader on generated batches, the teacher-student
// generator against a teacher recomputed here from the documented streams, balanced subsets,
// per-channel normalisation, the data.* config keys, and Fashion-MNIST when Debian's package is
// installed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>

#include "core/config.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "data/cifar10.hpp"
#include "data/data_config.hpp"
#include "data/synthetic.hpp"
#include "data/transforms.hpp"

namespace hesscov::data {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;
using std::size_t;

class DataFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("hesscov_data_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  /// Record r of batch b: label labels[r]; pixel p holds (b * 31 + r * 7 + p) mod 256.
  std::string write_batch(const std::string& file, int batch, const Bytes& labels) {
    Bytes bytes;
    for (size_t r = 0; r < labels.size(); ++r) {
      bytes.push_back(labels[r]);
      for (int p = 0; p < 3072; ++p) bytes.push_back(static_cast<std::uint8_t>((batch * 31 + r * 7 + p) % 256));
    }
    return write(file, bytes);
  }
  std::string write(const std::string& file, const Bytes& bytes) {
    const auto path = (dir_ / file).string();
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                static_cast<std::streamsize>(bytes.size()));
    return path;
  }
  /// Train batches of 2, 1, 3, 1, 2 records and a test batch of 2.
  void write_cifar() {
    const std::vector<Bytes> labels{{0, 9}, {3}, {1, 2, 3}, {4}, {5, 6}};
    for (int b = 1; b <= 5; ++b)
      write_batch("data_batch_" + std::to_string(b) + ".bin", b, labels[static_cast<size_t>(b - 1)]);
    write_batch("test_batch.bin", 0, {7, 8});
  }
  fs::path dir_;
};

/// `action` must throw an IoError whose message names `file` and contains `detail`.
void expect_io_error(const std::function<void()>& action, const std::string& file, const std::string& detail) {
  try {
    action();
    ADD_FAILURE() << "no IoError for " << file;
  } catch (const core::IoError& error) {
    EXPECT_NE(std::string(error.what()).find(file), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find(detail), std::string::npos) << error.what();
  }
}

TEST_F(DataFiles, Cifar10ConcatenatesTheTrainBatchesChannelMajor) {
  write_cifar();
  const Dataset train = load_cifar10(dir_.string(), "train", "cifar10");
  EXPECT_EQ(train.name, "cifar10:train");
  EXPECT_EQ(train.count, 9);
  EXPECT_EQ(train.features, 3072);
  EXPECT_EQ(train.channels, 3);
  EXPECT_EQ(train.height, 32);
  EXPECT_EQ(train.width, 32);
  EXPECT_EQ(train.num_classes, 10);
  EXPECT_EQ(train.labels, (std::vector<int>{0, 9, 3, 1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(train.indices, (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8}));
  ASSERT_EQ(train.inputs.size(), 9u * 3072u);
  // Sample 5 is record 2 of batch 3; green (c = 1), row 4, column 5 is pixel byte 1024 + 4*32 + 5.
  const int pixel = 1024 + 4 * 32 + 5;
  EXPECT_EQ(train.inputs[5 * 3072 + pixel], ((3 * 31 + 2 * 7 + pixel) % 256) / 255.0);
  const Dataset test = load_cifar10(dir_.string(), "test", "cifar10");
  EXPECT_EQ(test.name, "cifar10:test");
  EXPECT_EQ(test.labels, (std::vector<int>{7, 8}));
  EXPECT_EQ(test.inputs[3072], (7 % 256) / 255.0);
  EXPECT_THROW((void)load_cifar10(dir_.string(), "t10k", "cifar10"), core::Error);
}

TEST_F(DataFiles, Cifar10MissingTruncatedAndBadLabelFilesAreNamed) {
  write_cifar();
  fs::remove(dir_ / "data_batch_4.bin");
  expect_io_error([&] { (void)load_cifar10(dir_.string(), "train", "c"); }, "data_batch_4.bin", "cannot open");
  Bytes cut(2 * 3073 - 5, 1);
  const std::string truncated = write("test_batch.bin", cut);
  expect_io_error([&] { (void)load_cifar10(dir_.string(), "test", "c"); }, truncated, "truncated");
  const std::string empty = write("test_batch.bin", {});
  expect_io_error([&] { (void)load_cifar10(dir_.string(), "test", "c"); }, empty, "empty");
  const std::string bad = write_batch("test_batch.bin", 0, {3, 10});
  expect_io_error([&] { (void)load_cifar10(dir_.string(), "test", "c"); }, bad, "label 10 of record 1");
  expect_io_error([&] { (void)load_cifar10((dir_ / "absent").string(), "test", "c"); }, "absent", "folder");
}

SyntheticSpec small_spec(SyntheticTask task) {
  SyntheticSpec spec;
  spec.count = 300;
  spec.features = 7;
  spec.classes = 4;
  spec.teacher_width = 5;
  spec.task = task;
  spec.noise = 0.3;
  spec.seed = 7;
  return spec;
}

TEST(Synthetic, SameSeedGivesIdenticalDataAndAnotherSeedOrSplitDiffers) {
  for (const auto task : {SyntheticTask::classification, SyntheticTask::regression}) {
    SyntheticSpec spec = small_spec(task);
    const Dataset first = make_synthetic(spec), again = make_synthetic(spec);
    EXPECT_EQ(first.inputs, again.inputs);
    EXPECT_EQ(first.labels, again.labels);
    EXPECT_EQ(first.targets, again.targets);
    EXPECT_NE(first.name.find("seed=7"), std::string::npos) << first.name;
    spec.seed = 8;
    const Dataset other = make_synthetic(spec);
    EXPECT_NE(first.inputs, other.inputs);
    EXPECT_NE(other.name.find("seed=8"), std::string::npos) << other.name;
    spec.seed = 7;
    spec.split = "test";
    EXPECT_NE(first.inputs, make_synthetic(spec).inputs);
  }
}

TEST(Synthetic, ClassificationLabelsAreTheArgmaxOfTheTeacher) {
  const SyntheticSpec spec = small_spec(SyntheticTask::classification);
  const Dataset data = make_synthetic(spec);
  EXPECT_EQ(data.count, 300);
  EXPECT_EQ(data.features, 7);
  EXPECT_EQ(data.width, 7);
  EXPECT_EQ(data.num_classes, 4);
  EXPECT_TRUE(data.targets.empty());
  const core::CounterRng inputs(7, "synthetic/inputs/train");
  const core::CounterRng w1(7, "synthetic/teacher/w1"), w2(7, "synthetic/teacher/w2");
  std::vector<int> seen(4, 0);
  for (std::uint64_t n = 0; n < 300; ++n) {
    std::vector<double> logits(4, 0.0);
    for (std::uint64_t k = 0; k < 5; ++k) {
      double pre = 0.0;
      for (std::uint64_t j = 0; j < 7; ++j) {
        ASSERT_EQ(data.inputs[n * 7 + j], inputs.normal(n * 7 + j));
        pre += w1.normal(k * 7 + j) / std::sqrt(7.0) * inputs.normal(n * 7 + j);
      }
      for (std::uint64_t c = 0; c < 4; ++c) logits[c] += w2.normal(c * 5 + k) / std::sqrt(5.0) * std::max(pre, 0.0);
    }
    const auto label = static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    EXPECT_EQ(data.labels[n], label) << "sample " << n;
    ++seen[static_cast<size_t>(label)];
  }
  for (int count : seen) EXPECT_GT(count, 0);  // the teacher uses every class
}

TEST(Synthetic, RegressionNoiseHasVarianceSigmaSquared) {
  SyntheticSpec spec = small_spec(SyntheticTask::regression);
  spec.count = 20000;
  spec.features = 5;
  const Dataset data = make_synthetic(spec);
  EXPECT_EQ(data.num_classes, 1);
  ASSERT_EQ(data.targets.size(), 20000u);
  EXPECT_EQ(data.labels, std::vector<int>(20000, 0));
  const core::CounterRng u(7, "synthetic/teacher/u");
  double sum = 0.0, squares = 0.0;
  for (size_t n = 0; n < 20000; ++n) {
    double clean = 0.0;
    for (size_t j = 0; j < 5; ++j) clean += u.normal(j) / std::sqrt(5.0) * data.inputs[n * 5 + j];
    const double residual = data.targets[n] - clean;
    sum += residual;
    squares += residual * residual;
  }
  const double n = 20000.0, mean = sum / n, variance = squares / n - mean * mean, sigma2 = 0.09;
  // For Gaussian noise the sample variance has standard error sigma^2 sqrt(2/N) (0.7% here) and the
  // mean sigma/sqrt(N); 5 standard errors (a 6e-7 chance of failing for a random seed).
  EXPECT_LT(std::abs(variance / sigma2 - 1.0), 5.0 * std::sqrt(2.0 / n)) << variance;
  EXPECT_LT(std::abs(mean), 5.0 * 0.3 / std::sqrt(n)) << mean;
}

TEST(Synthetic, BadSpecsAreRejected) {
  SyntheticSpec spec = small_spec(SyntheticTask::classification);
  spec.classes = 1;
  EXPECT_THROW((void)make_synthetic(spec), core::Error);
  spec = small_spec(SyntheticTask::regression);
  spec.noise = -1.0;
  EXPECT_THROW((void)make_synthetic(spec), core::Error);
  spec.noise = 0.0;
  spec.split = "valid";
  EXPECT_THROW((void)make_synthetic(spec), core::Error);
}

/// 40 samples, 2 features (x = [n, -n]), label n % 4 except that class 3 only holds samples 3 and
/// 7; source indices 100 + n.
Dataset labelled_set() {
  Dataset data;
  data.name = "toy";
  data.count = 40;
  data.features = 2;
  data.width = 2;
  data.num_classes = 4;
  for (int n = 0; n < 40; ++n) {
    data.inputs.insert(data.inputs.end(), {double(n), -double(n)});
    data.labels.push_back(n % 4 == 3 && n > 7 ? n % 3 : n % 4);
    data.indices.push_back(100 + n);
  }
  return data;
}

TEST(BalancedSubset, ExactCountsRemappedLabelsSourceIndicesAndDeterminism) {
  const Dataset data = labelled_set();
  const Dataset subset = balanced_subset(data, 5, {2, 0}, 11);
  EXPECT_EQ(subset.count, 10);
  EXPECT_EQ(subset.num_classes, 2);
  EXPECT_EQ(class_counts(subset), (std::vector<std::int64_t>{5, 5}));
  EXPECT_TRUE(std::is_sorted(subset.indices.begin(), subset.indices.end()));
  for (size_t i = 0; i < 10; ++i) {
    const auto source = static_cast<size_t>(subset.indices[i] - 100);
    EXPECT_EQ(subset.labels[i], data.labels[source] == 2 ? 0 : 1);  // class 2 first, then class 0
    EXPECT_TRUE(data.labels[source] == 2 || data.labels[source] == 0);
    EXPECT_EQ(subset.inputs[2 * i], double(source));
  }
  EXPECT_EQ(balanced_subset(data, 5, {2, 0}, 11).indices, subset.indices);
  EXPECT_NE(balanced_subset(data, 5, {2, 0}, 12).indices, subset.indices);
  // A larger subset with the same seed contains the smaller one.
  const Dataset larger = balanced_subset(data, 8, {2, 0}, 11);
  for (std::int64_t index : subset.indices)
    EXPECT_NE(std::find(larger.indices.begin(), larger.indices.end(), index), larger.indices.end());
  EXPECT_EQ(balanced_subset(data, 2, {}, 3).count, 8);
}

TEST(BalancedSubset, TooFewSamplesOrBadClassesNameTheClass) {
  const Dataset data = labelled_set();
  try {
    (void)balanced_subset(data, 3, {0, 3}, 1);
    FAIL();
  } catch (const core::Error& error) {
    EXPECT_NE(std::string(error.what()).find("class 3 of toy has 2 samples, 3 were asked for"), std::string::npos)
        << error.what();
  }
  EXPECT_THROW((void)balanced_subset(data, 1, {4}, 1), core::Error);
  EXPECT_THROW((void)balanced_subset(data, 1, {1, 1}, 1), core::Error);
  EXPECT_THROW((void)balanced_subset(data, 0, {1}, 1), core::Error);
  const Dataset selected = select_classes(data, {3, 1});
  EXPECT_EQ(selected.indices,
            (std::vector<std::int64_t>{101, 103, 105, 107, 109, 113, 117, 119, 121, 125, 129, 131, 133, 137}));
  EXPECT_EQ(selected.labels[1], 0);
  EXPECT_EQ(selected.labels[0], 1);
}

TEST(Normalize, PerChannelMeanZeroAndStdOne) {
  Dataset data;
  data.name = "rgb";
  data.count = 5;
  data.channels = 3;
  data.height = 2;
  data.width = 2;
  data.features = 12;
  const core::CounterRng rng(3, "test");
  for (std::uint64_t i = 0; i < 60; ++i) data.inputs.push_back(rng.uniform(i) * double(1 + i % 12 / 4));
  const auto [mean, std] = channel_statistics(data);
  ASSERT_EQ(mean.size(), 3u);
  normalize(data, mean, std);
  const auto [after_mean, after_std] = channel_statistics(data);
  for (size_t c = 0; c < 3; ++c) {
    EXPECT_NEAR(after_mean[c], 0.0, 1e-14);
    EXPECT_NEAR(after_std[c], 1.0, 1e-14);
  }
  EXPECT_EQ(data.input_mean, mean);
  EXPECT_EQ(data.input_std, std);
  EXPECT_THROW(normalize(data, {0.0}, {1.0}), core::DimensionMismatch);
  EXPECT_THROW(normalize(data, {0.0, 0.0, 0.0}, {1.0, 0.0, 1.0}), core::Error);
}

/// `action` must throw a ConfigError for `key` (or one entry of the list `key`) naming the key.
void expect_config_error(const std::function<void()>& action, const std::string& key) {
  try {
    action();
    ADD_FAILURE() << "no ConfigError for " << key;
  } catch (const core::ConfigError& error) {
    EXPECT_TRUE(error.key() == key || error.key().starts_with(key + "[")) << error.what();  // "[0]": list entry
    EXPECT_NE(std::string(error.what()).find(key), std::string::npos) << error.what();
  }
}

core::Schema data_schema() {
  core::Schema schema;
  add_data_keys(schema);
  return schema;
}

TEST(DataConfig, SyntheticKeysSubsetLimitAndNormalize) {
  const core::Schema schema = data_schema();
  auto config = core::Config::load_string(
      "data: {name: synthetic, synthetic: {count: 900, features: 6, classes: 3, teacher_width: 8, seed: 5}}", schema);
  const Dataset full = load_dataset(config);
  EXPECT_EQ(full.count, 900);
  EXPECT_EQ(full.features, 6);
  EXPECT_EQ(full.num_classes, 3);
  EXPECT_NE(full.name.find("seed=5"), std::string::npos);
  config.set_override("data.per_class=50");
  config.set_override("data.classes=[2, 1]");
  const Dataset subset = load_dataset(config);
  EXPECT_EQ(subset.count, 100);
  EXPECT_EQ(subset.num_classes, 2);
  EXPECT_EQ(class_counts(subset), (std::vector<std::int64_t>{50, 50}));
  config.set_override("data.subset_seed=9");
  EXPECT_NE(load_dataset(config).indices, subset.indices);
  config.set_override("data.limit=30");
  const Dataset limited = load_dataset(config);
  EXPECT_EQ(limited.count, 30);
  config.set_override("data.normalize=dataset");
  const Dataset normalised = load_dataset(config);
  const auto [mean, std] = channel_statistics(normalised);
  EXPECT_NEAR(mean[0], 0.0, 1e-12);
  EXPECT_NEAR(std[0], 1.0, 1e-12);
  EXPECT_EQ(normalised.indices, limited.indices);
  // The test split is normalised with the training subset's statistics.
  config.set_override("data.split=test");
  const Dataset test = load_dataset(config);
  EXPECT_EQ(test.input_mean, normalised.input_mean);
  EXPECT_EQ(test.input_std, normalised.input_std);
  EXPECT_NE(test.inputs, normalised.inputs);
  config.set_override("data.per_class=0");
  config.set_override("data.limit=0");
  config.set_override("data.normalize=none");
  const Dataset selected = load_dataset(config);
  EXPECT_EQ(selected.num_classes, 2);
  EXPECT_LT(selected.count, 900);

  auto regression = core::Config::load_string(
      "data: {name: synthetic, synthetic: {task: regression, noise: 0.5, count: 10, features: 3}}", schema);
  const Dataset targets = load_dataset(regression);
  EXPECT_EQ(targets.num_classes, 1);
  EXPECT_EQ(targets.targets.size(), 10u);
}

TEST_F(DataFiles, ConfigLoadsCifar10AndIdxSplits) {
  write_cifar();
  const core::Schema schema = data_schema();
  auto config = core::Config::load_string("data: {name: cifar10, path: " + dir_.string() + ", split: test}", schema);
  EXPECT_EQ(load_dataset(config).labels, (std::vector<int>{7, 8}));
  config.set_override("data.split=train");
  config.set_override("data.classes=[3]");
  const Dataset threes = load_dataset(config);
  EXPECT_EQ(threes.indices, (std::vector<std::int64_t>{2, 5}));
  EXPECT_EQ(threes.labels, (std::vector<int>{0, 0}));
  EXPECT_EQ(threes.channels, 3);
  // IDX: "test" reads the t10k files, and "t10k" is still accepted.
  const Bytes images{0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 255, 51, 102};
  write("t10k-images-idx3-ubyte", images);
  write("t10k-labels-idx1-ubyte", {0, 0, 8, 1, 0, 0, 0, 2, 4, 1});
  for (const char* split : {"test", "t10k"}) {
    auto idx = core::Config::load_string("data: {path: " + dir_.string() + ", split: " + split + "}", schema);
    const Dataset data = load_dataset(idx);
    EXPECT_EQ(data.labels, (std::vector<int>{4, 1})) << split;
    EXPECT_EQ(data.inputs, (std::vector<double>{0.0, 1.0, 0.2, 0.4})) << split;
  }
  // Test data is normalised with the training statistics; a constant training channel names the key.
  write("train-images-idx3-ubyte", {0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 51, 51});
  write("train-labels-idx1-ubyte", {0, 0, 8, 1, 0, 0, 0, 1, 2});
  auto constant = core::Config::load_string("data: {path: " + dir_.string() + ", split: test, normalize: dataset}",
                                            schema);
  expect_config_error([&] { (void)load_dataset(constant); }, "data.normalize");
}

TEST(DataConfig, BadValuesNameTheKey) {
  const core::Schema schema = data_schema();
  const std::string synthetic = "data: {name: synthetic, synthetic: {count: 300, classes: 3}}\n";
  auto load = [&](const std::string& text, const std::vector<std::string>& overrides) {
    auto config = core::Config::load_string(text, schema);
    for (const auto& item : overrides) config.set_override(item);
    (void)load_dataset(config);
  };
  expect_config_error([&] { load(synthetic, {"data.classes=[0, 3]"}); }, "data.classes");
  expect_config_error([&] { load(synthetic, {"data.classes=[1, 1]"}); }, "data.classes");
  expect_config_error([&] { load(synthetic, {"data.classes=[-1]"}); }, "data.classes");
  expect_config_error([&] { load(synthetic, {"data.per_class=301"}); }, "data.per_class");
  expect_config_error([&] { load(synthetic, {"data.per_class=-2"}); }, "data.per_class");
  expect_config_error([&] { load(synthetic, {"data.per_class=2", "data.limit=7"}); }, "data.limit");
  expect_config_error([&] { load(synthetic, {"data.name=mnist"}); }, "data.name");
  expect_config_error([&] { load(synthetic, {"data.split=valid"}); }, "data.split");
  expect_config_error([&] { load(synthetic, {"data.normalize=global"}); }, "data.normalize");
  expect_config_error([&] { load(synthetic, {"data.synthetic.task=ranking"}); }, "data.synthetic.task");
  expect_config_error([&] { load(synthetic, {"data.synthetic.noise=-0.1"}); }, "data.synthetic.noise");
  expect_config_error([&] { load(synthetic, {"data.synthetic.classes=1"}); }, "data.synthetic.classes");
  expect_config_error([&] { load(synthetic, {"data.synthetic.task=regression", "data.per_class=2"}); },
                      "data.per_class");
  expect_config_error([&] { load(synthetic, {"data.synthetic.task=regression", "data.classes=[0]"}); },
                      "data.classes");
  expect_config_error([&] { load("data: {synthetic: {seed: 3}}", {}); }, "data.synthetic.seed");
  expect_config_error([&] { load("data: {name: cifar10}", {}); }, "data.path");
}

TEST(FashionMnist, BalancedSubsetOfThreeClassesThroughTheConfig) {
  const std::string folder = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(folder + "/train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "Debian's dataset-fashion-mnist is not installed at " << folder;
  const core::Schema schema = data_schema();
  auto config = core::Config::load_string("data: {per_class: 200, classes: [0, 3, 6]}", schema);
  const Dataset subset = load_dataset(config);
  EXPECT_EQ(subset.count, 600);
  EXPECT_EQ(subset.num_classes, 3);
  EXPECT_EQ(subset.features, 784);
  EXPECT_EQ(class_counts(subset), (std::vector<std::int64_t>{200, 200, 200}));
  EXPECT_TRUE(std::is_sorted(subset.indices.begin(), subset.indices.end()));
  const Dataset source = load_idx_dataset(folder, "train", "fashion-mnist");
  const int original[] = {0, 3, 6};
  for (size_t i = 0; i < 600; ++i) {
    const auto n = static_cast<size_t>(subset.indices[i]);
    ASSERT_EQ(source.labels[n], original[subset.labels[i]]) << "sample " << i;
    ASSERT_TRUE(std::equal(subset.inputs.begin() + static_cast<std::ptrdiff_t>(i * 784),
                           subset.inputs.begin() + static_cast<std::ptrdiff_t>((i + 1) * 784),
                           source.inputs.begin() + static_cast<std::ptrdiff_t>(n * 784)));
  }
  EXPECT_EQ(load_dataset(config).indices, subset.indices);
}

}  // namespace
}  // namespace hesscov::data
