// Data-parallel SGD at 1, 2 and 3 ranks: the same trajectory as one process holding all data
// (to round-off), exact resume from a checkpoint, divergence recorded rather than crashing, and a
// small MLP reaching a stated training accuracy.
#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <filesystem>

#include "backend/backend.hpp"
#include "comm/communicator.hpp"
#include "data/data_config.hpp"
#include "data/dataset.hpp"
#include "support/reference.hpp"
#include "train/trainer.hpp"

namespace hesscov::testing {
namespace {

const core::Logger kQuiet(1);  // rank 1 never prints: keeps the test output readable

train::Shard shard_of(const SyntheticData& data, index features, index classes, const comm::Communicator& comm) {
  const auto range = comm::block_partition(data.samples, comm.rank(), comm.size());
  return {data::rows(data.inputs, features, range.begin, range.end),
          data::rows(data.targets, classes, range.begin, range.end), range.begin, range.size()};
}

train::TrainSettings settings(train::Sampling sampling, double label_noise) {
  train::TrainSettings s;
  s.epochs = 3;
  s.batch_size = 7;
  s.sampling = sampling;
  s.schedule = {train::ScheduleKind::exponential, 0.05, 0.9, 1};
  s.momentum = 0.9;
  s.weight_decay = 1e-3;
  s.label_noise = label_noise;
  s.seed = 17;
  return s;
}

train::Checkpoint fresh(const nn::Model& model) {
  train::Checkpoint state;
  state.params = model.initial_parameters(5);
  return state;
}

std::string shared_temp_dir(const comm::Communicator& comm, const std::string& name) {
  long long pid = ::getpid();
  MPI_Bcast(&pid, 1, MPI_LONG_LONG, 0, comm.get());  // one folder for all ranks
  return (std::filesystem::temp_directory_path() / ("hesscov_train_" + std::to_string(pid) + "_" + name)).string();
}

TEST(DistributedSgd, TrajectoryDoesNotDependOnTheRankCount) {
  const auto world = comm::Communicator::borrow(MPI_COMM_WORLD);
  const auto self = comm::Communicator::borrow(MPI_COMM_SELF);
  for (auto sampling : {train::Sampling::epoch, train::Sampling::replacement}) {
    for (const char* loss : {"cross_entropy", "mse"}) {
      const double noise = std::string(loss) == "mse" ? 0.1 : 0.0;
      const auto model = nn::make_mlp(backend::make_cpu_backend(), {{5, 8, 3}, true, nn::ActivationKind::tanh, loss});
      const SyntheticData data = synthetic_data(40, 5, 3, loss, 81);
      train::Trainer distributed(*model, world, settings(sampling, noise), shard_of(data, 5, 3, world), kQuiet);
      train::Trainer serial(*model, self, settings(sampling, noise), shard_of(data, 5, 3, self), kQuiet);
      const auto a = distributed.run(fresh(*model), "");
      const auto b = serial.run(fresh(*model), "");
      EXPECT_EQ(a.step, 3 * 6);  // ceil(40 / 7) = 6 steps per epoch
      EXPECT_EQ(a.status, "completed");
      EXPECT_LT(relative_error(a.params, b.params), 1e-12) << loss;
      EXPECT_GT(relative_error(a.params, model->initial_parameters(5)), 1e-3);  // it did move
    }
  }
}

TEST(DistributedSgd, ResumeFromACheckpointReproducesTheUninterruptedRun) {
  const auto world = comm::Communicator::borrow(MPI_COMM_WORLD);
  const auto model = nn::make_mlp(backend::make_cpu_backend(), {{5, 8, 3}, false, nn::ActivationKind::relu, "mse"});
  const SyntheticData data = synthetic_data(40, 5, 3, "mse", 82);
  const std::string dir = shared_temp_dir(world, "resume");

  train::Trainer whole(*model, world, settings(train::Sampling::epoch, 0.05), shard_of(data, 5, 3, world), kQuiet);
  const auto uninterrupted = whole.run(fresh(*model), "");

  auto first_settings = settings(train::Sampling::epoch, 0.05);
  first_settings.stop_after_steps = 8;  // mid-epoch: the sampler must resume inside a permutation
  first_settings.checkpoint_dir = dir;
  train::Trainer first(*model, world, first_settings, shard_of(data, 5, 3, world), kQuiet);
  (void)first.run(fresh(*model), "");
  const train::Checkpoint saved = train::read_checkpoint(dir + "/final.h5");
  EXPECT_EQ(saved.step, 8);
  train::Trainer second(*model, world, settings(train::Sampling::epoch, 0.05), shard_of(data, 5, 3, world), kQuiet);
  const auto resumed = second.run(saved, "");
  EXPECT_EQ(resumed.step, uninterrupted.step);
  EXPECT_EQ(resumed.params, uninterrupted.params);  // bit for bit
  EXPECT_EQ(resumed.velocity, uninterrupted.velocity);
  world.barrier();
  if (world.rank() == 0) std::filesystem::remove_all(dir);
}

TEST(DistributedSgd, DivergenceIsRecordedNotThrown) {
  const auto world = comm::Communicator::borrow(MPI_COMM_WORLD);
  const auto model = nn::make_mlp(backend::make_cpu_backend(), {{5, 8, 3}, false, nn::ActivationKind::relu, "mse"});
  const SyntheticData data = synthetic_data(40, 5, 3, "mse", 83);
  auto s = settings(train::Sampling::epoch, 0.0);
  s.schedule = {train::ScheduleKind::constant, 1e6, 1.0, 1};
  train::Trainer trainer(*model, world, s, shard_of(data, 5, 3, world), kQuiet);
  const auto result = trainer.run(fresh(*model), "");
  EXPECT_EQ(result.status.rfind("diverged", 0), 0u) << result.status;
  EXPECT_LT(result.step, 3 * 6);
}

TEST(DistributedSgd, SmallMlpLearnsFashionMnistSubset) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "Debian's dataset-fashion-mnist is not installed";
  const auto world = comm::Communicator::borrow(MPI_COMM_WORLD);
  const data::Dataset all = data::load_idx_dataset("/usr/share/datasets/fashion-mnist", "train", "fashion-mnist");
  const data::Dataset subset = data::take_first(all, 1000);
  const auto range = comm::block_partition(subset.count, world.rank(), world.size());
  const std::vector<double> targets = data::one_hot(subset.labels, 10);
  train::Shard shard{data::rows(subset.inputs, 784, range.begin, range.end), data::rows(targets, 10, range.begin, range.end),
                     range.begin, range.size()};
  const auto model = nn::make_mlp(backend::make_cpu_backend(), {{784, 50, 10}, false, nn::ActivationKind::relu,
                                                                "cross_entropy"});
  train::TrainSettings s;
  s.epochs = 40;
  s.batch_size = 50;
  s.schedule = {train::ScheduleKind::constant, 0.1, 1.0, 1};
  s.eval_every = 40;
  s.seed = 1;
  train::Trainer trainer(*model, world, s, std::move(shard), kQuiet);
  train::Checkpoint start;
  start.params = model->initial_parameters(1);
  const auto result = trainer.run(start, "");
  EXPECT_EQ(result.status, "completed");
  // Observed: accuracy 0.927, loss 0.224 (from 2.30 at the start) at every rank count; the bounds
  // leave room for summation-order differences while still requiring real learning.
  EXPECT_GE(result.train_accuracy, 0.90);
  EXPECT_LT(result.train_loss, 0.30);
}

}  // namespace
}  // namespace hesscov::testing
