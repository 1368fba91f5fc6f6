// `hesscov sweep` end to end under mpirun: 6 runs on 4 ranks in groups of 2, one file per run and
// an index; a SIGTERM mid-way and a re-run give the same archives as an uninterrupted sweep; a
// kill -9 mid-write leaves finished runs and committed checkpoints readable and the index sound;
// bad specs fail before any work. Archives are compared with the plain HDF5 C API (io/h5_dump.hpp),
// independent of the writers.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <algorithm>
#include <filesystem>
#include <limits>
#include <fstream>
#include <string>

#include "io/h5_dump.hpp"
#include "support/subprocess.hpp"

namespace hesscov::testing {
namespace {
namespace fs = std::filesystem;

constexpr const char* kFashion = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";

/// 3 learning rates x 2 seeds; checkpoints at epoch 0, 10 and 20, align at 10 and 20. Long enough
/// in training (20 epochs of 5 steps) that a signal lands inside a run.
std::string spec_text() {
  return std::string("base: ") + HESSCOV_SOURCE_DIR + "/inputs/quickstart.yaml\n" +
         "set:\n"
         "  data.per_class: 10\n"
         "  train.epochs: 20\n"
         "  train.batch_size: 20\n"
         "  train.eval_every: 5\n"
         "  train.evaluate_test: false\n"
         "  eig.nev: 8\n"
         "  align.per_sample: 0\n"
         "  align.cosine_probes: 0\n"
         "  measure.analyses: [align]\n"
         "  measure.epochs: [10, 20]\n"
         "grid:\n"
         "  train.lr: [0.1, 0.05, 0.02]\n"
         "seeds: 2\n"
         "output: out\n"
         "group_size: 2\n";
}

/// A scratch folder holding the spec; sweeps run from sub-folders so their "out" differ.
class SweepCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = (fs::temp_directory_path() / ("hesscov_sweep_cli_" + std::to_string(::getpid()))).string();
    fs::create_directories(root_);
    std::ofstream(root_ + "/spec.yaml") << spec_text();
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }
  void SetUp() override {
    if (!fs::exists(kFashion)) GTEST_SKIP() << "Debian's dataset-fashion-mnist is not installed";
  }

  static std::string sweep_command(const std::string& folder, const std::string& extra = "") {
    fs::create_directories(root_ + "/" + folder);
    return "cd " + root_ + "/" + folder + " && OPENBLAS_NUM_THREADS=1 " +
           hesscov_command("sweep " + root_ + "/spec.yaml " + extra, std::string(HESSCOV_MPIEXEC) + " -np 4 ");
  }

  /// Starts the sweep in `folder`, waits until the shell condition `ready` holds (run in its
  /// output folder), sends `signal` to the hesscov processes (as Slurm does: to every task), and
  /// waits for the sweep to end.
  static CommandResult interrupted_sweep(const std::string& folder, const std::string& ready, const std::string& signal) {
    const std::string out = root_ + "/" + folder + "/out";
    const std::string script = root_ + "/" + folder + ".sh";
    std::ofstream(script) << "(" << sweep_command(folder) << " > " << root_ << "/" << folder << ".log 2>&1; echo $? > "
                          << root_ << "/" << folder << ".rc) &\n"
                          << "job=$!\n"
                          << "mkdir -p " << out << "; cd " << out << "\n"
                          << "while kill -0 $job 2>/dev/null && ! { " << ready << "; } >/dev/null 2>&1; do "
                          << "sleep 0.01; done\n"
                          // Only this suite's processes: ctest runs other sweeps beside it.
                          << "pkill -" << signal << " -f '^" << HESSCOV_BINARY << " sweep " << root_ << "/spec.yaml'\n"
                          << (signal == "KILL" ? "pkill -KILL -f 'mpirun.* sweep " + root_ + "/spec.yaml'\n" : "")
                          << "wait $job\n"
                          << "cat " << root_ << "/" << folder << ".log; echo \"exit: $(cat " << root_ << "/" << folder
                          << ".rc)\"\n";
    return run_shell("bash " + script);
  }

  static std::string out(const std::string& folder) { return root_ + "/" + folder + "/out"; }

  static inline std::string root_;
};

