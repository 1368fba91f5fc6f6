#pragma once
// The fluctuation statistics of a recorded window (stats/fluctuation*) beside the theory
// oracle's predictions for every direction (stats/theory*), gathered from the ranks' directions
// and written under the window's group; and the window's plan.
#include <string>
#include <vector>

#include "apps/analyses.hpp"
#include "apps/trajectory_recorder.hpp"

namespace hesscov::apps {

/// Where and how the window runs.
struct WindowPlan {
  index start_step = 0;       ///< K, the trained point's step
  index steps = 0;            ///< T
  index steps_per_epoch = 0;  ///< M = ceil(N / S)
  double learning_rate = 0.0; ///< the window's constant rate
  index stride = 1;           ///< full-gradient stride (0: none)
};

/// The window of `point` per the fluct.* keys (ConfigError naming the key when it is too short).
/// Local.
WindowPlan window_plan(const RunSetup& run, const train::Checkpoint& point);

/// Declares the fluct.* keys of the statistics (lags, fit windows, crossover directions).
void add_fluct_statistics_keys(core::Schema& schema);

/// Statistics of every direction from this rank's recorded columns (`lambda`: all k eigenvalues,
/// descending), gathered and written under <group>/stats; returns the headline numbers.
/// Collective.
Headline write_fluctuation_statistics(io::ParallelH5File& file, const std::string& group, const RecordedColumns& columns,
                                      const std::vector<double>& lambda, const WindowPlan& window,
                                      const core::Config& config, const comm::Communicator& comm,
                                      const core::Logger& log);

}  // namespace hesscov::apps
