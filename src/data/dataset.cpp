#include "data/dataset.hpp"

#include <filesystem>

#include "core/error.hpp"
#include "data/idx.hpp"

namespace hesscov::data {
namespace {

constexpr int kIdxClasses = 10;

/// The .gz file when it exists, else the raw file; IoError listing both names when neither does.
std::string find_file(const std::string& directory, const std::string& stem) {
  const auto base = std::filesystem::path(directory) / stem;
  for (const auto& candidate : {base.string() + ".gz", base.string()})
    if (std::filesystem::exists(candidate)) return candidate;
  throw core::IoError(directory, "no " + stem + ".gz or " + stem + " in this folder");
}

}  // namespace

Dataset load_idx_dataset(const std::string& directory, const std::string& split, const std::string& name) {
  if (!std::filesystem::is_directory(directory))
    throw core::IoError(directory, "data folder does not exist");
  const LabelledImages raw = read_idx_pair(find_file(directory, split + "-images-idx3-ubyte"),
                                           find_file(directory, split + "-labels-idx1-ubyte"));
  Dataset dataset;
  dataset.name = name + ":" + split;
  dataset.count = raw.count;
  dataset.features = raw.rows * raw.cols;
  dataset.height = raw.rows;
  dataset.width = raw.cols;
  dataset.num_classes = kIdxClasses;
  dataset.inputs.resize(raw.pixels.size());
  for (std::size_t i = 0; i < raw.pixels.size(); ++i) dataset.inputs[i] = raw.pixels[i] / 255.0;
  dataset.labels.resize(raw.labels.size());
  for (std::size_t n = 0; n < raw.labels.size(); ++n) {
    if (raw.labels[n] >= kIdxClasses)
      throw core::IoError(raw.labels_path, "label " + std::to_string(raw.labels[n]) + " of sample " +
                                               std::to_string(n) + " is not a class 0-9");
    dataset.labels[n] = raw.labels[n];
  }
  dataset.indices.resize(static_cast<std::size_t>(raw.count));
  for (std::int64_t n = 0; n < raw.count; ++n) dataset.indices[static_cast<std::size_t>(n)] = n;
  return dataset;
}

Dataset take_first(const Dataset& dataset, std::int64_t count) {
  HC_CHECK(count >= 0 && count <= dataset.count, core::Error,
           dataset.name + " holds " + std::to_string(dataset.count) + " samples, " + std::to_string(count) +
               " were asked for");
  Dataset subset = dataset;
  subset.count = count;
  subset.inputs = rows(dataset.inputs, dataset.features, 0, count);
  subset.labels.resize(static_cast<std::size_t>(count));
  subset.indices.resize(static_cast<std::size_t>(count));
  if (!dataset.targets.empty()) subset.targets = rows(dataset.targets, dataset.num_classes, 0, count);
  return subset;
}

std::vector<double> one_hot(const std::vector<int>& labels, int num_classes) {
  std::vector<double> targets(labels.size() * static_cast<std::size_t>(num_classes), 0.0);
  for (std::size_t n = 0; n < labels.size(); ++n) {
    HC_CHECK(labels[n] >= 0 && labels[n] < num_classes, core::Error,
             "label " + std::to_string(labels[n]) + " outside 0.." + std::to_string(num_classes - 1));
    targets[n * static_cast<std::size_t>(num_classes) + static_cast<std::size_t>(labels[n])] = 1.0;
  }
  return targets;
}

std::vector<double> targets_of(const Dataset& dataset) {
  return dataset.targets.empty() ? one_hot(dataset.labels, dataset.num_classes) : dataset.targets;
}

std::vector<double> rows(const std::vector<double>& matrix, std::int64_t width, std::int64_t begin,
                         std::int64_t end) {
  return {matrix.begin() + begin * width, matrix.begin() + end * width};
}

}  // namespace hesscov::data
