// The measure section (apps/measure.hpp): where a run keeps its training state and where it runs
// its analyses, worked out by hand for small configs, and the checks of measure.* against the rest
// of the config, each a ConfigError naming the key.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "apps/eig_stage.hpp"
#include "apps/measure.hpp"
#include "apps/run_setup.hpp"
#include "core/config.hpp"
#include "support/expect.hpp"

namespace hesscov::apps {
namespace {

using Steps = std::vector<index>;

/// The schema of a sweep run's config (as tests/sweep/test_run_id.cpp builds it). A config keeps a
/// pointer to its schema, so the schema lives for the whole test program.
const core::Schema& full_schema() {
  static const core::Schema schema = [] {
    core::Schema s = job_schema();
    add_align_keys(s);
    return s;
  }();
  return schema;
}

core::Config config_of(const std::string& yaml) { return core::Config::load_string(yaml, full_schema(), "m.yaml"); }

/// Runs f, expects a ConfigError whose key() is `key` and whose message names it and the file.
template <class F>
void expect_config_error(F&& f, const std::string& key) {
  testing::expect_error_naming<core::ConfigError>(f, key);
  try {
    f();
  } catch (const core::ConfigError& error) {
    EXPECT_EQ(error.key(), key) << error.what();
    EXPECT_NE(std::string(error.what()).find("m.yaml"), std::string::npos) << error.what();
  }
}

TEST(MeasurePlan, CheckpointsJoinTrainCheckpointsStepsMeasurePointsAndTheEnd) {
  // 10 steps per epoch, 5 epochs: 50 steps. Epoch 9 (step 90) and step 999 lie past the end.
  const auto config = config_of(
      "train: {epochs: 5, checkpoints: [3, 0, 3, 9], checkpoint_steps: [25, 7, 30, 999]}\n"
      "measure: {analyses: [eig], epochs: [4, 2, 2]}\n");
  const MeasurePlan plan = measure_plan(config, 10, 50);
  // epochs 0 and 3 -> 0, 30; steps 7, 25, 30; measure epochs 2, 4 -> 20, 40; the end 50.
  EXPECT_EQ(plan.checkpoints, (Steps{0, 7, 20, 25, 30, 40, 50}));
  EXPECT_EQ(plan.analysis_steps, (Steps{20, 40}));
  EXPECT_EQ(plan.analyses, (std::vector<std::string>{"eig"}));
  EXPECT_TRUE(plan.analyses_at(20));
  EXPECT_TRUE(plan.analyses_at(40));
  EXPECT_FALSE(plan.analyses_at(30));  // a checkpoint, not a measure point
  EXPECT_FALSE(plan.analyses_at(50));  // the end is measured only when measure.epochs is []
}

TEST(MeasurePlan, PointsPastAShorterRunAreDropped) {
  // The same config on a run cut to 35 steps: epoch 4 (step 40) and step 999 fall away; the end
  // is step 35.
  const auto config = config_of(
      "train: {epochs: 5, checkpoints: [3, 0], checkpoint_steps: [25, 7, 999]}\n"
      "measure: {analyses: [eig], epochs: [4, 2]}\n");
  const MeasurePlan plan = measure_plan(config, 10, 35);
  EXPECT_EQ(plan.checkpoints, (Steps{0, 7, 20, 25, 30, 35}));
  EXPECT_EQ(plan.analysis_steps, (Steps{20}));
}

TEST(MeasurePlan, NoMeasureEpochsMeansTheEnd) {
  const auto config = config_of("train: {epochs: 4, checkpoints: [1]}\nmeasure: {analyses: [eig, align]}\n");
  const MeasurePlan plan = measure_plan(config, 7, 28);
  EXPECT_EQ(plan.analysis_steps, (Steps{28}));
  EXPECT_EQ(plan.checkpoints, (Steps{7, 28}));
  EXPECT_EQ(plan.analyses, (std::vector<std::string>{"eig", "align"}));
  EXPECT_TRUE(plan.analyses_at(28));
  EXPECT_FALSE(plan.analyses_at(7));
}

TEST(MeasurePlan, NoAnalysesMeansNoAnalysisStepsAndNoMeasureCheckpoints) {
  // Training only: nothing is measured, so measure.epochs adds no checkpoint either.
  const auto config = config_of("train: {epochs: 3, checkpoint_steps: [5]}\nmeasure: {analyses: [], epochs: [1, 2]}\n");
  const MeasurePlan plan = measure_plan(config, 4, 12);
  EXPECT_TRUE(plan.analysis_steps.empty());
  EXPECT_TRUE(plan.analyses.empty());
  EXPECT_EQ(plan.checkpoints, (Steps{5, 12}));
  EXPECT_FALSE(plan.analyses_at(12));
  // Every default: no analyses, one checkpoint at the end.
  const MeasurePlan defaults = measure_plan(config_of("train: {epochs: 2}\n"), 3, 6);
  EXPECT_TRUE(defaults.analysis_steps.empty());
  EXPECT_EQ(defaults.checkpoints, (Steps{6}));
}

TEST(MeasurePlan, UntrainedRunIsMeasuredAtStepZero) {
  const auto config = config_of("train: {epochs: 0, checkpoints: [0]}\nmeasure: {analyses: [eig], epochs: [0]}\n");
  const MeasurePlan plan = measure_plan(config, 10, 0);
  EXPECT_EQ(plan.checkpoints, (Steps{0}));
  EXPECT_EQ(plan.analysis_steps, (Steps{0}));
  EXPECT_TRUE(plan.analyses_at(0));
}

TEST(MeasurePlan, MeasureEpochAtTheLastEpochIsTheEnd) {
  const auto config = config_of("train: {epochs: 3}\nmeasure: {analyses: [eig], epochs: [3, 0]}\n");
  const MeasurePlan plan = measure_plan(config, 5, 15);
  EXPECT_EQ(plan.analysis_steps, (Steps{0, 15}));
  EXPECT_EQ(plan.checkpoints, (Steps{0, 15}));
}

TEST(MeasureConfig, UnknownAnalysisNamesTheKeyAndTheName) {
  const auto config = config_of("train: {epochs: 2}\nmeasure: {analyses: [eig, eigs]}\n");
  expect_config_error([&] { check_measure_config(config); }, "measure.analyses");
  testing::expect_error_naming<core::ConfigError>([&] { check_measure_config(config); }, "'eigs'");
  // The plan checks too, before it plans anything.
  expect_config_error([&] { (void)measure_plan(config, 10, 20); }, "measure.analyses");
}

TEST(MeasureConfig, RepeatedAnalysisNamesTheKey) {
  const auto config = config_of("train: {epochs: 2}\nmeasure: {analyses: [align, eig, align]}\n");
  expect_config_error([&] { check_measure_config(config); }, "measure.analyses");
  testing::expect_error_naming<core::ConfigError>([&] { check_measure_config(config); }, "'align' is listed twice");
}

TEST(MeasureConfig, MeasureEpochPastTheTrainingNamesTheKey) {
  const auto config = config_of("train: {epochs: 5}\nmeasure: {analyses: [eig], epochs: [2, 6]}\n");
  expect_config_error([&] { check_measure_config(config); }, "measure.epochs");
  testing::expect_error_naming<core::ConfigError>([&] { check_measure_config(config); }, "train.epochs = 5");
  EXPECT_NO_THROW(check_measure_config(config_of("train: {epochs: 5}\nmeasure: {analyses: [eig], epochs: [5]}\n")));
  // A negative epoch is the schema's to reject, when the config is loaded (naming the element).
  expect_config_error([] { (void)config_of("measure: {epochs: [3, -1]}\n"); }, "measure.epochs[1]");
}

TEST(MeasureConfig, AlignNeedsTheHessianBySlepc) {
  expect_config_error([] { check_measure_config(config_of("eig: {operator: ggn}\nmeasure: {analyses: [align]}\n")); },
                      "eig.operator");
  expect_config_error([] { check_measure_config(config_of("eig: {method: dense}\nmeasure: {analyses: [eig, align]}\n")); },
                      "eig.method");
  // eig alone has no such demands, and align with the defaults (hessian, slepc) is fine.
  EXPECT_NO_THROW(check_measure_config(config_of("eig: {operator: ggn, method: dense}\nmeasure: {analyses: [eig]}\n")));
  EXPECT_NO_THROW(check_measure_config(config_of("measure: {analyses: [align]}\n")));
  expect_config_error([] { check_align_config(config_of("eig: {operator: covariance}\n")); }, "eig.operator");
}

}  // namespace
}  // namespace hesscov::apps
