// The IDX reader on generated raw and gzip files, every malformed-input error naming the file,
// and the real Fashion-MNIST files when Debian's package is installed.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "data/dataset.hpp"
#include "data/idx.hpp"

namespace hesscov::data {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

class IdxFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("hesscov_idx_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static Bytes idx(const std::vector<std::uint32_t>& shape, const Bytes& data, std::uint8_t type = 0x08) {
    Bytes bytes{0, 0, type, static_cast<std::uint8_t>(shape.size())};
    for (std::uint32_t extent : shape)
      for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<std::uint8_t>(extent >> shift));
    bytes.insert(bytes.end(), data.begin(), data.end());
    return bytes;
  }
  std::string write(const std::string& name, const Bytes& bytes) {
    const auto path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                static_cast<std::streamsize>(bytes.size()));
    return path;
  }
  std::string write_gzip(const std::string& name, const Bytes& bytes) {
    const auto path = (dir_ / name).string();
    gzFile file = gzopen(path.c_str(), "wb");
    gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(file);
    return path;
  }
  /// read_idx must throw an IoError whose message names `path` and contains `detail`.
  static void expect_error(const std::string& path, const std::string& detail) {
    try {
      (void)read_idx(path);
      ADD_FAILURE() << "no error for " << path;
    } catch (const core::IoError& error) {
      EXPECT_NE(std::string(error.what()).find(path), std::string::npos) << error.what();
      EXPECT_NE(std::string(error.what()).find(detail), std::string::npos) << error.what();
    }
  }
  fs::path dir_;
};

TEST_F(IdxFiles, RawAndGzipGiveTheSameArray) {
  const Bytes data{0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255};
  for (const auto& path : {write("a.idx", idx({2, 2, 3}, data)), write_gzip("a.idx.gz", idx({2, 2, 3}, data))}) {
    const IdxArray array = read_idx(path);
    EXPECT_EQ(array.shape, (std::vector<std::int64_t>{2, 2, 3}));
    EXPECT_EQ(array.values, data);
  }
  // Compression is recognised by content, not by name.
  EXPECT_EQ(read_idx(write_gzip("no_suffix", idx({3}, {7, 8, 9}))).values, (Bytes{7, 8, 9}));
}

