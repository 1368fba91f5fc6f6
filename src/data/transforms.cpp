#include "data/transforms.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace hesscov::data {
namespace {

using std::size_t;

/// The chosen classes, all classes when `classes` is empty; checks range and repeats.
std::vector<int> chosen_classes(const Dataset& dataset, const std::vector<int>& classes) {
  if (classes.empty()) {
    std::vector<int> all(static_cast<size_t>(dataset.num_classes));
    for (int c = 0; c < dataset.num_classes; ++c) all[static_cast<size_t>(c)] = c;
    return all;
  }
  for (size_t i = 0; i < classes.size(); ++i) {
    HC_CHECK(classes[i] >= 0 && classes[i] < dataset.num_classes, core::Error,
             "class " + std::to_string(classes[i]) + " is not a class of " + dataset.name + " (0.." +
                 std::to_string(dataset.num_classes - 1) + ")");
    HC_CHECK(std::find(classes.begin(), classes.begin() + static_cast<std::ptrdiff_t>(i), classes[i]) ==
                 classes.begin() + static_cast<std::ptrdiff_t>(i),
             core::Error, "class " + std::to_string(classes[i]) + " is listed twice");
  }
  return classes;
}

/// new_label[c] = position of class c in `chosen`, -1 when c is not chosen.
std::vector<int> label_map(const Dataset& dataset, const std::vector<int>& chosen) {
  std::vector<int> map(static_cast<size_t>(dataset.num_classes), -1);
  for (size_t i = 0; i < chosen.size(); ++i) map[static_cast<size_t>(chosen[i])] = static_cast<int>(i);
  return map;
}

/// The rows `positions` (ascending) of `dataset` with labels mapped through `map`.
Dataset gather(const Dataset& dataset, const std::vector<std::int64_t>& positions, const std::vector<int>& map,
               int num_classes) {
  Dataset subset;
  subset.name = dataset.name;
  subset.count = static_cast<std::int64_t>(positions.size());
  subset.features = dataset.features;
  subset.channels = dataset.channels;
  subset.height = dataset.height;
  subset.width = dataset.width;
  subset.num_classes = num_classes;
  subset.input_mean = dataset.input_mean;
  subset.input_std = dataset.input_std;
  const auto features = static_cast<size_t>(dataset.features);
  const auto outputs = static_cast<size_t>(dataset.num_classes);
  subset.inputs.reserve(positions.size() * features);
  for (const std::int64_t position : positions) {
    const auto n = static_cast<size_t>(position);
    subset.inputs.insert(subset.inputs.end(), dataset.inputs.begin() + static_cast<std::ptrdiff_t>(n * features),
                         dataset.inputs.begin() + static_cast<std::ptrdiff_t>((n + 1) * features));
    subset.labels.push_back(map[static_cast<size_t>(dataset.labels[n])]);
    subset.indices.push_back(dataset.indices[n]);
    if (!dataset.targets.empty())
      subset.targets.insert(subset.targets.end(), dataset.targets.begin() + static_cast<std::ptrdiff_t>(n * outputs),
                            dataset.targets.begin() + static_cast<std::ptrdiff_t>((n + 1) * outputs));
  }
  return subset;
}

std::string class_list(const std::vector<int>& classes) {
  std::string text;
  for (const int c : classes) {
    if (!text.empty()) text.push_back('|');
    text.append(std::to_string(c));
  }
  return text;
}

}  // namespace

std::vector<std::int64_t> class_counts(const Dataset& dataset) {
  std::vector<std::int64_t> counts(static_cast<size_t>(dataset.num_classes), 0);
  for (const int label : dataset.labels) ++counts[static_cast<size_t>(label)];
  return counts;
}

Dataset select_classes(const Dataset& dataset, const std::vector<int>& classes) {
  const std::vector<int> chosen = chosen_classes(dataset, classes);
  const std::vector<int> map = label_map(dataset, chosen);
  std::vector<std::int64_t> positions;
  for (std::int64_t n = 0; n < dataset.count; ++n)
    if (map[static_cast<size_t>(dataset.labels[static_cast<size_t>(n)])] >= 0) positions.push_back(n);
  Dataset subset = gather(dataset, positions, map, static_cast<int>(chosen.size()));
  if (!classes.empty()) subset.name += "[classes=" + class_list(chosen) + "]";
  return subset;
}

