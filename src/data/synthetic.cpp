#include "data/synthetic.hpp"

#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace hesscov::data {
namespace {

using std::size_t;

void check(const SyntheticSpec& spec) {
  HC_CHECK(spec.count >= 1 && spec.features >= 1, core::Error,
           "synthetic data needs count >= 1 and features >= 1 (got " + std::to_string(spec.count) + ", " +
               std::to_string(spec.features) + ")");
  HC_CHECK(spec.split == "train" || spec.split == "test", core::Error,
           "synthetic split '" + spec.split + "' is neither train nor test");
  HC_CHECK(spec.input_scales.empty() || static_cast<std::int64_t>(spec.input_scales.size()) == spec.features,
           core::Error,
           "synthetic input_scales has " + std::to_string(spec.input_scales.size()) + " entries for " +
               std::to_string(spec.features) + " features");
  for (const double scale : spec.input_scales)
    HC_CHECK(std::isfinite(scale) && scale >= 0.0, core::Error,
             "synthetic input scale " + std::to_string(scale) + " is not a finite number >= 0");
  if (spec.task == SyntheticTask::classification) {
    HC_CHECK(spec.classes >= 2 && spec.teacher_width >= 1, core::Error,
             "synthetic classification needs classes >= 2 and teacher_width >= 1 (got " +
                 std::to_string(spec.classes) + ", " + std::to_string(spec.teacher_width) + ")");
  } else if (spec.task == SyntheticTask::regression) {
    HC_CHECK(spec.noise >= 0.0, core::Error, "synthetic noise " + std::to_string(spec.noise) + " is negative");
  }
}

/// Row-major [rows x cols] draws normal(i) * scale from one stream.
std::vector<double> gaussian_matrix(std::uint64_t seed, const std::string& stream, std::int64_t rows,
                                    std::int64_t cols, double scale) {
  const core::CounterRng rng(seed, stream);
  std::vector<double> matrix(static_cast<size_t>(rows * cols));
  for (size_t i = 0; i < matrix.size(); ++i) matrix[i] = rng.normal(i) * scale;
  return matrix;
}

/// x[n][j] = s_j * normal(n * features + j): the unscaled draws times the scales.
std::vector<double> draw_inputs(const SyntheticSpec& spec) {
  std::vector<double> inputs =
      gaussian_matrix(spec.seed, "synthetic/inputs/" + spec.split, spec.count, spec.features, 1.0);
  if (spec.input_scales.empty()) return inputs;
  const auto features = static_cast<size_t>(spec.features);
  for (size_t i = 0; i < inputs.size(); ++i) inputs[i] *= spec.input_scales[i % features];
  return inputs;
}

void label_by_teacher(const SyntheticSpec& spec, Dataset& dataset) {
  const std::int64_t width = spec.teacher_width, features = spec.features;
  const auto w1 = gaussian_matrix(spec.seed, "synthetic/teacher/w1", width, features,
                                  1.0 / std::sqrt(static_cast<double>(features)));
  const auto w2 = gaussian_matrix(spec.seed, "synthetic/teacher/w2", spec.classes, width,
                                  1.0 / std::sqrt(static_cast<double>(width)));
  std::vector<double> hidden(static_cast<size_t>(width));
  dataset.labels.resize(static_cast<size_t>(spec.count));
  for (std::int64_t n = 0; n < spec.count; ++n) {
    const double* x = dataset.inputs.data() + n * features;
    for (std::int64_t k = 0; k < width; ++k) {
      double pre = 0.0;
      for (std::int64_t j = 0; j < features; ++j) pre += w1[static_cast<size_t>(k * features + j)] * x[j];
      hidden[static_cast<size_t>(k)] = pre > 0.0 ? pre : 0.0;
    }
    int best = 0;
    double best_logit = 0.0;
    for (int c = 0; c < spec.classes; ++c) {
      double logit = 0.0;
      for (std::int64_t k = 0; k < width; ++k)
        logit += w2[static_cast<size_t>(c * width + k)] * hidden[static_cast<size_t>(k)];
      if (c == 0 || logit > best_logit) {
        best = c;
        best_logit = logit;
      }
    }
    dataset.labels[static_cast<size_t>(n)] = best;
  }
}

void regress_on_teacher(const SyntheticSpec& spec, Dataset& dataset) {
  const auto u = gaussian_matrix(spec.seed, "synthetic/teacher/u", 1, spec.features,
                                 1.0 / std::sqrt(static_cast<double>(spec.features)));
  const core::CounterRng noise(spec.seed, "synthetic/noise/" + spec.split);
  dataset.labels.assign(static_cast<size_t>(spec.count), 0);
  dataset.targets.resize(static_cast<size_t>(spec.count));
  for (std::int64_t n = 0; n < spec.count; ++n) {
    const double* x = dataset.inputs.data() + n * spec.features;
    double target = 0.0;
    for (std::int64_t j = 0; j < spec.features; ++j) target += u[static_cast<size_t>(j)] * x[j];
    dataset.targets[static_cast<size_t>(n)] = target + spec.noise * noise.normal(static_cast<std::uint64_t>(n));
  }
}

}  // namespace

std::string to_string(SyntheticTask task) {
  switch (task) {
    case SyntheticTask::classification: return "classification";
    case SyntheticTask::regression: return "regression";
    case SyntheticTask::quadratic: return "quadratic";
  }
  return "?";
}

Dataset make_synthetic(const SyntheticSpec& spec) {
  check(spec);
  Dataset dataset;
  dataset.name = "synthetic-" + to_string(spec.task) + "(seed=" + std::to_string(spec.seed) + "):" + spec.split;
  dataset.count = spec.count;
  dataset.features = spec.features;
  dataset.width = spec.features;
  dataset.inputs = draw_inputs(spec);
  dataset.indices.resize(static_cast<size_t>(spec.count));
  for (std::int64_t n = 0; n < spec.count; ++n) dataset.indices[static_cast<size_t>(n)] = n;
  if (spec.task == SyntheticTask::classification) {
    dataset.num_classes = spec.classes;
    label_by_teacher(spec, dataset);
  } else if (spec.task == SyntheticTask::regression) {
    dataset.num_classes = 1;
    regress_on_teacher(spec, dataset);
  } else {
    dataset.num_classes = static_cast<int>(spec.features);
    dataset.labels.assign(static_cast<size_t>(spec.count), 0);
    dataset.targets.assign(static_cast<size_t>(spec.count * spec.features), 0.0);
  }
  return dataset;
}

}  // namespace hesscov::data
