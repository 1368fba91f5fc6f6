// The HDF5 layer: round trips of vectors and attributes, and errors that name the file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "io/h5_file.hpp"
#include "support/expect.hpp"
#include "train/checkpoint.hpp"

namespace hesscov::io {
namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("hesscov_h5_" + std::to_string(::getpid()) + "_" + name)).string();
}

TEST(H5File, VectorsAndAttributesRoundTrip) {
  const std::string path = temp_path("round.h5");
  {
    H5File file = H5File::create(path);
    file.write_vector("x", {1.5, -2.0, 3.25});
    file.write_vector("empty", {});
    file.write_index_vector("idx", {3, -4, 1LL << 40});
    file.write_attribute("n", std::int64_t{-7});
    file.write_attribute("eta", 0.125);
    file.write_attribute("text", std::string("hello: world\nline two"));
    file.write_attribute("blank", std::string());
  }
  const H5File file = H5File::open_read(path);
  EXPECT_EQ(file.read_vector("x"), (std::vector<double>{1.5, -2.0, 3.25}));
  EXPECT_TRUE(file.read_vector("empty").empty());
  EXPECT_EQ(file.read_index_vector("idx"), (std::vector<std::int64_t>{3, -4, 1LL << 40}));
  EXPECT_TRUE(file.has_dataset("idx"));
  EXPECT_FALSE(file.has_dataset("nope"));
  EXPECT_EQ(file.read_int("n"), -7);
  EXPECT_EQ(file.read_double("eta"), 0.125);
  EXPECT_EQ(file.read_string("text"), "hello: world\nline two");
  EXPECT_EQ(file.read_string("blank"), "");
  EXPECT_TRUE(file.has_attribute("n"));
  EXPECT_FALSE(file.has_attribute("m"));
  std::filesystem::remove(path);
}

