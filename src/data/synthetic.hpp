#pragma once
// Teacher-student data: Gaussian inputs labelled by a random "teacher" whose weights are drawn
// from counter-based streams, so every sample and every weight is a pure function of (seed,
// stream, counter), independent of the number of ranks and of the order of the draws.
//
// Streams of CounterRng(seed, name), counters row-major (the exact contract; tests rely on it):
//   "synthetic/inputs/<split>"  x[n][j]  = s_j * normal(n * features + j)   (s = input_scales, 1 if empty)
//   "synthetic/teacher/w1"      W1[k][j] = normal(k * features + j) / sqrt(features)   [width x features]
//   "synthetic/teacher/w2"      W2[c][k] = normal(c * width + k) / sqrt(width)         [classes x width]
//   "synthetic/teacher/u"       u[j]     = normal(j) / sqrt(features)                  [features]
//   "synthetic/noise/<split>"   e[n]     = noise * normal(n)
// The teacher does not depend on the split, so "train" and "test" are two independent samples
// labelled by the same teacher. input_scales multiply the same draws (one fp64 multiplication per
// entry, so scales of 1 give bit-identical inputs to the unscaled ones): Cov(x) = diag(s^2), and the
// regression target uses the scaled x. The quadratic task draws no teacher and no noise.
#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.hpp"

namespace hesscov::data {

enum class SyntheticTask {
  classification,  ///< label = argmax_c (W2 relu(W1 x))_c, no biases; ties go to the lower class
  regression,      ///< target y = u . x + e, e ~ N(0, noise^2); one output, label 0
  quadratic,       ///< inputs for nn::Quadratic: zero targets with one output per feature, labels 0
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
  /// s_1..s_d: x_nj = s_j * normal(...), so Cov(x) = diag(s^2); empty means every s_j = 1.
  std::vector<double> input_scales;
  std::string split = "train";       ///< "train" or "test": which sample of the same teacher
};

/// Draws the data set in host memory: inputs [count x features] N(0, diag(s^2)), channels = height
/// = 1, width = features; indices[n] = n (the draw counter). Classification: num_classes = classes,
/// labels from the teacher, targets empty. Regression: num_classes = 1, labels all 0, targets
/// [count x 1] = u . x + e. Quadratic: num_classes = features, labels all 0, targets
/// [count x features] all 0 (classes, teacher_width and noise unused). The name records task and
/// seed, e.g. "synthetic-classification(seed=7):train". core::Error for count, features or
/// teacher_width below 1, classes below 2 (classification), a negative noise (regression), a split
/// other than train/test, or input_scales that are neither empty nor `features` finite values >= 0.
/// Local and deterministic: the same spec gives bit-identical data on every rank and run.
Dataset make_synthetic(const SyntheticSpec& spec);

/// "classification", "regression" or "quadratic".
std::string to_string(SyntheticTask task);

}  // namespace hesscov::data
