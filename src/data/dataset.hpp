#pragma once
// A labelled data set in host memory, ready to be sharded across ranks.
#include <cstdint>
#include <string>
#include <vector>

namespace hesscov::data {

struct Dataset {
  std::string name;                   ///< e.g. "fashion-mnist:train"
  std::int64_t count = 0;             ///< samples
  std::int64_t features = 0;          ///< inputs per sample = channels * height * width
  std::int64_t channels = 1, height = 1, width = 1;  ///< image shape (channel-major, row-major)
  int num_classes = 0;
  /// [count x features] row-major, host memory: pixels / 255 in [0, 1] for image data (shifted and
  /// scaled per channel when `input_mean` is set), N(0, 1) draws (times data.synthetic.input_scales)
  /// for synthetic data.
  std::vector<double> inputs;
  std::vector<int> labels;            ///< [count], each in [0, num_classes)
  /// Index of each sample in its source (the IDX file, the concatenated CIFAR-10 train batches, the
  /// synthetic draw counter); subsets keep the source index.
  std::vector<std::int64_t> indices;
  /// Regression targets [count x num_classes] when not empty (synthetic regression data, and the
  /// zero targets of the synthetic quadratic task);
  /// otherwise the targets are one_hot(labels).
  std::vector<double> targets;
  /// Per-channel mean and standard deviation already subtracted from / divided into `inputs`
  /// (in the units of pixel / 255), [channels] each; empty when the inputs are not normalised.
  std::vector<double> input_mean, input_std;
};

/// The targets a loss sees: `dataset.targets` for regression data, one-hot labels otherwise.
std::vector<double> targets_of(const Dataset& dataset);

/// Loads `<split>-images-idx3-ubyte` and `<split>-labels-idx1-ubyte` from `directory`, each with
/// a ".gz" suffix or without (the .gz file is preferred when both exist); split is "train" or
/// "t10k". Ten classes; an IoError names the directory and the names tried when a file is
/// missing, and the labels file when a label is 10 or more.
Dataset load_idx_dataset(const std::string& directory, const std::string& split, const std::string& name);

/// The first `count` samples of `dataset` (core::Error when it holds fewer).
Dataset take_first(const Dataset& dataset, std::int64_t count);

/// Row-major [labels.size() x num_classes] one-hot targets.
std::vector<double> one_hot(const std::vector<int>& labels, int num_classes);

/// Rows [begin, end) of a row-major matrix with `width` columns (a rank's shard).
std::vector<double> rows(const std::vector<double>& matrix, std::int64_t width, std::int64_t begin,
                         std::int64_t end);

}  // namespace hesscov::data
