// Expansion: order and counts of products, zips, unions and seeds; the resolved configs; repeats
// removed by run id; ids that ignore formatting and output locations; bases inline and by path.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <tuple>

#include "sweep/spec_folder.hpp"
#include "sweep/expansion.hpp"
#include "sweep/run_id.hpp"

namespace hesscov::sweep {
namespace {

namespace fs = std::filesystem;
using Assignments = std::vector<std::pair<std::string, std::string>>;

constexpr const char* kBase =
    "seed: 11\ndata:\n  per_class: 20\nmodel:\n  mlp: [784, 50, 50, 10]\ntrain:\n  epochs: 2\n  lr: 0.1\n"
    "  momentum: 0.0\n  output: results/base\n";

class ExpansionTest : public testing::SpecFolder {
 protected:
  ExpansionTest() : SpecFolder("hesscov_expand_", kBase) {}

  /// Loads `body` after head() and expands it.
  std::vector<SweepRun> runs_of(const std::string& body, const std::vector<std::string>& overrides = {}) {
    spec_.emplace(load_sweep_spec(write("spec.yaml", head() + body), schema_, overrides));
    return expand(*spec_, schema_);
  }

  std::optional<SweepSpec> spec_;
};

TEST_F(ExpansionTest, ProductFirstAxisSlowestSeedsInnermost) {
  const auto runs = runs_of("set:\n  train.epochs: 5\ngrid:\n  train.lr: [0.1, 0.01]\n  model.loss: [cross_entropy, mse]\n"
                            "seeds: 2\n");
  ASSERT_EQ(runs.size(), 8U);  // 2 x 2 x 2 seeds
  const std::vector<std::tuple<double, std::string, std::int64_t>> expected = {
      {0.1, "cross_entropy", 1},  {0.1, "cross_entropy", 2},  {0.1, "mse", 1},  {0.1, "mse", 2},
      {0.01, "cross_entropy", 1}, {0.01, "cross_entropy", 2}, {0.01, "mse", 1}, {0.01, "mse", 2}};
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto& [lr, loss, seed] = expected[i];
    EXPECT_EQ(runs[i].number, i);
    EXPECT_DOUBLE_EQ(runs[i].config.get_double("train.lr"), lr) << i;
    EXPECT_EQ(runs[i].config.get_string("model.loss"), loss) << i;
    EXPECT_EQ(runs[i].config.get_int("seed"), seed) << i;
    EXPECT_EQ(runs[i].config.get_int("train.epochs"), 5) << i;       // set
    EXPECT_EQ(runs[i].config.get_int("data.per_class"), 20) << i;    // base
    EXPECT_EQ(runs[i].config.get_string("model.activation"), "relu");  // default
    EXPECT_EQ(runs[i].id, run_id(runs[i].config));
    EXPECT_EQ(runs[i].canonical_text, run_canonical_text(runs[i].config));
  }
  EXPECT_EQ(runs[5].assignments, (Assignments{{"train.lr", "0.01"}, {"model.loss", "cross_entropy"}, {"seed", "2"}}));
  EXPECT_EQ(spec_->varied_keys(), (std::vector<std::string>{"train.lr", "model.loss", "seed"}));
}

TEST_F(ExpansionTest, ZipMappingIsOneAxis) {
  const auto runs = runs_of("grid:\n  train.lr: [0.1, 0.01]\n  zip:\n    - data.classes: [[0, 1, 2], [0, 1, 2, 3, 4, 5]]\n"
                            "      model.mlp: [[784, 50, 50, 3], [784, 50, 50, 6]]\n");
  ASSERT_EQ(runs.size(), 4U);  // 2 x 2, no seeds: the base's seed
  const std::vector<std::pair<double, std::int64_t>> expected = {{0.1, 3}, {0.1, 6}, {0.01, 3}, {0.01, 6}};
  for (std::size_t i = 0; i < runs.size(); ++i) {
    EXPECT_DOUBLE_EQ(runs[i].config.get_double("train.lr"), expected[i].first);
    const auto classes = runs[i].config.get_int_list("data.classes");
    EXPECT_EQ(static_cast<std::int64_t>(classes.size()), expected[i].second);
    EXPECT_EQ(runs[i].config.get_int_list("model.mlp").back(), expected[i].second);
    EXPECT_EQ(runs[i].config.get_int("seed"), 11);
  }
  EXPECT_EQ(runs[1].assignments, (Assignments{{"train.lr", "0.1"},
                                              {"data.classes", "[0, 1, 2, 3, 4, 5]"},
                                              {"model.mlp", "[784, 50, 50, 6]"}}));
  EXPECT_EQ(spec_->varied_keys(), (std::vector<std::string>{"train.lr", "data.classes", "model.mlp"}));
}

TEST_F(ExpansionTest, UnionDropsARepeatedPoint) {
  // grids[1]'s momentum 0.0 resolves to the base (lr 0.1, momentum 0), reached first by grids[0]'s
  // lr 1e-1: the same config, so one run. Numbers stay contiguous.
  const auto runs = runs_of("grids:\n  - train.lr: [1e-1, 0.01]\n  - train.momentum: [0.0, 0.9]\n  - {}\n");
  ASSERT_EQ(runs.size(), 3U);
  EXPECT_EQ(runs[0].assignments, (Assignments{{"train.lr", "1e-1"}}));
  EXPECT_EQ(runs[1].assignments, (Assignments{{"train.lr", "0.01"}}));
  EXPECT_EQ(runs[2].assignments, (Assignments{{"train.momentum", "0.9"}}));
  for (std::size_t i = 0; i < runs.size(); ++i) EXPECT_EQ(runs[i].number, i);
  EXPECT_NE(runs[0].id, runs[1].id);
  EXPECT_NE(runs[0].id, runs[2].id);
  EXPECT_DOUBLE_EQ(runs[2].config.get_double("train.momentum"), 0.9);
  EXPECT_DOUBLE_EQ(runs[2].config.get_double("train.lr"), 0.1);
  EXPECT_EQ(spec_->varied_keys(), (std::vector<std::string>{"train.lr", "train.momentum"}));
}

TEST_F(ExpansionTest, SeedsCountListOrNone) {
  auto runs = runs_of("seeds: 3\n");
  ASSERT_EQ(runs.size(), 3U);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(runs[i].config.get_int("seed"), static_cast<std::int64_t>(i + 1));
  EXPECT_EQ(runs[2].assignments, (Assignments{{"seed", "3"}}));
  runs = runs_of("grid:\n  train.lr: [0.5, 0.25]\nseeds: [7, 0, 3]\n");
  ASSERT_EQ(runs.size(), 6U);
  const std::vector<std::int64_t> seeds = {7, 0, 3, 7, 0, 3};
  for (std::size_t i = 0; i < runs.size(); ++i) {
    EXPECT_EQ(runs[i].config.get_int("seed"), seeds[i]);
    EXPECT_DOUBLE_EQ(runs[i].config.get_double("train.lr"), i < 3 ? 0.5 : 0.25);
  }
  runs = runs_of("");
  ASSERT_EQ(runs.size(), 1U);
  EXPECT_EQ(runs[0].config.get_int("seed"), 11);
  EXPECT_TRUE(runs[0].assignments.empty());
  EXPECT_EQ(point_count(spec_->grids()[0]), 1U);
}

TEST_F(ExpansionTest, OverridesComeAfterSetAndBeforeAxes) {
  const auto runs = runs_of("set:\n  train.epochs: 5\n  train.lr: 0.3\ngrid:\n  train.lr: [0.5]\n",
                            {"train.epochs=7", "train.lr=0.4"});
  ASSERT_EQ(runs.size(), 1U);
  EXPECT_EQ(runs[0].config.get_int("train.epochs"), 7);
  EXPECT_DOUBLE_EQ(runs[0].config.get_double("train.lr"), 0.5);
}

TEST_F(ExpansionTest, IdsIgnoreFormattingKeyOrderAndOutputs) {
  const std::string out = "output: " + (root_ / "out").string() + "\n";
  write("a/spec.yaml", out + "base: {train: {lr: 0.1, output: here}, model: {mlp: [784, 50, 10]}}\n");
  write("b/base.yaml", "model:\n  mlp: [784,50,10]\ntrain:\n  output: elsewhere\n  lr: 1e-1\n");
  write("b/spec.yaml", out + "base: base.yaml\nset:\n  eig.batch_size: 7\n");
  write("c/spec.yaml", out + "base: {train: {lr: 0.2}, model: {mlp: [784, 50, 10]}}\n");
  const auto id_of = [&](const std::string& name) {
    return expand(load_sweep_spec((root_ / name).string(), schema_), schema_).at(0).id;
  };
  EXPECT_EQ(id_of("a/spec.yaml"), id_of("b/spec.yaml"));
  EXPECT_NE(id_of("a/spec.yaml"), id_of("c/spec.yaml"));
}

TEST_F(ExpansionTest, BaseInlineAndRelativeToTheSpecFromAnotherFolder) {
  write("specs/base.yaml", kBase);
  write("specs/sub/spec.yaml", "base: ../base.yaml\noutput: out\ngrid:\n  train.lr: [0.5]\n");
  fs::create_directories(root_ / "elsewhere");
  const fs::path before = fs::current_path();
  fs::current_path(root_ / "elsewhere");
  std::vector<SweepRun> runs;
  std::string base_file;
  try {
    const SweepSpec spec = load_sweep_spec("../specs/sub/spec.yaml", schema_);
    base_file = spec.base_file();
    runs = expand(spec, schema_);
  } catch (...) {
    fs::current_path(before);
    throw;
  }
  fs::current_path(before);
  EXPECT_EQ(base_file, "../specs/sub/../base.yaml");
  EXPECT_TRUE(fs::is_directory(root_ / "elsewhere" / "out"));  // output: relative to the working directory
  ASSERT_EQ(runs.size(), 1U);
  EXPECT_EQ(runs[0].config.get_int("data.per_class"), 20);
  EXPECT_EQ(runs[0].config.get_int("seed"), 11);
  EXPECT_DOUBLE_EQ(runs[0].config.get_double("train.lr"), 0.5);

  const SweepSpec inline_spec = load_sweep_spec(
      write("inline.yaml", "output: " + (root_ / "out").string() + "\nbase:\n  seed: 4\n  data: {per_class: 30}\n"),
      schema_);
  runs = expand(inline_spec, schema_);
  ASSERT_EQ(runs.size(), 1U);
  EXPECT_EQ(runs[0].config.get_int("seed"), 4);
  EXPECT_EQ(runs[0].config.get_int("data.per_class"), 30);
  EXPECT_EQ(inline_spec.base_file(), (root_ / "inline.yaml").string());
  EXPECT_NE(inline_spec.base_text().find("per_class: 30"), std::string::npos) << inline_spec.base_text();
}

}  // namespace
}  // namespace hesscov::sweep
