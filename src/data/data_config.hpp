#pragma once
// The data section of a config: declared keys and the data set they describe (docs/data.md).
#include "core/config.hpp"
#include "data/dataset.hpp"

namespace hesscov::data {

/// Declares the data.* keys: data.name (idx | cifar10 | synthetic), data.path, data.split
/// (train | test, "t10k" accepted for test), data.limit, data.per_class, data.classes,
/// data.subset_seed, data.normalize (none | dataset) and data.synthetic.{count, features, classes,
/// teacher_width, task, noise, seed, input_scales}.
void add_data_keys(core::Schema& schema);

/// Loads the configured data set into host memory and applies, in this order: the balanced subset
/// (data.per_class > 0, of data.classes) or the class selection (data.classes alone), the first
/// data.limit samples, then data.normalize. With data.normalize = dataset, the per-channel mean
/// and standard deviation come from the training split after the same subset and limit (for
/// data.split = test the training split is loaded for this), and are recorded in
/// Dataset::input_mean/input_std. Local: every rank loads the whole set and keeps its shard later;
/// the result is the same on every rank.
/// Throws core::ConfigError naming the key for values that do not fit the data (a class outside
/// the data set's classes or listed twice, per_class above a class's samples, a limit above the
/// samples, data.synthetic.* keys given for another data set, data.path left at its Fashion-MNIST
/// default for cifar10, classes or per_class on regression data, data.synthetic.input_scales of
/// other than 0 or data.synthetic.features entries or given with data.synthetic.task: quadratic),
/// core::IoError naming the folder
/// or file when files are missing or malformed.
Dataset load_dataset(const core::Config& config);

/// The held-out split for evaluation during training: the test split of the same source, the
/// same data.classes (relabelled alike) but every test sample of them (no per_class, no limit),
/// normalised with the statistics recorded in `training` (if it was normalised).
Dataset load_test_dataset(const core::Config& config, const Dataset& training);

}  // namespace hesscov::data