Dataset balanced_subset(const Dataset& dataset, std::int64_t per_class, const std::vector<int>& classes,
                        std::uint64_t seed) {
  HC_CHECK(per_class >= 1, core::Error, "a balanced subset needs per_class >= 1, got " + std::to_string(per_class));
  const std::vector<int> chosen = chosen_classes(dataset, classes);
  const std::vector<int> map = label_map(dataset, chosen);
  // members[i]: (key, source index, position) of every sample of class chosen[i].
  struct Member {
    std::uint64_t key;
    std::int64_t source, position;
    auto operator<=>(const Member&) const = default;
  };
  std::vector<std::vector<Member>> members(chosen.size());
  const core::CounterRng rng(seed, "subset");
  for (std::int64_t n = 0; n < dataset.count; ++n) {
    const auto at = static_cast<size_t>(n);
    const int slot = map[static_cast<size_t>(dataset.labels[at])];
    if (slot >= 0)
      members[static_cast<size_t>(slot)].push_back(
          {rng.bits(static_cast<std::uint64_t>(dataset.indices[at])), dataset.indices[at], n});
  }
  std::vector<std::int64_t> positions;
  for (size_t i = 0; i < chosen.size(); ++i) {
    auto& group = members[i];
    HC_CHECK(static_cast<std::int64_t>(group.size()) >= per_class, core::Error,
             "class " + std::to_string(chosen[i]) + " of " + dataset.name + " has " + std::to_string(group.size()) +
                 " samples, " + std::to_string(per_class) + " were asked for");
    std::partial_sort(group.begin(), group.begin() + per_class, group.end());
    for (std::int64_t k = 0; k < per_class; ++k) positions.push_back(group[static_cast<size_t>(k)].position);
  }
  // Sorted by source index; positions follow the source order in every loader, but sort on the
  // source index itself so that the promise holds for any input order.
  std::sort(positions.begin(), positions.end(), [&](std::int64_t a, std::int64_t b) {
    return dataset.indices[static_cast<size_t>(a)] < dataset.indices[static_cast<size_t>(b)];
  });
  Dataset subset = gather(dataset, positions, map, static_cast<int>(chosen.size()));
  subset.name += "[per_class=" + std::to_string(per_class) + ",classes=" + class_list(chosen) +
                 ",seed=" + std::to_string(seed) + "]";
  return subset;
}

std::pair<std::vector<double>, std::vector<double>> channel_statistics(const Dataset& dataset) {
  HC_CHECK(dataset.count > 0, core::Error, "channel statistics of the empty data set " + dataset.name);
  const auto channels = static_cast<size_t>(dataset.channels);
  const auto plane = static_cast<size_t>(dataset.height * dataset.width);
  const double values = static_cast<double>(dataset.count) * static_cast<double>(plane);
  std::vector<double> mean(channels, 0.0), std(channels, 0.0);
  for (size_t n = 0; n < static_cast<size_t>(dataset.count); ++n)
    for (size_t c = 0; c < channels; ++c)
      for (size_t p = 0; p < plane; ++p) mean[c] += dataset.inputs[(n * channels + c) * plane + p];
  for (double& m : mean) m /= values;
  for (size_t n = 0; n < static_cast<size_t>(dataset.count); ++n)
    for (size_t c = 0; c < channels; ++c)
      for (size_t p = 0; p < plane; ++p) {
        const double centred = dataset.inputs[(n * channels + c) * plane + p] - mean[c];
        std[c] += centred * centred;
      }
  for (double& s : std) s = std::sqrt(s / values);
  return {mean, std};
}

void normalize(Dataset& dataset, const std::vector<double>& mean, const std::vector<double>& std) {
  const auto channels = static_cast<size_t>(dataset.channels);
  HC_CHECK(mean.size() == channels && std.size() == channels, core::DimensionMismatch,
           "normalising " + dataset.name + " with " + std::to_string(dataset.channels) + " channels needs " +
               std::to_string(dataset.channels) + " means and standard deviations, got " +
               std::to_string(mean.size()) + " and " + std::to_string(std.size()));
  for (size_t c = 0; c < channels; ++c)
    HC_CHECK(std[c] > 0.0 && std::isfinite(std[c]), core::Error,
             "channel " + std::to_string(c) + " of " + dataset.name + " has standard deviation " +
                 std::to_string(std[c]) + "; normalising needs a positive one");
  const auto plane = static_cast<size_t>(dataset.height * dataset.width);
  for (size_t n = 0; n < static_cast<size_t>(dataset.count); ++n)
    for (size_t c = 0; c < channels; ++c)
      for (size_t p = 0; p < plane; ++p) {
        double& value = dataset.inputs[(n * channels + c) * plane + p];
        value = (value - mean[c]) / std[c];
      }
  // Compose with an earlier transform so that input_mean/input_std map from the loaded pixels.
  if (dataset.input_mean.empty()) {
    dataset.input_mean = mean;
    dataset.input_std = std;
  } else {
    for (size_t c = 0; c < channels; ++c) {
      dataset.input_mean[c] += dataset.input_std[c] * mean[c];
      dataset.input_std[c] *= std[c];
    }
  }
}

}  // namespace hesscov::data
