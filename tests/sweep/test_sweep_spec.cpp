// Sweep specs: every validation error, each naming the spec file, the location and what was
// expected, raised before any run starts; plus the accessors of a valid spec.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <typeinfo>

#include "support/expect.hpp"
#include "sweep/spec_folder.hpp"
#include "sweep/sweep_spec.hpp"

namespace hesscov::sweep {
namespace {

namespace fs = std::filesystem;

constexpr const char* kBase = "seed: 1\ndata:\n  per_class: 20\ntrain:\n  epochs: 2\n  lr: 0.1\n";

class SweepSpecTest : public testing::SpecFolder {
 protected:
  SweepSpecTest() : SpecFolder("hesscov_spec_", kBase) {}


  /// Loads `text` as a spec; expects exactly a ConfigError naming the spec, `key` and `word`.
  void expect_config_error(const std::string& text, const std::string& key, const std::string& word,
                           const std::vector<std::string>& overrides = {}, const std::string& file = "") {
    const std::string path = write("spec.yaml", text);
    try {
      (void)load_sweep_spec(path, schema_, overrides);
      ADD_FAILURE() << "no error for:\n" << text;
    } catch (const core::ConfigError& error) {
      EXPECT_EQ(typeid(error), typeid(core::ConfigError));
      EXPECT_EQ(error.file(), file.empty() ? path : file) << error.what();
      EXPECT_EQ(error.key(), key) << error.what();
      EXPECT_NE(std::string(error.what()).find(word), std::string::npos) << error.what();
    }
  }

};

TEST_F(SweepSpecTest, ValidSpecAccessors) {
  const std::string text = head() + "description: a learning-rate sweep\ngroup_size: 2\nset:\n  train.epochs: 5\n" +
                           "grid:\n  train.lr: [0.1, 0.01]\n  zip:\n    - data.classes: [[0, 1], [0, 1, 2]]\n" +
                           "      model.mlp: [[784, 2], [784, 3]]\n  model.loss: [mse]\nseeds: [4, 2]\n";
  const std::string path = write("spec.yaml", text);
  const SweepSpec spec = load_sweep_spec(path, schema_);
  EXPECT_EQ(spec.path(), path);
  EXPECT_EQ(spec.description(), "a learning-rate sweep");
  EXPECT_EQ(spec.group_size(), 2);
  EXPECT_EQ(spec.output(), (root_ / "out").string());
  EXPECT_EQ(spec.text(), text);
  EXPECT_EQ(spec.base_text(), kBase);
  EXPECT_EQ(spec.base_file(), (root_ / "base.yaml").string());
  EXPECT_EQ(spec.varied_keys(), (std::vector<std::string>{"train.lr", "data.classes", "model.mlp", "model.loss", "seed"}));
  EXPECT_EQ(spec.seeds(), (std::vector<std::int64_t>{4, 2}));
  ASSERT_EQ(spec.grids().size(), 1U);
  ASSERT_EQ(spec.grids()[0].axes.size(), 3U);
  EXPECT_EQ(spec.grids()[0].axes[1].points.size(), 2U);
  EXPECT_EQ(spec.grids()[0].axes[1].points[1][1].location, "grid.zip[0].model.mlp[1]");
  // The folder was created and probed; the probe file is gone again.
  EXPECT_TRUE(fs::is_directory(root_ / "out"));
  EXPECT_TRUE(fs::is_empty(root_ / "out"));
  const core::Config base = spec.base_config(schema_);
  EXPECT_EQ(base.get_int("train.epochs"), 5);
  EXPECT_EQ(base.get_int("data.per_class"), 20);
}

TEST_F(SweepSpecTest, DefaultsWithoutOptionalKeys) {
  const SweepSpec spec = load_sweep_spec(write("spec.yaml", head()), schema_);
  EXPECT_EQ(spec.group_size(), 1);
  EXPECT_EQ(spec.description(), "");
  EXPECT_TRUE(spec.seeds().empty());
  EXPECT_TRUE(spec.varied_keys().empty());
  ASSERT_EQ(spec.grids().size(), 1U);
  EXPECT_TRUE(spec.grids()[0].axes.empty());
}

TEST_F(SweepSpecTest, UnknownTopLevelKeySuggestsTheClosest) {
  expect_config_error(head() + "seds: 3\n", "seds", "did you mean 'seeds'");
  expect_config_error(head() + "grdi: {}\n", "grdi", "did you mean 'grid'");
  expect_config_error(head() + "zzzzzzzzzz: 1\n", "zzzzzzzzzz", "one of description, base, set, grid, grids");
  expect_config_error(head() + "seeds: 2\nseeds: 3\n", "seeds", "each top-level key once");
  expect_config_error("[1, 2]\n", "", "a mapping of sweep keys");
  expect_config_error(head() + "description: [1, 2]\n", "description", "free text");
}

TEST_F(SweepSpecTest, UnknownConfigKeysAndSections) {
  expect_config_error(head() + "set:\n  train.lrr: 0.1\n", "set.train.lrr", "did you mean 'train.lr'");
  expect_config_error(head() + "grid:\n  train.lrr: [0.1]\n", "grid.train.lrr", "did you mean 'train.lr'");
  expect_config_error(head() + "grid:\n  zip:\n    - model.mpl: [[784, 10]]\n", "grid.zip[0].model.mpl",
                      "did you mean 'model.mlp'");
  expect_config_error(head() + "set:\n  train:\n    lr: 0.1\n", "set.train", "not the section 'train'");
  expect_config_error(head() + "grid:\n  model: [1]\n", "grid.model", "not the section 'model'");
  expect_config_error(head() + "grid:\n  zip:\n    - zip: [[1]]\n", "grid.zip[0].zip", "zips do not nest");
  expect_config_error(head() + "set: [1]\n", "set", "a mapping of dotted config keys");
  expect_config_error(head() + "set:\n  train.lr: 0.1\n  train.lr: 0.2\n", "set.train.lr", "each key once");
}

TEST_F(SweepSpecTest, AxisShapes) {
  expect_config_error(head() + "grid:\n  train.lr: []\n", "grid.train.lr", "a non-empty list of values");
  expect_config_error(head() + "grid:\n  train.lr: 0.1\n", "grid.train.lr", "a list of values");
  expect_config_error(head() + "grid:\n  zip:\n    - data.classes: [[0, 1], [0, 1, 2]]\n      model.mlp: [[784, 2]]\n",
                      "grid.zip[0].model.mlp", "a list of 2 values, as long as 'data.classes'");
  expect_config_error(head() + "grid:\n  zip:\n    - {}\n", "grid.zip[0]", "a non-empty mapping");
  expect_config_error(head() + "grid:\n  zip: []\n", "grid.zip", "a non-empty list of mappings");
  expect_config_error(head() + "grid:\n  zip: {train.lr: [0.1]}\n", "grid.zip", "a non-empty list of mappings");
  expect_config_error(head() + "grid:\n  zip:\n    - train.lr: []\n", "grid.zip[0].train.lr", "non-empty list");
  expect_config_error(head() + "grid: [1]\n", "grid", "a mapping of axes");
  expect_config_error(head() + "grids:\n  - {train.lr: [0.1]}\n  - {}\n  - zip:\n"
                               "      - data.classes: [[0, 1]]\n        model.mlp: [[784, 2], [784, 3]]\n",
                      "grids[2].zip[0].model.mlp", "a list of 1 values, as long as 'data.classes'");
}

TEST_F(SweepSpecTest, ValuesAreValidatedLikeConfigFiles) {
  expect_config_error(head() + "grid:\n  train.lr: [0.1, fast]\n", "grid.train.lr[1]", "= 'fast': expected a number");
  expect_config_error(head() + "grid:\n  train.lr: [0.1, -1]\n", "grid.train.lr[1]", "> 0");
  expect_config_error(head() + "grid:\n  model.loss: [mse, hinge]\n", "grid.model.loss[1]",
                      "one of cross_entropy, mse, softmax_mse");
  expect_config_error(head() + "grid:\n  model.mlp: [[784, x, 10]]\n", "grid.model.mlp[0][1]", "an element of");
  expect_config_error(head() + "grid:\n  model.mlp: [784, 10]\n", "grid.model.mlp[0]", "is itself a list");
  expect_config_error(head() + "grid:\n  model.mlp: [[784]]\n", "grid.model.mlp[0]", "at least 2");
  expect_config_error(head() + "set:\n  train.epochs: many\n", "set.train.epochs", "an integer");
  expect_config_error(head() + "grids:\n  - {train.lr: [0.1]}\n  - {train.momentum: [0.5]}\n  - zip:\n"
                               "      - data.classes: [[0, 1]]\n        model.mlp: [[784, two]]\n",
                      "grids[2].zip[0].model.mlp[0][1]", "an element of a list of integers");
  expect_config_error(head() + "grids:\n  - {train.momentum: [0.5, 1.0]}\n", "grids[0].train.momentum[1]", "< 1");
}

TEST_F(SweepSpecTest, KeyGivenTwice) {
  expect_config_error(head() + "grid:\n  train.lr: [0.1]\n  train.lr: [0.2]\n", "grid.train.lr",
                      "already assigned at grid.train.lr");
  expect_config_error(head() + "grid:\n  train.lr: [0.1]\n  zip:\n    - train.lr: [0.2]\n      train.momentum: [0.5]\n",
                      "grid.zip[0].train.lr", "already assigned at grid.train.lr");
  expect_config_error(head() + "grid:\n  zip:\n    - {train.lr: [0.2]}\n    - {train.lr: [0.3]}\n",
                      "grid.zip[1].train.lr", "already assigned at grid.zip[0].train.lr");
  expect_config_error(head() + "grid:\n  seed: [1, 2]\nseeds: 2\n", "grid.seed", "the spec's seeds assign");
  expect_config_error(head() + "set:\n  seed: 5\nseeds: 2\n", "set.seed", "the spec's seeds assign");
  // The same key in two grids of a union is fine: each grid is its own product.
  EXPECT_NO_THROW((void)load_sweep_spec(
      write("ok.yaml", head() + "grids:\n  - {train.lr: [0.1]}\n  - {train.lr: [0.2]}\n"), schema_));
}

TEST_F(SweepSpecTest, Seeds) {
  const std::string count = "a count n >= 1 (seeds 1..n) or a list of distinct non-negative integers";
  expect_config_error(head() + "seeds: [1, 2, 1]\n", "seeds[2]", "distinct seeds: 1 is already seeds[0]");
  expect_config_error(head() + "seeds: 0\n", "seeds", count);
  expect_config_error(head() + "seeds: -3\n", "seeds", count);
  expect_config_error(head() + "seeds: 2.5\n", "seeds", count);
  expect_config_error(head() + "seeds: many\n", "seeds", count);
  expect_config_error(head() + "seeds: {a: 1}\n", "seeds", count);
  expect_config_error(head() + "seeds: []\n", "seeds", count);
  expect_config_error(head() + "seeds: [1, -2]\n", "seeds[1]", "a non-negative integer");
  expect_config_error(head() + "seeds: [1.5]\n", "seeds[0]", "a non-negative integer");
}

TEST_F(SweepSpecTest, GridOrGrids) {
  expect_config_error(head() + "grid: {train.lr: [0.1]}\ngrids: [{train.lr: [0.2]}]\n", "grids", "not both");
  expect_config_error(head() + "grids: {train.lr: [0.1]}\n", "grids", "a non-empty list of grids");
  expect_config_error(head() + "grids: []\n", "grids", "a non-empty list of grids");
  expect_config_error(head() + "grids:\n  - [1, 2]\n", "grids[0]", "a mapping of axes");
}

TEST_F(SweepSpecTest, GroupSizeAndOutput) {
  expect_config_error(head() + "group_size: 0\n", "group_size", "an integer >= 1");
  expect_config_error(head() + "group_size: two\n", "group_size", "an integer >= 1");
  expect_config_error(head() + "group_size: 1.5\n", "group_size", "an integer >= 1");
  expect_config_error("base: base.yaml\n", "output", "the sweep's folder");
  expect_config_error("base: base.yaml\noutput: ''\n", "output", "the sweep's folder");
  expect_config_error("base: base.yaml\noutput: [a]\n", "output", "the sweep's folder");
}

TEST_F(SweepSpecTest, UnwritableOutputIsAnIoErrorNamingThePath) {
  // Tests run as root, so permissions would not stop the write: a path under a regular file does.
  write("plain_file", "x");
  const std::string under = (root_ / "plain_file" / "sweep").string();
  testing::expect_error_naming<core::IoError>(
      [&] { (void)load_sweep_spec(write("spec.yaml", "base: base.yaml\noutput: " + under + "\n"), schema_); }, under);
  testing::expect_error_naming<core::IoError>(
      [&] { (void)load_sweep_spec(write("spec.yaml", "base: base.yaml\noutput: " + under + "\n"), schema_); },
      "Not a directory");
  const std::string file = (root_ / "plain_file").string();
  testing::expect_error_naming<core::IoError>(
      [&] { (void)load_sweep_spec(write("spec.yaml", "base: base.yaml\noutput: " + file + "\n"), schema_); }, file);
}

TEST_F(SweepSpecTest, BaseErrors) {
  const std::string out = "output: " + (root_ / "out").string() + "\n";
  expect_config_error(out, "base", "the base job config");
  expect_config_error(out + "base: [1, 2]\n", "base", "the base job config");
  expect_config_error(out + "base:\n  train:\n    lrr: 0.1\n", "base.train.lrr", "did you mean 'train.lr'");
  expect_config_error(out + "base: {train: {lr: x}}\n", "base.train.lr", "a number");
  // Errors inside a base file name that file, as loading it as a config would.
  const std::string bad_base = write("bad_base.yaml", "train:\n  lrr: 0.1\n");
  expect_config_error(out + "base: bad_base.yaml\n", "train.lrr", "did you mean 'train.lr'", {}, bad_base);
  const std::string missing = (root_ / "missing.yaml").string();
  testing::expect_error_naming<core::IoError>(
      [&] { (void)load_sweep_spec(write("spec.yaml", out + "base: missing.yaml\n"), schema_); }, missing);
  const std::string broken = write("broken.yaml", "train:\n  lr: [0.1\n");
  testing::expect_error_naming<core::IoError>(
      [&] { (void)load_sweep_spec(write("spec.yaml", out + "base: broken.yaml\n"), schema_); }, broken + ": YAML syntax error at line");
}

TEST_F(SweepSpecTest, SpecFileErrorsAreIoErrors) {
  const std::string missing = (root_ / "nope.yaml").string();
  testing::expect_error_naming<core::IoError>([&] { (void)load_sweep_spec(missing, schema_); }, missing);
  const std::string broken = write("spec.yaml", head() + "grid: {train.lr: [0.1\n");
  testing::expect_error_naming<core::IoError>([&] { (void)load_sweep_spec(broken, schema_); },
                                              broken + ": YAML syntax error at line");
  testing::expect_error_naming<core::IoError>([&] { (void)load_sweep_spec(root_.string(), schema_); }, "is a folder");
}

TEST_F(SweepSpecTest, CommandLineOverrides) {
  expect_config_error(head(), "train.lrr", "did you mean 'train.lr'", {"train.lrr=0.1"}, "<command line>");
  expect_config_error(head(), "train.lr", "a number", {"train.lr=fast"}, "<command line>");
  expect_config_error(head() + "seeds: 2\n", "seed", "the seeds of", {"seed=3"}, "<command line>");
  const SweepSpec spec = load_sweep_spec(write("spec.yaml", head() + "set:\n  train.epochs: 5\n"), schema_,
                                         {"train.epochs=7", "seed=9"});
  const core::Config base = spec.base_config(schema_);
  EXPECT_EQ(base.get_int("train.epochs"), 7);  // after set
  EXPECT_EQ(base.get_int("seed"), 9);
}

}  // namespace
}  // namespace hesscov::sweep
