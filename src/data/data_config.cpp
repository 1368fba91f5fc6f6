#include "data/data_config.hpp"

#include <algorithm>
#include <filesystem>

#include "data/cifar10.hpp"
#include "data/synthetic.hpp"
#include "data/transforms.hpp"

namespace hesscov::data {
namespace {

constexpr const char* kSyntheticKeys[] = {"data.synthetic.count",         "data.synthetic.features",
                                          "data.synthetic.classes",       "data.synthetic.teacher_width",
                                          "data.synthetic.task",          "data.synthetic.noise",
                                          "data.synthetic.seed",          "data.synthetic.input_scales"};

/// "train" or "test" ("t10k" is IDX's own name for the test split).
std::string split_of(const core::Config& config) {
  const std::string split = config.get_string("data.split");
  return split == "t10k" ? "test" : split;
}

SyntheticSpec synthetic_spec(const core::Config& config, const std::string& split) {
  SyntheticSpec spec;
  spec.count = config.get_int("data.synthetic.count");
  spec.features = config.get_int("data.synthetic.features");
  spec.classes = static_cast<int>(config.get_int("data.synthetic.classes"));
  spec.teacher_width = config.get_int("data.synthetic.teacher_width");
  const std::string task = config.get_string("data.synthetic.task");
  spec.task = task == "regression"  ? SyntheticTask::regression
              : task == "quadratic" ? SyntheticTask::quadratic
                                    : SyntheticTask::classification;
  spec.noise = config.get_double("data.synthetic.noise");
  spec.seed = static_cast<std::uint64_t>(config.get_int("data.synthetic.seed"));
  spec.split = split;
  spec.input_scales = config.get_double_list("data.synthetic.input_scales");
  if (!spec.input_scales.empty() && static_cast<std::int64_t>(spec.input_scales.size()) != spec.features)
    throw config.error("data.synthetic.input_scales", "[] or one scale per feature (" + std::to_string(spec.features) +
                                                          " entries, data.synthetic.features)");
  if (!spec.input_scales.empty() && spec.task == SyntheticTask::quadratic)
    throw config.error("data.synthetic.input_scales", "[] for data.synthetic.task: quadratic (its inputs are N(0, 1); "
                                                      "the noise is set by model.quadratic.noise)");
  return spec;
}

Dataset load_source(const core::Config& config, const std::string& split) {
  const std::string name = config.get_string("data.name");
  if (name != "synthetic")
    for (const char* key : kSyntheticKeys)
      if (config.is_set(key)) throw config.error(key, "no value: it is used only with data.name: synthetic");
  const std::string folder = config.get_string("data.path");
  if (name == "synthetic") return make_synthetic(synthetic_spec(config, split));
  if (name == "cifar10") {
    if (!config.is_set("data.path"))
      throw config.error("data.path", "the folder of the CIFAR-10 binary batches (data_batch_1.bin .. "
                                      "data_batch_5.bin, test_batch.bin); the default is Fashion-MNIST's");
    return load_cifar10(folder, split, "cifar10");
  }
  return load_idx_dataset(folder, split == "test" ? "t10k" : split, std::filesystem::path(folder).filename().string());
}

/// data.classes as ints, checked against the data set (range, repeats).
std::vector<int> chosen_classes(const core::Config& config, const Dataset& dataset) {
  std::vector<int> classes;
  for (const std::int64_t c : config.get_int_list("data.classes")) {
    if (c >= dataset.num_classes)
      throw config.error("data.classes", "classes of " + dataset.name + " (0.." +
                                             std::to_string(dataset.num_classes - 1) + "); " + std::to_string(c) +
                                             " is not one");
    if (std::find(classes.begin(), classes.end(), static_cast<int>(c)) != classes.end())
      throw config.error("data.classes", "each class once; " + std::to_string(c) + " is listed twice");
    classes.push_back(static_cast<int>(c));
  }
  return classes;
}

/// load -> balanced subset or class selection -> limit. `clamp_limit`: take at most the samples
/// held instead of failing (for the training statistics of a test run).
Dataset load_subset(const core::Config& config, const std::string& split, bool clamp_limit) {
  Dataset dataset = load_source(config, split);
  const std::int64_t per_class = config.get_int("data.per_class");
  if (!dataset.targets.empty()) {
    if (per_class != 0)
      throw config.error("data.per_class", "0: " + dataset.name + " is regression data without classes");
    if (!config.get_int_list("data.classes").empty())
      throw config.error("data.classes", "[]: " + dataset.name + " is regression data without classes");
  }
  const std::vector<int> classes = chosen_classes(config, dataset);
  if (per_class > 0) {
    const std::vector<std::int64_t> counts = class_counts(dataset);
    for (int c = 0; c < dataset.num_classes; ++c) {
      const bool chosen = classes.empty() || std::find(classes.begin(), classes.end(), c) != classes.end();
      if (chosen && counts[static_cast<std::size_t>(c)] < per_class)
        throw config.error("data.per_class", "at most " + std::to_string(counts[static_cast<std::size_t>(c)]) +
                                                 ", the samples of class " + std::to_string(c) + " in " + dataset.name);
    }
    const auto seed = static_cast<std::uint64_t>(config.get_int("data.subset_seed"));
    dataset = balanced_subset(dataset, per_class, classes, seed);
  } else if (!classes.empty()) {
    dataset = select_classes(dataset, classes);
  }
  std::int64_t limit = config.get_int("data.limit");
  if (limit == 0) return dataset;
  if (clamp_limit) limit = std::min(limit, dataset.count);
  if (limit > dataset.count)
    throw config.error("data.limit", "at most the " + std::to_string(dataset.count) + " samples of " + dataset.name);
  return take_first(dataset, limit);
}

}  // namespace

void add_data_keys(core::Schema& schema) {
  schema.add_choice("data.name", "idx", {"idx", "cifar10", "synthetic"},
                    "data set: idx (MNIST format, e.g. Fashion-MNIST), cifar10 (binary batches) or synthetic "
                    "(teacher-student)");
  schema.add_string("data.path", "/usr/share/datasets/fashion-mnist",
                    "folder of the files: <split>-images-idx3-ubyte[.gz] and <split>-labels-idx1-ubyte[.gz] "
                    "(idx), data_batch_1..5.bin and test_batch.bin (cifar10); unused for synthetic");
  schema.add_choice("data.split", "train", {"train", "test", "t10k"}, "which split to load (t10k: same as test)");
  schema.add_int("data.limit", 0, "use the first N samples after the subset (0: all)", {.min = 0});
  schema.add_int("data.per_class", 0, "balanced subset: exactly N samples of each chosen class (0: off)", {.min = 0});
  schema.add_int_list("data.classes", {}, "keep these classes, relabelled 0..K-1 in this order ([]: all)",
                      {.min = 0});
  schema.add_int("data.subset_seed", 0, "seed of the balanced subset's permutation", {.min = 0});
  schema.add_choice("data.normalize", "none", {"none", "dataset"},
                    "dataset: subtract the per-channel mean and divide by the standard deviation of the training "
                    "subset");
  schema.add_int("data.synthetic.count", 1000, "synthetic samples", {.min = 1});
  schema.add_int("data.synthetic.features", 20, "synthetic input dimension", {.min = 1});
  schema.add_int("data.synthetic.classes", 10, "outputs of the classification teacher", {.min = 2});
  schema.add_int("data.synthetic.teacher_width", 64, "hidden ReLU units of the classification teacher", {.min = 1});
  schema.add_choice("data.synthetic.task", "classification", {"classification", "regression", "quadratic"},
                    "classification: argmax of a one-hidden-layer ReLU teacher; regression: y = u.x + noise; "
                    "quadratic: N(0, 1) inputs and zero targets, one output per feature (for model.type: quadratic)");
  schema.add_double("data.synthetic.noise", 0.1, "regression: standard deviation of the target noise", {.min = 0});
  schema.add_int("data.synthetic.seed", 0, "seed of the teacher and the synthetic samples", {.min = 0});
  schema.add_double_list("data.synthetic.input_scales", {},
                         "x_j = s_j * N(0, 1), so Cov(x) = diag(s^2): one scale per feature ([]: all 1; not for task "
                         "quadratic)",
                         {.min = 0});
}

Dataset load_dataset(const core::Config& config) {
  const std::string split = split_of(config);
  Dataset dataset = load_subset(config, split, false);
  if (config.get_string("data.normalize") == "dataset") {
    // Statistics of the training subset only, so that test data sees the transform training saw.
    auto [mean, std] = split == "train" ? channel_statistics(dataset)
                                        : channel_statistics(load_subset(config, "train", true));
    for (std::size_t c = 0; c < std.size(); ++c)
      if (!(std[c] > 0.0))
        throw config.error("data.normalize", "none: channel " + std::to_string(c) + " of the training subset of " +
                                                 dataset.name + " is constant");
    normalize(dataset, mean, std);
  }
  return dataset;
}

Dataset load_test_dataset(const core::Config& config, const Dataset& training) {
  Dataset dataset = load_source(config, "test");
  if (!dataset.targets.empty()) return dataset;  // regression: no classes to select
  const std::vector<int> classes = chosen_classes(config, dataset);
  if (!classes.empty()) dataset = select_classes(dataset, classes);
  if (!training.input_mean.empty()) normalize(dataset, training.input_mean, training.input_std);
  return dataset;
}

}  // namespace hesscov::data
