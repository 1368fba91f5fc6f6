// Every example config in inputs/ runs end to end at a small size (inputs are documentation:
// they must keep working). Configs whose data set is not on this machine are skipped.
#include <gtest/gtest.h>

#include "backend/types.hpp"
#include "support/subprocess.hpp"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

using hesscov::index;

struct Example {
  const char* command;        // the job command the config is documented for
  const char* marker;         // a line its output must hold
  const char* file;
  const char* small;          // overrides that shrink the run ({out}: the test's output folder)
  const char* needs;          // a file that must exist, or ""
};

const Example kExamples[] = {
    {"run", "mean loss L", "quickstart.yaml", "data.per_class=20 train.epochs=2",
     "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"},
    {"align", "gamma_AWD", "quickstart.yaml",
     "data.per_class=20 train.epochs=2 eig.nev=20 align.per_sample=20",
     "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"},
    {"run", "mean loss L", "cnn_fashion.yaml", "data.per_class=10 train.epochs=1 train.batch_size=10 probe.batch_size=30",
     "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"},
    {"run", "mean loss L", "synthetic_regression.yaml", "data.synthetic.count=100 train.epochs=2", ""},
    {"fluct", "fluctuations of 4 directions", "fluct_linear.yaml", "fluct.epochs=100", ""},
    {"track", "tr H =", "toy_valley.yaml", "train.epochs=200 track.output={out}/track", ""},
    {"run", "mean loss L", "lenet_cifar10.yaml", "data.limit=100 train.epochs=1", "/data/cifar-10-batches-bin/data_batch_1.bin"},
};

class Inputs : public ::testing::TestWithParam<Example> {};

TEST_P(Inputs, RunsEndToEndAtASmallSize) {
  const Example example = GetParam();
  if (*example.needs != '\0' && !std::filesystem::exists(example.needs))
    GTEST_SKIP() << example.file << " needs " << example.needs << ", which is not on this machine";
  const std::string out = (std::filesystem::temp_directory_path() / ("hesscov_inputs_" + std::to_string(::getpid()))).string();
  std::string small = example.small;
  if (const auto at = small.find("{out}"); at != std::string::npos) small.replace(at, 5, out);
  const auto result = hesscov::testing::run_shell(hesscov::testing::hesscov_command(
      std::string(example.command) + " " + HESSCOV_SOURCE_DIR + "/inputs/" + example.file + " " + small +
      " train.output=" + out + " align.output=" + out + "/align.h5 fluct.output=" + out + "/fluct.h5"));
  const std::string& output = result.output;
  std::filesystem::remove_all(out);
  ASSERT_EQ(result.status, 0) << output;
  EXPECT_NE(output.find(example.marker), std::string::npos) << output;
  EXPECT_NE(output.find("done in"), std::string::npos) << output;
}

INSTANTIATE_TEST_SUITE_P(Examples, Inputs, ::testing::ValuesIn(kExamples),
                         [](const ::testing::TestParamInfo<Example>& info) {
                           std::string name = info.param.file;
                           return name.substr(0, name.find('.')) + "_" + info.param.command;
                         });

TEST(Inputs, EveryConfigInTheFolderIsListed) {
  for (const auto& entry : std::filesystem::directory_iterator(std::string(HESSCOV_SOURCE_DIR) + "/inputs")) {
    if (entry.is_directory()) continue;  // inputs/sweeps: the sweep specs, run below
    const std::string name = entry.path().filename().string();
    bool listed = false;
    for (const auto& example : kExamples) listed = listed || name == example.file;
    EXPECT_TRUE(listed) << name << " has no small-size run in tests/apps/test_inputs.cpp";
  }
}

// Every sweep spec in inputs/sweeps: the study-size ones are expanded and sized (--dry-run, which
// loads their data sets), the smoke ones run whole under mpirun and must index every run as
// completed. Specs whose data set is not on this machine are skipped.
struct SweepExample {
  const char* file;
  index runs;          // runs the spec expands to
  bool run;            // run it whole (smoke size) or only --dry-run
  const char* needs;
};

const SweepExample kSweeps[] = {
    {"alignment-table.yaml", 48, false, "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"},
    {"alignment-table-smoke.yaml", 16, true, "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"},
    {"epoch-noise.yaml", 70, false, "/data/cifar-10-batches-bin/data_batch_1.bin"},
    {"epoch-noise-smoke.yaml", 10, true, "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"},
    {"fluct-linear-smoke.yaml", 8, true, ""},
    {"trace-study.yaml", 40, false, "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"},
    {"trace-study-cifar10.yaml", 40, false, "/data/cifar-10-batches-bin/data_batch_1.bin"},
    {"trace-study-smoke.yaml", 8, true, "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"},
    {"toy-valley.yaml", 16, true, ""},
    {"quickstart-run.yaml", 1, false, "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"},
};

class SweepInputs : public ::testing::TestWithParam<SweepExample> {};

TEST_P(SweepInputs, ExpandAndRunAtTheirSize) {
  const SweepExample example = GetParam();
  if (*example.needs != '\0' && !std::filesystem::exists(example.needs))
    GTEST_SKIP() << example.file << " needs " << example.needs << ", which is not on this machine";
  const auto folder = std::filesystem::temp_directory_path() / ("hesscov_sweep_inputs_" + std::to_string(::getpid()));
  std::filesystem::create_directories(folder);
  const std::string spec = std::string(HESSCOV_SOURCE_DIR) + "/inputs/sweeps/" + example.file;
  const std::string cd = "cd " + folder.string() + " && OPENBLAS_NUM_THREADS=1 ";
  const auto dry = hesscov::testing::run_shell(cd + hesscov::testing::hesscov_command("sweep " + spec + " --dry-run"));
  EXPECT_EQ(dry.status, 0) << dry.output;
  EXPECT_NE(dry.output.find(": " + std::to_string(example.runs) + " runs,"), std::string::npos) << dry.output;
  if (example.run) {
    const auto result = hesscov::testing::run_shell(
        cd + hesscov::testing::hesscov_command("sweep " + spec, std::string(HESSCOV_MPIEXEC) + " -np 2 "));
    EXPECT_EQ(result.status, 0) << result.output;
    EXPECT_NE(result.output.find(std::to_string(example.runs) + " runs (" + std::to_string(example.runs) + " finished"),
              std::string::npos)
        << result.output;
  }
  std::filesystem::remove_all(folder);
}

INSTANTIATE_TEST_SUITE_P(Specs, SweepInputs, ::testing::ValuesIn(kSweeps),
                         [](const ::testing::TestParamInfo<SweepExample>& info) {
                           std::string name = info.param.file;
                           name = name.substr(0, name.find('.'));
                           for (auto& c : name) c = c == '-' ? '_' : c;
                           return name;
                         });

TEST(SweepInputs, EverySpecInTheFolderIsListed) {
  for (const auto& entry : std::filesystem::directory_iterator(std::string(HESSCOV_SOURCE_DIR) + "/inputs/sweeps")) {
    const std::string name = entry.path().filename().string();
    bool listed = false;
    for (const auto& example : kSweeps) listed = listed || name == example.file;
    EXPECT_TRUE(listed) << name << " has no run in tests/apps/test_inputs.cpp";
  }
}

}  // namespace