TEST_F(IdxFiles, MalformedFilesAreRejectedWithTheFileName) {
  expect_error((dir_ / "missing.idx").string(), "cannot open");
  expect_error(write("magic.idx", {0x12, 0x34, 0x08, 0x01, 0, 0, 0, 0}), "magic");
  expect_error(write("type.idx", idx({1}, {1}, 0x0d)), "element type 0x0d");
  expect_error(write("dims.idx", {0, 0, 8, 0}), "0 dimensions");
  expect_error(write("header.idx", {0, 0, 8, 3, 0, 0, 0, 2}), "truncated IDX header");
  expect_error(write("short.idx", {0, 0}), "truncated IDX header");
  expect_error(write("data.idx", idx({2, 3}, {1, 2, 3, 4})), "expected 6 data bytes, file holds 4");
  expect_error(write("trailing.idx", idx({2}, {1, 2, 3})), "unexpected bytes");
  expect_error(write_gzip("truncated_in.gz", idx({10}, {1, 2, 3})), "expected 10 data bytes");
  expect_error(write("garbage.gz", {0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x13, 0x37, 0x42}),
               "gzip");
  // A valid gzip file cut in half.
  const std::string whole = write_gzip("whole.gz", idx({4000}, Bytes(4000, 7)));
  std::ifstream in(whole, std::ios::binary);
  Bytes packed{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  packed.resize(packed.size() / 2);
  expect_error(write("cut.gz", packed), "truncated gzip");
}

TEST_F(IdxFiles, PairChecksShapesAndCounts) {
  const auto images = write("i.idx", idx({2, 1, 2}, {1, 2, 3, 4}));
  const auto labels = write("l.idx", idx({3}, {0, 1, 2}));
  try {
    (void)read_idx_pair(images, labels);
    FAIL();
  } catch (const core::IoError& error) {
    EXPECT_NE(std::string(error.what()).find(images), std::string::npos);
    EXPECT_NE(std::string(error.what()).find(labels), std::string::npos);
  }
  EXPECT_THROW((void)read_idx_pair(labels, labels), core::IoError);
}

TEST_F(IdxFiles, DatasetScalesPixelsAndChecksLabels) {
  write_gzip("train-images-idx3-ubyte.gz", idx({2, 1, 2}, {0, 255, 51, 102}));
  write("train-labels-idx1-ubyte", idx({2}, {3, 9}));
  const Dataset dataset = load_idx_dataset(dir_.string(), "train", "tiny");
  EXPECT_EQ(dataset.name, "tiny:train");
  EXPECT_EQ(dataset.count, 2);
  EXPECT_EQ(dataset.features, 2);
  EXPECT_EQ(dataset.inputs, (std::vector<double>{0.0, 1.0, 0.2, 0.4}));
  EXPECT_EQ(dataset.labels, (std::vector<int>{3, 9}));
  EXPECT_EQ(dataset.indices, (std::vector<std::int64_t>{0, 1}));

  write("train-labels-idx1-ubyte.gz", idx({2}, {3, 10}));  // preferred over the raw file
  try {
    (void)load_idx_dataset(dir_.string(), "train", "tiny");
    FAIL();
  } catch (const core::IoError& error) {
    EXPECT_NE(std::string(error.what()).find("train-labels-idx1-ubyte.gz"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("label 10"), std::string::npos) << error.what();
  }
  try {
    (void)load_idx_dataset(dir_.string(), "t10k", "tiny");
    FAIL();
  } catch (const core::IoError& error) {
    EXPECT_NE(std::string(error.what()).find("t10k-"), std::string::npos) << error.what();
  }
}

TEST(Dataset, TakeFirstOneHotAndRows) {
  Dataset dataset;
  dataset.name = "d";
  dataset.count = 3;
  dataset.features = 2;
  dataset.num_classes = 4;
  dataset.inputs = {1, 2, 3, 4, 5, 6};
  dataset.labels = {0, 3, 1};
  dataset.indices = {0, 1, 2};
  const Dataset first = take_first(dataset, 2);
  EXPECT_EQ(first.inputs, (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(first.labels, (std::vector<int>{0, 3}));
  EXPECT_THROW((void)take_first(dataset, 4), core::Error);
  EXPECT_EQ(one_hot({0, 3, 1}, 4), (std::vector<double>{1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0}));
  EXPECT_THROW((void)one_hot({5}, 4), core::Error);
  EXPECT_EQ(rows(dataset.inputs, 2, 1, 3), (std::vector<double>{3, 4, 5, 6}));
}

TEST(FashionMnist, RealFilesHaveTheDocumentedShapeAndBalance) {
  const std::string folder = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(folder + "/train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "Debian's dataset-fashion-mnist is not installed at " << folder;
  const Dataset train = load_idx_dataset(folder, "train", "fashion-mnist");
  EXPECT_EQ(train.count, 60000);
  EXPECT_EQ(train.features, 28 * 28);
  std::vector<int> per_class(10, 0);
  for (int label : train.labels) ++per_class[static_cast<std::size_t>(label)];
  for (int count : per_class) EXPECT_EQ(count, 6000);
  double low = 1.0, high = 0.0;
  for (double x : train.inputs) {
    low = std::min(low, x);
    high = std::max(high, x);
  }
  EXPECT_EQ(low, 0.0);
  EXPECT_EQ(high, 1.0);
  EXPECT_EQ(load_idx_dataset(folder, "t10k", "fashion-mnist").count, 10000);
}

}  // namespace
}  // namespace hesscov::data
