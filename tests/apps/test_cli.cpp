// The hesscov command end to end, run as a subprocess: version, info, the quickstart job on a
// small subset, and the error messages a user sees for bad input.
#include <gtest/gtest.h>

#include "support/subprocess.hpp"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

using Result = hesscov::testing::CommandResult;
using hesscov::testing::contains;

Result run(const std::string& arguments) { return hesscov::testing::run_shell(hesscov::testing::hesscov_command(arguments)); }

std::string source_dir() {
  const char* path = std::getenv("HESSCOV_SOURCE_DIR");
  return path != nullptr ? path : HESSCOV_SOURCE_DIR;
}


std::string write_temp(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / ("hesscov_cli_" + std::to_string(::getpid()) + "_" + name);
  std::ofstream(path) << text;
  return path.string();
}

TEST(Cli, VersionPrintsTheProjectVersion) {
  const Result r = run("--version");
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(contains(r.output, "hesscov 0.1.0")) << r.output;
}

TEST(Cli, InfoReportsTheBuild) {
  const Result r = run("info");
  ASSERT_EQ(r.status, 0) << r.output;
  for (const char* field : {"MPI:", "Open MPI", "PETSc:", "SLEPc:", "scalar:", "real double",
                            "index:", "64-bit PetscInt", "BLAS:", "HDF5:", "parallel", "CUDA:"})
    EXPECT_TRUE(contains(r.output, field)) << "missing '" << field << "' in:\n" << r.output;
  EXPECT_TRUE(contains(r.output, "openblas")) << r.output;
  // The one warning a correct install may give: OpenBLAS chose kernels below the CPU's (a guest
  // whose CPUID hides the model); it must say what to do.
  for (size_t at = r.output.find("warning:"); at != std::string::npos; at = r.output.find("warning:", at + 1)) {
    const std::string line = r.output.substr(at, r.output.find('\n', at) - at);
    EXPECT_TRUE(contains(line, "OpenBLAS uses its") && contains(line, "export OPENBLAS_CORETYPE=")) << line;
  }
}

TEST(Cli, UnknownCommandIsAUsageError) {
  const Result r = run("frobnicate");
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(contains(r.output, "unknown command 'frobnicate'")) << r.output;
}

TEST(Cli, RunHelpListsTheConfigKeys) {
  const Result r = run("run --help");
  EXPECT_EQ(r.status, 0) << r.output;
  for (const char* key : {"model.mlp", "model.activation", "model.loss", "data.path", "probe.blocks", "seed"})
    EXPECT_TRUE(contains(r.output, key)) << key;
}

TEST(Cli, QuickstartRunsEndToEndOnASubset) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "Debian's dataset-fashion-mnist is not installed";
  const std::string out = write_temp("quickstart_out", "");
  std::filesystem::remove(out);
  const Result r = run("run " + source_dir() + "/inputs/quickstart.yaml data.limit=500 probe.batch_size=128 "
                       "train.epochs=5 train.eval_every=5 train.output=" + out);
  std::filesystem::remove_all(out);
  ASSERT_EQ(r.status, 0) << r.output;
  for (const char* line : {"samples: 500", "parameters: 42200", "epoch 5/5", "test loss", "mean loss", "gradient norm",
                           "v.Hv", "v.Gv", "v.Cv", "fc2.weight"})
    EXPECT_TRUE(contains(r.output, line)) << "missing '" << line << "' in:\n" << r.output;
}

TEST(Cli, MisspeltKeyIsNamedWithASuggestion) {
  const std::string path = write_temp("typo.yaml", "model:\n  mpl: [784, 10]\n");
  const Result job = run("run " + path);
  EXPECT_EQ(job.status, 1);
  EXPECT_TRUE(contains(job.output, "model.mpl")) << job.output;
  EXPECT_TRUE(contains(job.output, "model.mlp")) << job.output;
  EXPECT_TRUE(contains(job.output, path)) << job.output;
}

TEST(Cli, LayerSizeThatDoesNotFitTheDataIsNamed) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "Debian's dataset-fashion-mnist is not installed";
  const std::string path = write_temp("width.yaml", "data:\n  limit: 10\nmodel:\n  mlp: [100, 10]\n");
  const Result r = run("run " + path);
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(contains(r.output, "model.mlp")) << r.output;
  EXPECT_TRUE(contains(r.output, "784")) << r.output;
}

TEST(Cli, MissingDataFolderIsNamed) {
  const std::string path = write_temp("nodata.yaml", "data:\n  path: /nonexistent/mnist\n");
  const Result r = run("run " + path);
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(contains(r.output, "/nonexistent/mnist")) << r.output;
}

TEST(Cli, TrainWritesCheckpointsAndResumesToTheSameParameters) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "Debian's dataset-fashion-mnist is not installed";
  const std::string dir = write_temp("train_out", "");
  std::filesystem::remove(dir);
  const std::string common = "run " + source_dir() +
                             "/inputs/quickstart.yaml data.limit=300 train.batch_size=32 train.momentum=0.9 "
                             "probe.blocks=[] train.output=" + dir;
  const Result whole = run(common.substr(4).insert(0, "train ") + "/whole train.epochs=3");
  ASSERT_EQ(whole.status, 0) << whole.output;
  EXPECT_TRUE(contains(whole.output, "epoch 3/3")) << whole.output;
  EXPECT_TRUE(contains(whole.output, "training completed after 30 steps")) << whole.output;
  const Result first = run(common.substr(4).insert(0, "train ") + "/part train.epochs=1");
  ASSERT_EQ(first.status, 0) << first.output;
  const Result resumed = run(common + "/part2 train.epochs=3 train.resume=" + dir + "/part/final.h5");
  ASSERT_EQ(resumed.status, 0) << resumed.output;
  EXPECT_TRUE(contains(resumed.output, "resuming from")) << resumed.output;
  // The probe prints the loss at the final point: both routes must agree to the printed digit.
  const Result probe_whole = run(common + "/whole2 train.epochs=3");
  const auto loss_line = [](const std::string& text) { return text.substr(text.find("mean loss L"), 40); };
  ASSERT_TRUE(contains(resumed.output, "mean loss L") && contains(probe_whole.output, "mean loss L"));
  EXPECT_EQ(loss_line(resumed.output), loss_line(probe_whole.output));
  std::filesystem::remove_all(dir);
}

TEST(Cli, ResumeFromAFileThatIsNoCheckpointIsNamed) {
  const std::string bogus = write_temp("bogus.h5", "not hdf5");
  const Result r = run("train " + source_dir() + "/inputs/quickstart.yaml data.limit=100 train.epochs=1 train.resume=" + bogus);
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(contains(r.output, bogus)) << r.output;
}

TEST(Cli, MissingConfigFileIsNamed) {
  const Result r = run("run /nonexistent/config.yaml");
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(contains(r.output, "/nonexistent/config.yaml")) << r.output;
}

}  // namespace
