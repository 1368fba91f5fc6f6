#pragma once
// A training checkpoint: everything needed to resume bit for bit. Batches and label noise are pure
// functions of (seed, step) (train/sampler.hpp), so the RNG state is the seed and the step.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "backend/types.hpp"

namespace hesscov::train {

/// One evaluation of the model during training (the trainer's progress lines, as numbers).
struct Evaluation {
  index step = 0, epoch = 0;
  double learning_rate = 0.0;
  double train_loss = 0.0, train_accuracy = 0.0;
  double test_loss = std::nan(""), test_accuracy = std::nan("");  ///< NaN without test data
  double seconds = 0.0;  ///< wall time of the training call that made it, at this evaluation
};

/// The columns of Evaluation in the order of evaluation_row().
inline constexpr const char* kEvaluationColumns =
    "step,epoch,learning_rate,train_loss,train_accuracy,test_loss,test_accuracy,seconds";
inline constexpr index kEvaluationWidth = 8;
/// An evaluation as one row of doubles (columns kEvaluationColumns), and back.
std::vector<double> evaluation_row(const Evaluation& evaluation);
Evaluation evaluation_from_row(const double* row);

struct Checkpoint {
  index step = 0;                  ///< optimizer steps taken since the start of the run
  index epoch = 0;                 ///< completed epochs (step / steps_per_epoch, rounded down)
  std::uint64_t seed = 0;          ///< the run's root seed (sampling, label noise, initialisation)
  std::vector<double> params;      ///< flat fp64 parameter vector (model layout)
  std::vector<double> velocity;    ///< SGD momentum buffer, same layout
  std::vector<std::int64_t> sample_indices;  ///< training samples used (indices in the source files)
  /// "running" (more steps to go), "completed", "interrupted" (asked to stop; resumable) or
  /// "diverged: <reason>"
  std::string status = "running";
  std::string config;              ///< the effective config (YAML) of the run that wrote it
  double train_loss = std::nan("");  ///< last evaluated mean training loss (NaN when not evaluated)
  double train_accuracy = std::nan("");
  double test_loss = std::nan("");      ///< last evaluation on held-out data (NaN: none)
  double test_accuracy = std::nan("");
  std::vector<Evaluation> history;      ///< every evaluation since step 0, in order
};

/// Writes `checkpoint` to `path` atomically: the file is written under a temporary name and
/// renamed, so `path` is either absent, the previous version, or complete. Local (call on one rank).
void write_checkpoint(const std::string& path, const Checkpoint& checkpoint);

/// Reads a checkpoint written by write_checkpoint; core::IoError naming the file otherwise.
Checkpoint read_checkpoint(const std::string& path);

}  // namespace hesscov::train
