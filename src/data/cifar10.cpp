#include "data/cifar10.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "core/error.hpp"

namespace hesscov::data {
namespace {

constexpr int kCifar10Classes = 10;
constexpr std::int64_t kPixels = kCifar10RecordBytes - 1;

std::vector<std::string> batch_files(const std::string& split) {
  if (split == "test") return {"test_batch.bin"};
  HC_CHECK(split == "train", core::Error, "CIFAR-10 split '" + split + "' is neither train nor test");
  std::vector<std::string> files;
  for (int batch = 1; batch <= 5; ++batch) files.push_back("data_batch_" + std::to_string(batch) + ".bin");
  return files;
}

std::vector<std::uint8_t> read_records(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw core::IoError(path, "cannot open the CIFAR-10 batch (missing or unreadable)");
  std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  const auto size = static_cast<std::int64_t>(bytes.size());
  if (size == 0) throw core::IoError(path, "empty CIFAR-10 batch (expected records of 3073 bytes)");
  if (size % kCifar10RecordBytes != 0)
    throw core::IoError(path, "truncated CIFAR-10 batch: " + std::to_string(size) +
                                  " bytes is not a multiple of the 3073-byte record (" +
                                  std::to_string(size / kCifar10RecordBytes) + " whole records and " +
                                  std::to_string(size % kCifar10RecordBytes) + " bytes more)");
  return bytes;
}

}  // namespace

Dataset load_cifar10(const std::string& directory, const std::string& split, const std::string& name) {
  const std::vector<std::string> files = batch_files(split);
  if (!std::filesystem::is_directory(directory)) throw core::IoError(directory, "data folder does not exist");
  Dataset dataset;
  dataset.name = name + ":" + split;
  dataset.channels = 3;
  dataset.height = 32;
  dataset.width = 32;
  dataset.features = kPixels;
  dataset.num_classes = kCifar10Classes;
  for (const std::string& file : files) {
    const std::string path = (std::filesystem::path(directory) / file).string();
    const std::vector<std::uint8_t> bytes = read_records(path);
    const auto records = static_cast<std::int64_t>(bytes.size()) / kCifar10RecordBytes;
    dataset.inputs.reserve(dataset.inputs.size() + static_cast<std::size_t>(records * kPixels));
    for (std::int64_t record = 0; record < records; ++record) {
      const std::uint8_t* start = bytes.data() + record * kCifar10RecordBytes;
      if (start[0] >= kCifar10Classes)
        throw core::IoError(path, "label " + std::to_string(start[0]) + " of record " + std::to_string(record) +
                                      " is not a class 0-9");
      dataset.labels.push_back(start[0]);
      dataset.indices.push_back(dataset.count++);
      for (std::int64_t pixel = 1; pixel <= kPixels; ++pixel) dataset.inputs.push_back(start[pixel] / 255.0);
    }
  }
  return dataset;
}

}  // namespace hesscov::data
