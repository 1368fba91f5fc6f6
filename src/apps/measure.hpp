#pragma once
// The measure section: which analyses a run makes, and at which points of its training. A run of
// a sweep keeps its training state at every checkpoint (train.checkpoints, train.checkpoint_steps,
// the measure points and the end) and runs measure.analyses at the measure points.
#include <string>
#include <vector>

#include "backend/types.hpp"
#include "core/config.hpp"

namespace hesscov::apps {

/// Declares measure.analyses and measure.epochs.
void add_measure_keys(core::Schema& schema);

/// The steps of one run where something is kept or measured.
struct MeasurePlan {
  std::vector<index> checkpoints;     ///< training state kept here: ascending, unique, the last is the end
  std::vector<index> analysis_steps;  ///< measure.analyses run here (a subset of checkpoints)
  std::vector<std::string> analyses;  ///< measure.analyses, in order
  [[nodiscard]] bool analyses_at(index step) const;
};

/// Checks the measure section against the rest of the config (known analysis names, epochs
/// within train.epochs, and what each analysis needs of eig.*); a ConfigError names the key.
/// Local, cheap: call it for every run of a sweep before any work.
void check_measure_config(const core::Config& config);

/// The plan of a run with `steps_per_epoch` steps per epoch and `total_steps` in all. Local.
MeasurePlan measure_plan(const core::Config& config, index steps_per_epoch, index total_steps);

/// align's demands on eig.* (the Hessian, by SLEPc, for its eigenvectors). ConfigError otherwise.
void check_align_config(const core::Config& config);

}  // namespace hesscov::apps
