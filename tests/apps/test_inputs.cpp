// Every example config in inputs/ runs end to end at a small size (inputs are documentation:
// they must keep working). Configs whose data set is not on this machine are skipped.
#include <gtest/gtest.h>

#include "support/subprocess.hpp"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

struct Example {
  const char* command;        // the job command the config is documented for
  const char* marker;         // a line its output must hold
  const char* file;
  const char* small;          // overrides that shrink the run
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
    {"run", "mean loss L", "lenet_cifar10.yaml", "data.limit=100 train.epochs=1", "/data/cifar-10-batches-bin/data_batch_1.bin"},
};

class Inputs : public ::testing::TestWithParam<Example> {};

TEST_P(Inputs, RunsEndToEndAtASmallSize) {
  const Example example = GetParam();
  if (*example.needs != '\0' && !std::filesystem::exists(example.needs))
    GTEST_SKIP() << example.file << " needs " << example.needs << ", which is not on this machine";
  const std::string out = (std::filesystem::temp_directory_path() / ("hesscov_inputs_" + std::to_string(::getpid()))).string();
  const auto result = hesscov::testing::run_shell(hesscov::testing::hesscov_command(
      std::string(example.command) + " " + HESSCOV_SOURCE_DIR + "/inputs/" + example.file + " " + example.small +
      " train.output=" + out + " align.output=" + out + "/align.h5"));
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
    const std::string name = entry.path().filename().string();
    bool listed = false;
    for (const auto& example : kExamples) listed = listed || name == example.file;
    EXPECT_TRUE(listed) << name << " has no small-size run in tests/apps/test_inputs.cpp";
  }
}

}  // namespace
