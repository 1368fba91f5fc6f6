#pragma once
// Teacher-student data: Gaussian inputs labelled by a random "teacher" whose weights are drawn
// from counter-based streams, so every sample and every weight is a pure function of (seed,
// stream, counter), independent of the number of ranks and of the order of the draws.
//
// Streams of CounterRng(seed, name), counters row-major (the exact contract; tests rely on it):
//   "synthetic/inputs/<split>"  x[n][j]  = normal(n * features + j)
//   "synthetic/teacher/w1"      W1[k][j] = normal(k * features + j) / sqrt(features)   [width x features]
//   "synthetic/teacher/w2"      W2[c][k] = normal(c * width + k) / sqrt(width)         [classes x width]
//   "synthetic/teacher/u"       u[j]     = normal(j) / sqrt(features)                  [features]
//   "synthetic/noise/<split>"   e[n]     = noise * normal(n)
// The teacher does not depend on the split, so "train" and "test" are two independent samples
// labelled by the same teacher.
#include <cstdint>
#include <string>

#include "data/dataset.hpp"

namespace hesscov::data {

enum class SyntheticTask {
  classification,  ///< label = argmax_c (W2 relu(W1 x))_c, no biases; ties go to the lower class
  regression,      ///< target y = u . x + e, e ~ N(0, noise^2); one output, label 0
};

/// What make_synthetic draws.
struct SyntheticSpec {
  std::int64_t count = 1000;         ///< samples
  std::int64_t features = 20;        ///< input dimension d
  int classes = 10;                  ///< classification outputs (ignored for regression)
  std::int64_t teacher_width = 64;   ///< hidden ReLU units of the classification teacher
  SyntheticTask task = SyntheticTask::classification;
  double noise = 0.0;                ///< regression: standard deviation sigma of the target noise
  std::uint64_t seed = 0;            ///< root seed of every stream (teacher and samples)
  std::string split = "train";       ///< "train" or "test": which sample of the same teacher
};

/// Draws the data set in host memory: inputs [count x features] N(0, 1), channels = height = 1,
/// width = features; indices[n] = n (the draw counter). Classification: num_classes = classes,
/// labels from the teacher, targets empty. Regression: num_classes = 1, labels all 0, targets
/// [count x 1] = u . x + e. The name records task and seed, e.g.
/// "synthetic-classification(seed=7):train". core::Error for count, features or teacher_width
/// below 1, classes below 2 (classification), a negative noise, or a split other than train/test.
/// Local and deterministic: the same spec gives bit-identical data on every rank and run.
Dataset make_synthetic(const SyntheticSpec& spec);

/// "classification" or "regression".
std::string to_string(SyntheticTask task);

}  // namespace hesscov::data