/// Everything that must not differ between two sweeps of the same spec: all but wall times and
/// time stamps (the history's last column is the wall time of each evaluation).
Dump comparable(Dump dump) {
  for (auto it = dump.attributes.begin(); it != dump.attributes.end();) {
    const std::string name = it->first.substr(it->first.find('@') + 1);
    const bool timing = name.find("seconds") != std::string::npos || name == "created" || name == "updated" ||
                        name == "written";
    it = timing ? dump.attributes.erase(it) : std::next(it);
  }
  for (auto& [path, values] : dump.datasets)
    if (path.size() > 8 && path.substr(path.size() - 8) == "/history")
      for (size_t i = 7; i < values.numbers.size(); i += 8) values.numbers[i] = 0.0;
  // NaN (metrics never evaluated) compares unequal to itself: give it one comparable stand-in.
  auto mark_nan = [](Values& values) {
    for (auto& x : values.numbers)
      if (std::isnan(x)) x = std::numeric_limits<double>::lowest();
  };
  for (auto& [path, values] : dump.datasets) mark_nan(values);
  for (auto& [name, values] : dump.attributes) mark_nan(values);
  return dump;
}

std::vector<std::string> run_files(const std::string& out) {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(out + "/runs"))
    if (entry.path().extension() == ".h5") files.push_back(entry.path().filename().string());
  std::sort(files.begin(), files.end());
  return files;
}

std::string root_string(const Dump& dump, const std::string& name) {
  const auto found = dump.attributes.find("/@" + name);
  return found == dump.attributes.end() || found->second.strings.empty() ? "" : found->second.strings.front();
}

void expect_same_archives(const std::string& reference, const std::string& other) {
  const auto files = run_files(reference);
  ASSERT_EQ(files.size(), 6u);
  ASSERT_EQ(run_files(other), files);
  for (const auto& file : files) {
    const Dump a = comparable(dump_file(reference + "/runs/" + file)), b = comparable(dump_file(other + "/runs/" + file));
    EXPECT_EQ(a.groups, b.groups) << file;
    for (const auto& [path, values] : a.datasets) EXPECT_EQ(values, b.datasets.at(path)) << file << " " << path;
    for (const auto& [name, values] : a.attributes) EXPECT_EQ(values, b.attributes.at(name)) << file << " " << name;
    EXPECT_EQ(a.attributes.size(), b.attributes.size()) << file;
  }
}

TEST_F(SweepCli, SixRunsInGroupsOfTwoGiveOneFilePerRunAndAnIndex) {
  const auto result = run_shell(sweep_command("reference"));
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_TRUE(contains(result.output, "6 completed")) << result.output;
  EXPECT_TRUE(contains(result.output, "[group 1 run")) << "both groups took runs:\n" << result.output;
  const auto files = run_files(out("reference"));
  ASSERT_EQ(files.size(), 6u);
  EXPECT_FALSE(fs::exists(out("reference") + "/runs/" + files[0].substr(0, 16) + ".partial"));
  const Dump index = dump_file(out("reference") + "/index.h5");
  EXPECT_EQ(root_string(index, "format"), "hesscov-index");
  for (const auto& file : files) {
    const Dump run = dump_file(out("reference") + "/runs/" + file);
    EXPECT_EQ(root_string(run, "archive"), "merged") << file;
    EXPECT_EQ(root_string(run, "status"), "completed") << file;
    for (const char* group : {"/checkpoints/step_0", "/checkpoints/step_50", "/checkpoints/step_100",
                              "/checkpoints/step_50/align", "/checkpoints/step_100/align/covariance"})
      EXPECT_TRUE(run.groups.count(group)) << file << " lacks " << group;
    // The index links this run: its objects appear under /runs/<id> in the index's dump.
    const std::string id = root_string(run, "run_id");
    EXPECT_EQ(file, id + ".h5");
    EXPECT_TRUE(index.groups.count("/runs/" + id + "/checkpoints/step_100")) << id;
    EXPECT_EQ(index.datasets.at("/runs/" + id + "/checkpoints/step_100/params"),
              run.datasets.at("/checkpoints/step_100/params"));
  }
  EXPECT_EQ(index.datasets.at("/summary").shape, std::vector<hsize_t>{6});
}

