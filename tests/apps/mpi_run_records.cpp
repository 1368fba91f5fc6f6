// A sweep run's records (apps/run_records.hpp) at 1, 2 and 3 ranks: training states and headline
// numbers written collectively through an io::AtomicFile and read back on every rank, the
// checkpoint group names, and the UTC time stamp the records carry (core::utc_now).
#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <cmath>
#include <ctime>
#include <filesystem>
#include <limits>
#include <regex>
#include <string>
#include <variant>
#include <vector>

#include "apps/run_records.hpp"
#include "comm/communicator.hpp"
#include "core/log.hpp"
#include "io/atomic_file.hpp"
#include "io/h5_file.hpp"
#include "support/reference.hpp"

namespace hesscov::apps {
namespace {

/// One folder for all ranks, named after rank 0's process id (tests/train/mpi_trainer.cpp does
/// the same): rank 0 creates it here and removes it in the destructor, after every rank is done.
class SharedFolder {
 public:
  SharedFolder(const comm::Communicator& comm, const std::string& name) : comm_(comm) {
    long long pid = ::getpid();
    MPI_Bcast(&pid, 1, MPI_LONG_LONG, 0, comm.get());
    path_ = (std::filesystem::temp_directory_path() / ("hesscov_records_" + std::to_string(pid) + "_" + name)).string();
    if (comm.rank() == 0) {
      std::filesystem::remove_all(path_);
      std::filesystem::create_directories(path_);
    }
    comm.barrier();
  }
  SharedFolder(const SharedFolder&) = delete;
  SharedFolder& operator=(const SharedFolder&) = delete;
  ~SharedFolder() {
    comm_.barrier();
    std::error_code ignored;
    if (comm_.rank() == 0) std::filesystem::remove_all(path_, ignored);
  }
  [[nodiscard]] std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  const comm::Communicator& comm_;
  std::string path_;
};

const double kNan = std::numeric_limits<double>::quiet_NaN();

/// A state with every field set to a value that cannot be a default: odd lengths, negative and
/// tiny numbers, NaN test metrics (a run without test data), a history of three evaluations.
train::Checkpoint sample_state() {
  train::Checkpoint state;
  state.step = 37;
  state.epoch = 4;
  state.seed = (std::uint64_t{1} << 40) + 3;
  state.params = testing::random_vector(29, 11);
  state.velocity = testing::random_vector(29, 12, 1e-3);
  state.velocity[5] = -0.0;
  state.velocity[6] = 1e-300;
  state.status = "interrupted";
  state.train_loss = 0.4375;
  state.train_accuracy = 0.8125;
  state.test_loss = kNan;
  state.test_accuracy = kNan;
  state.history = {{9, 1, 0.1, 2.25, 0.125, kNan, kNan, 0.5},
                   {18, 2, 0.09, 1.0625, 0.5, kNan, kNan, 1.0},
                   {37, 4, 0.0729, 0.4375, 0.8125, kNan, kNan, 2.75}};
  return state;
}

/// Bit-for-bit equality that counts NaN == NaN (NaN is a recorded value here: "no test data").
void expect_same(double actual, double expected, const std::string& what) {
  if (std::isnan(expected))
    EXPECT_TRUE(std::isnan(actual)) << what << " = " << actual << ", expected NaN";
  else
    EXPECT_EQ(actual, expected) << what;
}

void expect_same_state(const train::Checkpoint& back, const train::Checkpoint& state) {
  EXPECT_EQ(back.step, state.step);
  EXPECT_EQ(back.epoch, state.epoch);
  EXPECT_EQ(back.seed, state.seed);
  EXPECT_EQ(back.status, state.status);
  EXPECT_EQ(back.params, state.params);  // fp64 bits survive
  ASSERT_EQ(back.velocity.size(), state.velocity.size());
  for (size_t i = 0; i < state.velocity.size(); ++i)
    EXPECT_EQ(std::signbit(back.velocity[i]), std::signbit(state.velocity[i])) << "velocity " << i;
  EXPECT_EQ(back.velocity, state.velocity);
  expect_same(back.train_loss, state.train_loss, "train_loss");
  expect_same(back.train_accuracy, state.train_accuracy, "train_accuracy");
  expect_same(back.test_loss, state.test_loss, "test_loss");
  expect_same(back.test_accuracy, state.test_accuracy, "test_accuracy");
  ASSERT_EQ(back.history.size(), state.history.size());
  for (size_t i = 0; i < state.history.size(); ++i) {
    const auto& a = back.history[i];
    const auto& b = state.history[i];
    const std::string at = "history[" + std::to_string(i) + "].";
    EXPECT_EQ(a.step, b.step) << at << "step";
    EXPECT_EQ(a.epoch, b.epoch) << at << "epoch";
    expect_same(a.learning_rate, b.learning_rate, at + "learning_rate");
    expect_same(a.train_loss, b.train_loss, at + "train_loss");
    expect_same(a.train_accuracy, b.train_accuracy, at + "train_accuracy");
    expect_same(a.test_loss, b.test_loss, at + "test_loss");
    expect_same(a.test_accuracy, b.test_accuracy, at + "test_accuracy");
    expect_same(a.seconds, b.seconds, at + "seconds");
  }
}

TEST(RunRecords, CheckpointGroupIsNamedAfterTheStep) {
  EXPECT_EQ(checkpoint_group(0), "/checkpoints/step_0");
  EXPECT_EQ(checkpoint_group(37), "/checkpoints/step_37");
  EXPECT_EQ(checkpoint_group(1234567890123), "/checkpoints/step_1234567890123");
}

TEST(RunRecords, TrainingStatesRoundTripThroughAnAtomicFile) {
  const auto world = comm::Communicator::borrow(MPI_COMM_WORLD);
  const SharedFolder folder(world, "states");
  const std::string path = folder / "run.h5";
  const train::Checkpoint state = sample_state();
  train::Checkpoint start;  // the initial point: no history, no metrics yet (NaN), zero velocity
  start.seed = state.seed;
  start.params = testing::random_vector(29, 13);
  start.velocity.assign(29, 0.0);
  {
    io::AtomicFile file = io::AtomicFile::create(path, MPI_COMM_WORLD);
    write_training_state(file.file(), checkpoint_group(0), start, "checkpoint", world);
    write_training_state(file.file(), checkpoint_group(state.step), state, "interrupt", world);
    file.commit();
  }
  ASSERT_TRUE(std::filesystem::exists(path));
  // Every rank reads the whole file back on its own.
  expect_same_state(read_training_state(path, checkpoint_group(state.step)), state);
  expect_same_state(read_training_state(path, checkpoint_group(0)), start);
  // The group's record of why and how it was written.
  const io::H5File file = io::H5File::open_read(path);
  EXPECT_EQ(file.read_string(checkpoint_group(state.step) + "@kind"), "interrupt");
  EXPECT_EQ(file.read_string(checkpoint_group(0) + "@kind"), "checkpoint");
  EXPECT_EQ(file.read_int(checkpoint_group(0) + "@mpi_size"), world.size());
  EXPECT_EQ(file.read_string(checkpoint_group(state.step) + "/history@columns"), train::kEvaluationColumns);
  const auto history = file.read_matrix(checkpoint_group(state.step) + "/history");
  EXPECT_EQ(history.rows, 3);
  EXPECT_EQ(history.cols, 8);
  ASSERT_EQ(history.values.size(), 24u);
  EXPECT_EQ(history.values[8], 18.0);  // row 1, column "step"
  EXPECT_EQ(history.values[11], 1.0625);  // row 1, column "train_loss"
  EXPECT_TRUE(std::regex_match(file.read_string(checkpoint_group(0) + "@written"),
                               std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)")));
}

TEST(RunRecords, HeadlineRoundTripsInNameOrder) {
  const auto world = comm::Communicator::borrow(MPI_COMM_WORLD);
  const SharedFolder folder(world, "headline");
  const std::string path = folder / "run.h5";
  {
    io::AtomicFile file = io::AtomicFile::create(path, MPI_COMM_WORLD);
    file.file().create_groups("/eig/hessian");
    write_headline(file.file(), "/eig/hessian",
                   {{"top_eigenvalue", 3.5}, {"alignment", -0.25}, {"tiny", 5e-324}, {"missing", kNan}});
    write_headline(file.file(), "/train", {{"final_loss", 0.125}});
    file.commit();
  }
  const io::Attributes headline = read_headline(path, "/eig/hessian");
  ASSERT_EQ(headline.size(), 4u);
  const std::vector<std::string> names{"alignment", "missing", "tiny", "top_eigenvalue"};  // name order
  const std::vector<double> values{-0.25, kNan, 5e-324, 3.5};
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(headline[i].name, names[i]);
    ASSERT_TRUE(std::holds_alternative<double>(headline[i].value)) << names[i] << " is stored as fp64";
    expect_same(std::get<double>(headline[i].value), values[i], names[i]);
  }
  const io::Attributes train = read_headline(path, "/train");
  ASSERT_EQ(train.size(), 1u);
  EXPECT_EQ(train[0].name, "final_loss");
  EXPECT_EQ(std::get<double>(train[0].value), 0.125);
}

}  // namespace
}  // namespace hesscov::apps
