#pragma once
// Projection to the valley floor (SCIENCE.md Study 3): from a checkpoint, full-batch gradient
// descent on the training loss until it is below a threshold gives the "projected" point; two
// consecutive projected points are connected when the loss stays below the threshold at evenly
// spaced points of the segment between them; when they are not, the checkpoint interval is
// bisected (training is repeated to the middle step, which is exact: batches are a function of
// the step) and both halves are checked, to a given depth. The projected path, each point's
// Hessian trace (Hutch++) and the connectivity of each link go to the run's archive.
#include <functional>
#include <vector>

#include "apps/eig_stage.hpp"
#include "apps/run_setup.hpp"
#include "io/parallel_h5.hpp"

namespace hesscov::apps {

/// Declares valley.* (project, loss, lr, max_steps, line_points, depth).
void add_valley_keys(core::Schema& schema);

struct ValleySettings {
  double loss_threshold = 1e-3;  ///< the valley floor: training loss below this (connectivity)
  /// Projections descend to target_fraction x loss_threshold, so that a segment between two
  /// projected points has room below the threshold (a point just under it has none).
  double target_fraction = 0.5;
  double learning_rate = 0.1;    ///< of the projecting gradient descent
  index max_steps = 10000;       ///< GD steps before giving up (the point is then marked unreached)
  index line_points = 20;        ///< loss evaluations strictly inside each segment
  index depth = 3;               ///< bisections of an unconnected checkpoint interval
  index trace_products = 60;     ///< Hutch++ products for the trace at each projected point
};
ValleySettings valley_settings(const core::Config& config);

/// Full-batch GD on the mean training loss (no weight decay, no momentum) from `params` until the
/// loss is below target_fraction x loss_threshold or max_steps pass. Collective over the evaluator's communicator.
struct Projection {
  std::vector<double> params;
  index steps = 0;
  double loss = 0.0;
  bool reached = false;
};
Projection project_to_valley(nn::DatasetEvaluator& evaluator, const nn::ParamSubset& all, std::vector<double> params,
                             const ValleySettings& settings, const StopRequest& stop = {});

/// The largest training loss at `points` evenly spaced interior points of the segment [a, b], and
/// whether it stays below the threshold. Collective.
struct Link {
  double max_loss = 0.0;
  bool connected = false;
};
Link check_link(nn::DatasetEvaluator& evaluator, const std::vector<double>& a, const std::vector<double>& b,
                double threshold, index points);

struct ValleyPoint {
  index step = 0;           ///< the checkpoint's training step
  Projection projection;
  double trace = 0.0, trace_standard_error = 0.0;
};
struct ValleyPath {
  std::vector<ValleyPoint> points;  ///< in step order
  std::vector<Link> links;          ///< links[i]: points[i] to points[i + 1]
  index bisections = 0;
};

/// The path through the checkpoints `states` (ascending steps). `advance(state, step)` returns the
/// training state at `step` reached from `state` (for bisection). Collective over `comm`.
ValleyPath valley_path(const RunSetup& run, const comm::Communicator& comm, const core::Logger& log,
                       const std::vector<train::Checkpoint>& states,
                       const std::function<train::Checkpoint(const train::Checkpoint&, index)>& advance,
                       const ValleySettings& settings, const StopRequest& stop = {});

/// The path under `group`: steps, params [m x P], gd_steps, loss, reached, trace and its error
/// per point; link max_loss and connected per link. Collective.
void write_valley_path(io::ParallelH5File& file, const std::string& group, const ValleyPath& path,
                       const ValleySettings& settings);

}  // namespace hesscov::apps