TEST_F(SweepCli, SigtermMidwayThenRerunGivesTheUninterruptedArchives) {
  if (!fs::exists(out("reference") + "/index.h5")) ASSERT_EQ(run_shell(sweep_command("reference")).status, 0);
  // Stop once the first measure point of some run is committed: that run is mid-training.
  const auto stopped = interrupted_sweep("stopped", "ls runs/*.partial/step-50.align.h5", "TERM");
  ASSERT_TRUE(contains(stopped.output, "exit: 75")) << stopped.output;
  EXPECT_TRUE(contains(stopped.output, "interrupted at step")) << stopped.output;
  EXPECT_TRUE(contains(stopped.output, "run the same command again to resume")) << stopped.output;
  int views = 0;
  for (const auto& file : run_files(out("stopped"))) {
    const Dump run = dump_file(out("stopped") + "/runs/" + file);  // views resolve through external links
    if (root_string(run, "archive") != "view") continue;
    ++views;
    EXPECT_EQ(root_string(run, "status"), "interrupted") << file;
  }
  EXPECT_GE(views, 1);
  const auto resumed = run_shell(sweep_command("stopped"));
  ASSERT_EQ(resumed.status, 0) << resumed.output;
  EXPECT_TRUE(contains(resumed.output, "resuming")) << resumed.output;
  expect_same_archives(out("reference"), out("stopped"));
}

TEST_F(SweepCli, KillNineMidWriteKeepsFinishedWorkReadableAndTheIndexSound) {
  if (!fs::exists(out("reference") + "/index.h5")) ASSERT_EQ(run_shell(sweep_command("reference")).status, 0);
  // Kill while a segment is being written, once two runs are merged and a third has a view.
  const auto killed =
      interrupted_sweep("killed",
                        "n=0; for f in runs/*.h5; do [ -d \"${f%.h5}.partial\" ] || n=$((n+1)); done; "  // merged runs
                        "[ $n -ge 2 ] && ls runs/*.partial/step-*.h5.tmp",
                        "KILL");
  ASSERT_FALSE(contains(killed.output, "exit: 0")) << killed.output;
  const std::string dir = out("killed");
  int merged = 0, views = 0;
  for (const auto& file : run_files(dir)) {
    const Dump run = dump_file(dir + "/runs/" + file);  // throws on a corrupt file or a dangling link
    (root_string(run, "archive") == "merged" ? merged : views) += 1;
    if (root_string(run, "archive") == "view") EXPECT_EQ(root_string(run, "status"), "running") << file;
  }
  EXPECT_GE(merged, 2);
  EXPECT_GE(views, 1);
  for (const auto& entry : fs::recursive_directory_iterator(dir + "/runs"))
    if (entry.path().extension() == ".h5" && entry.path().parent_path().extension() == ".partial")
      EXPECT_NO_THROW((void)dump_file(entry.path().string())) << entry.path();  // every committed segment
  if (fs::exists(dir + "/index.h5")) EXPECT_NO_THROW((void)dump_file(dir + "/index.h5"));
  const auto rebuilt = run_shell(hesscov_command("index " + dir));
  ASSERT_EQ(rebuilt.status, 0) << rebuilt.output;
  const Dump index = dump_file(dir + "/index.h5");
  EXPECT_EQ(index.datasets.at("/summary").shape, std::vector<hsize_t>{static_cast<hsize_t>(merged + views)});
  const auto resumed = run_shell(sweep_command("killed"));
  ASSERT_EQ(resumed.status, 0) << resumed.output;
  expect_same_archives(out("reference"), dir);
}

double max_relative_difference(const std::vector<double>& a, const std::vector<double>& b) {
  EXPECT_EQ(a.size(), b.size());
  double worst = 0.0, scale = 0.0;
  for (const double x : a) scale = std::max(scale, std::abs(x));
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
  return worst / std::max(scale, 1e-300);
}

