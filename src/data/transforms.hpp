#pragma once
// Transforms applied after loading: class selection and balanced subsets, per-channel
// normalisation. All are local, deterministic and act on host memory.
#include <cstdint>
#include <utility>
#include <vector>

#include "data/dataset.hpp"

namespace hesscov::data {

/// Samples per class: result[c] = number of n with labels[n] == c, c in [0, num_classes).
std::vector<std::int64_t> class_counts(const Dataset& dataset);

/// Every sample whose label is in `classes` (an empty list means all classes in order), labels
/// remapped to the position of their class in `classes`, num_classes = classes.size(); order,
/// indices, inputs and targets rows are kept. core::Error naming the class for a class outside
/// [0, num_classes) or listed twice.
Dataset select_classes(const Dataset& dataset, const std::vector<int>& classes);

/// Exactly `per_class` samples of each class in `classes` (empty: all classes), the returned data
/// set owning copies of their rows. Within a class, the samples kept are the `per_class` with the
/// smallest keys CounterRng(seed, "subset").bits(source index) (ties by source index): a seeded
/// uniform permutation that depends only on (seed, source indices), so a larger per_class gives
/// a superset of a smaller one. Labels are remapped to 0..classes.size()-1 in the given order,
/// num_classes = classes.size(), `indices` keep the source indices, samples are sorted by source
/// index, and the name gains "[per_class=P,classes=a|b|c,seed=S]". core::Error naming the class
/// when it holds fewer than `per_class` samples (and for what select_classes rejects), and for
/// per_class < 1.
Dataset balanced_subset(const Dataset& dataset, std::int64_t per_class, const std::vector<int>& classes,
                        std::uint64_t seed);

/// Per-channel mean and population standard deviation (divisor count * height * width) of the
/// inputs, [channels] each, in the units of `inputs`; two-pass fp64. core::Error for an empty set.
std::pair<std::vector<double>, std::vector<double>> channel_statistics(const Dataset& dataset);

/// In place: inputs of channel c become (x - mean[c]) / std[c], and `input_mean`/`input_std`
/// record the transform (composed with an earlier one, in the units of the loaded pixels).
/// core::DimensionMismatch when mean or std does not hold `channels` values; core::Error naming
/// the channel when std[c] is not positive and finite.
void normalize(Dataset& dataset, const std::vector<double>& mean, const std::vector<double>& std);

}  // namespace hesscov::data
