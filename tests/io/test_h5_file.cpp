// The HDF5 layer: round trips of vectors and attributes, and errors that name the file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "io/h5_file.hpp"
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

}  // namespace
}  // namespace hesscov::io