TEST_F(SweepCli, ARunGivesTheSameResultsOnOneTwoAndThreeRanks) {
  std::string one = spec_text();
  one = one.substr(0, one.find("grid:")) + "seeds: [2]\noutput: out\n";
  std::ofstream(root_ + "/one.yaml") << one;
  std::vector<Dump> dumps;
  for (const int ranks : {1, 2, 3}) {
    const std::string folder = root_ + "/ranks" + std::to_string(ranks);
    fs::create_directories(folder);
    const auto result = run_shell("cd " + folder + " && OPENBLAS_NUM_THREADS=1 " +
                                  hesscov_command("sweep " + root_ + "/one.yaml --group-size " + std::to_string(ranks),
                                                  std::string(HESSCOV_MPIEXEC) + " -np " + std::to_string(ranks) + " "));
    ASSERT_EQ(result.status, 0) << result.output;
    const auto files = run_files(folder + "/out");
    ASSERT_EQ(files.size(), 1u);
    dumps.push_back(dump_file(folder + "/out/runs/" + files[0]));
  }
  // The same run id on every rank count: the group size is not part of the config.
  EXPECT_EQ(root_string(dumps[0], "run_id"), root_string(dumps[2], "run_id"));
  for (size_t i = 1; i < dumps.size(); ++i) {
    for (const char* dataset : {"/checkpoints/step_100/params", "/checkpoints/step_100/velocity",
                                "/checkpoints/step_50/align/lambda", "/checkpoints/step_100/align/lambda",
                                "/checkpoints/step_100/align/covariance/diagonal",
                                "/checkpoints/step_100/align/awd/diagonal"})
      EXPECT_LT(max_relative_difference(dumps[0].datasets.at(dataset).numbers, dumps[i].datasets.at(dataset).numbers),
                1e-10)
          << dataset << " on " << i + 1 << " ranks";
    const auto gamma = "/summary@align.gamma";
    EXPECT_NEAR(dumps[0].attributes.at(gamma).numbers.at(0), dumps[i].attributes.at(gamma).numbers.at(0), 1e-9);
  }
}

TEST_F(SweepCli, BadSpecsFailBeforeAnyWork) {
  struct Case {
    std::string name, text, named;
  };
  const std::string base = std::string("base: ") + HESSCOV_SOURCE_DIR + "/inputs/quickstart.yaml\n";
  const Case cases[] = {
      {"unknown_key", base + "grid:\n  train.lrr: [0.1]\noutput: out\n", "did you mean 'train.lr'"},
      {"empty_grid", base + "grid:\n  train.lr: []\noutput: out\n", "non-empty list"},
      {"non_numeric", base + "grid:\n  train.lr: [0.1, fast]\noutput: out\n", "grid.train.lr[1]"},
      {"duplicate_seeds", base + "seeds: [1, 2, 1]\noutput: out\n", "seeds[2]"},
      {"unwritable_output", base + "output: /proc/hesscov-cannot-write-here\n", "/proc/hesscov-cannot-write-here"},
  };
  for (const auto& c : cases) {
    const std::string folder = root_ + "/bad_" + c.name;
    fs::create_directories(folder);
    std::ofstream(folder + "/spec.yaml") << c.text;
    const auto result = run_shell("cd " + folder + " && " + hesscov_command("sweep spec.yaml"));
    EXPECT_EQ(result.status, 1) << c.name << ":\n" << result.output;
    EXPECT_TRUE(contains(result.output, c.named)) << c.name << ":\n" << result.output;
    EXPECT_FALSE(fs::exists(folder + "/out/runs")) << c.name << ": work started";
  }
  const auto groups = run_shell(sweep_command("bad_groups", "--group-size 3"));
  EXPECT_EQ(groups.status != 0, true) << groups.output;
  EXPECT_TRUE(contains(groups.output, "a divisor of the 4 MPI ranks")) << groups.output;
  EXPECT_FALSE(fs::exists(out("bad_groups") + "/runs"));
}

TEST_F(SweepCli, DryRunListsRunsStatesAndResources) {
  const auto result = run_shell("cd " + root_ + " && mkdir -p dry && cd dry && " +
                                hesscov_command("sweep " + root_ + "/spec.yaml --dry-run --group-size 2"));
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_TRUE(contains(result.output, "6 runs")) << result.output;
  EXPECT_TRUE(contains(result.output, "train.lr=0.05 seed=2")) << result.output;
  EXPECT_TRUE(contains(result.output, "new")) << result.output;
  // 784-50-50-10 without biases: 42,200 parameters; fc2.weight: 2,500; 100 samples; 20 x 5 steps.
  EXPECT_TRUE(contains(result.output, "42200      2500       100        100")) << result.output;
  EXPECT_FALSE(fs::exists(root_ + "/dry/out/runs")) << "a dry run must not start work";
}

}  // namespace
}  // namespace hesscov::testing