TEST(H5File, ErrorsNameTheFileAndObject) {
  const std::string missing = temp_path("missing.h5");
  try {
    (void)H5File::open_read(missing);
    FAIL();
  } catch (const core::IoError& error) {
    EXPECT_NE(std::string(error.what()).find(missing), std::string::npos);
  }
  const std::string text = temp_path("not_hdf5.h5");
  std::ofstream(text) << "plain text";
  EXPECT_THROW((void)H5File::open_read(text), core::IoError);
  const std::string path = temp_path("objects.h5");
  { H5File::create(path).write_vector("x", {1.0}); }
  const H5File file = H5File::open_read(path);
  try {
    (void)file.read_vector("y");
    FAIL();
  } catch (const core::IoError& error) {
    EXPECT_NE(std::string(error.what()).find("/y"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find(path), std::string::npos) << error.what();
  }
  EXPECT_THROW((void)file.read_int("x"), core::IoError);
  std::filesystem::remove(text);
  std::filesystem::remove(path);
}

TEST(Checkpoint, RoundTripsAndRejectsForeignFiles) {
  const std::string path = temp_path("ckpt/state.h5");
  train::Checkpoint state;
  state.step = 123;
  state.epoch = 4;
  state.seed = 99;
  state.params = {0.1, 0.2, 0.3};
  state.velocity = {-1.0, 0.0, 1.0};
  state.sample_indices = {5, 17, 59999};
  state.status = "completed";
  state.config = "seed: 99\n";
  state.train_loss = 0.5;
  state.train_accuracy = 0.875;
  train::write_checkpoint(path, state);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp." + std::to_string(::getpid())));
  const train::Checkpoint back = train::read_checkpoint(path);
  EXPECT_EQ(back.step, 123);
  EXPECT_EQ(back.epoch, 4);
  EXPECT_EQ(back.seed, 99u);
  EXPECT_EQ(back.params, state.params);
  EXPECT_EQ(back.velocity, state.velocity);
  EXPECT_EQ(back.sample_indices, state.sample_indices);
  EXPECT_EQ(back.status, "completed");
  EXPECT_EQ(back.config, "seed: 99\n");
  EXPECT_EQ(back.train_accuracy, 0.875);
  const std::string other = temp_path("other.h5");
  { H5File::create(other).write_vector("params", {1.0}); }
  try {
    (void)train::read_checkpoint(other);
    FAIL();
  } catch (const core::IoError& error) {
    EXPECT_NE(std::string(error.what()).find("not a hesscov checkpoint"), std::string::npos) << error.what();
  }
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
  std::filesystem::remove(other);
}

TEST(Checkpoint, EvaluationHistoryRoundTripsWithItsColumns) {
  const std::string path = temp_path("history.h5");
  train::Checkpoint state;
  state.step = 13;
  state.params = {1.0, 2.0};
  state.velocity = {0.0, -0.5};
  // Step, epoch and the metrics of two evaluations; the first without test data (NaN).
  train::Evaluation first{6, 1, 0.05, 0.75, 0.5, std::nan(""), std::nan(""), 1.25};
  train::Evaluation second{12, 2, 0.045, 0.625, 0.6875, 0.8125, 0.375, 2.5};
  state.history = {first, second};
  train::write_checkpoint(path, state);
  const train::Checkpoint back = train::read_checkpoint(path);
  ASSERT_EQ(back.history.size(), 2u);
  EXPECT_EQ(back.history[0].step, 6);
  EXPECT_EQ(back.history[0].epoch, 1);
  EXPECT_EQ(back.history[0].learning_rate, 0.05);
  EXPECT_EQ(back.history[0].train_loss, 0.75);
  EXPECT_EQ(back.history[0].train_accuracy, 0.5);
  EXPECT_TRUE(std::isnan(back.history[0].test_loss));
  EXPECT_TRUE(std::isnan(back.history[0].test_accuracy));
  EXPECT_EQ(back.history[0].seconds, 1.25);
  EXPECT_EQ(back.history[1].step, 12);
  EXPECT_EQ(back.history[1].epoch, 2);
  EXPECT_EQ(back.history[1].learning_rate, 0.045);
  EXPECT_EQ(back.history[1].train_loss, 0.625);
  EXPECT_EQ(back.history[1].train_accuracy, 0.6875);
  EXPECT_EQ(back.history[1].test_loss, 0.8125);
  EXPECT_EQ(back.history[1].test_accuracy, 0.375);
  EXPECT_EQ(back.history[1].seconds, 2.5);
  // On disk: one row of kEvaluationWidth values per evaluation, in the order the columns name.
  const H5File file = H5File::open_read(path);
  EXPECT_EQ(file.read_string("history_columns"),
            "step,epoch,learning_rate,train_loss,train_accuracy,test_loss,test_accuracy,seconds");
  const std::vector<double> rows = file.read_vector("history");
  ASSERT_EQ(rows.size(), 16u);
  EXPECT_EQ(rows[0], 6.0);
  EXPECT_EQ(rows[7], 1.25);
  EXPECT_EQ(rows[8], 12.0);
  EXPECT_EQ(rows[13], 0.8125);

  const std::string empty = temp_path("no_history.h5");
  state.history.clear();
  train::write_checkpoint(empty, state);
  EXPECT_TRUE(train::read_checkpoint(empty).history.empty());
  std::filesystem::remove(path);
  std::filesystem::remove(empty);
}

TEST(Checkpoint, HistoryOfWrongWidthIsAnIoErrorNamingTheDataset) {
  const std::string path = temp_path("bad_history.h5");
  {
    H5File file = H5File::create(path);
    file.write_attribute("format", std::string("hesscov-checkpoint-1"));
    for (const char* name : {"step", "epoch", "seed"}) file.write_attribute(name, std::int64_t{0});
    for (const char* name : {"status", "config"}) file.write_attribute(name, std::string());
    for (const char* name : {"train_loss", "train_accuracy", "test_loss", "test_accuracy"})
      file.write_attribute(name, 0.0);
    file.write_vector("params", {1.0});
    file.write_vector("velocity", {0.0});
    file.write_vector("history", std::vector<double>(static_cast<size_t>(train::kEvaluationWidth) + 1, 0.0));
  }
  testing::expect_error_naming<core::IoError>([&] { (void)train::read_checkpoint(path); }, "/history");
  testing::expect_error_naming<core::IoError>([&] { (void)train::read_checkpoint(path); }, path);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace hesscov::io
