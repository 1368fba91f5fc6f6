#include "apps/valley_path.hpp"

#include <cstdio>

#include "spectral/trace.hpp"

namespace hesscov::apps {

void add_valley_keys(core::Schema& schema) {
  schema.add_bool("valley.project", false,
                  "after training, project every measure point to the valley floor and check the path "
                  "(Study 3; sweep runs and hesscov track)");
  schema.add_double("valley.loss", 1e-3, "the valley floor: training loss below this", {.min = 0.0, .min_exclusive = true});
  schema.add_double("valley.lr", 0.1, "learning rate of the projecting full-batch gradient descent",
                    {.min = 0.0, .min_exclusive = true});
  schema.add_double("valley.target", 0.5, "projections descend to target x valley.loss (room for the segments)",
                    {.min = 0.0, .max = 1.0, .min_exclusive = true});
  schema.add_int("valley.max_steps", 10000, "gradient-descent steps before a projection gives up", {.min = 1});
  schema.add_int("valley.line_points", 20, "loss evaluations inside each segment of the path", {.min = 1});
  schema.add_int("valley.depth", 3, "bisections of an unconnected checkpoint interval", {.min = 0});
}

ValleySettings valley_settings(const core::Config& config) {
  return {config.get_double("valley.loss"), config.get_double("valley.target"), config.get_double("valley.lr"), config.get_int("valley.max_steps"),
          config.get_int("valley.line_points"), config.get_int("valley.depth"), config.get_int("track.trace_products")};
}

Projection project_to_valley(nn::DatasetEvaluator& evaluator, const nn::ParamSubset& all, std::vector<double> params,
                             const ValleySettings& settings, const StopRequest& stop) {
  Projection projection;
  evaluator.set_reduction(nn::DatasetEvaluator::Reduction::allreduce);  // a curvature operator may have left it local
  evaluator.set_parameters(params);
  projection.loss = evaluator.mean_loss();
  const double target = settings.target_fraction * settings.loss_threshold;
  while (projection.loss >= target && projection.steps < settings.max_steps) {
    if (projection.steps % 100 == 0) throw_if_stopped(stop, "the projection to the valley floor");
    const auto gradient = evaluator.gradient(all);
    for (size_t j = 0; j < params.size(); ++j) params[j] -= settings.learning_rate * gradient[j];
    evaluator.set_parameters(params);
    projection.loss = evaluator.mean_loss();
    ++projection.steps;
  }
  projection.reached = projection.loss < target;
  projection.params = std::move(params);
  return projection;
}

Link check_link(nn::DatasetEvaluator& evaluator, const std::vector<double>& a, const std::vector<double>& b,
                double threshold, index points) {
  Link link;
  std::vector<double> x(a.size());
  for (index p = 1; p <= points; ++p) {
    const double t = static_cast<double>(p) / static_cast<double>(points + 1);
    for (size_t j = 0; j < a.size(); ++j) x[j] = (1.0 - t) * a[j] + t * b[j];
    evaluator.set_parameters(x);
    link.max_loss = std::max(link.max_loss, evaluator.mean_loss());
  }
  link.connected = link.max_loss < threshold;
  return link;
}

namespace {

/// Projects one training state and measures its trace.
ValleyPoint valley_point(const RunSetup& run, const comm::Communicator& comm, nn::DatasetEvaluator& evaluator,
                         const train::Checkpoint& state, const ValleySettings& settings, const StopRequest& stop,
                         const core::Logger& log) {
  const auto all = nn::ParamSubset::all(run.model->layout());
  ValleyPoint point{state.step, project_to_valley(evaluator, all, state.params, settings, stop)};
  const nn::ParamSubset subset = subset_of(run, "eig.blocks");
  operators::CurvatureOperator hessian(evaluator, comm, subset, {operators::OperatorKind::hessian, true, {}},
                                       point.projection.params);
  const auto trace = spectral::hutch_plus_plus(hessian.mat(), settings.trace_products, run.seed);
  point.trace = trace.value;
  point.trace_standard_error = trace.standard_error;
  char line[200];
  std::snprintf(line, sizeof line, "valley: step %lld projected in %lld GD steps to loss %.3g%s, tr H = %.6g +- %.2g",
                static_cast<long long>(state.step), static_cast<long long>(point.projection.steps),
                point.projection.loss, point.projection.reached ? "" : " (not reached)", trace.value,
                trace.standard_error);
  log.info(line);
  return point;
}

struct Builder {
  const RunSetup& run;
  const comm::Communicator& comm;
  const core::Logger& log;
  const std::function<train::Checkpoint(const train::Checkpoint&, index)>& advance;
  const ValleySettings& settings;
  const StopRequest& stop;
  nn::DatasetEvaluator& evaluator;  ///< the run's shard, for every projection, trace and link
  ValleyPath path;

  [[nodiscard]] ValleyPoint point(const train::Checkpoint& state) {
    return valley_point(run, comm, evaluator, state, settings, stop, log);
  }

  /// Appends the points after `a` up to and including `b`, bisecting an unconnected link.
  void extend(const train::Checkpoint& a, ValleyPoint pa, const train::Checkpoint& b, ValleyPoint pb, index depth) {  // copies: points may move
    const Link link = check_link(evaluator, pa.projection.params, pb.projection.params, settings.loss_threshold,
                                 settings.line_points);
    const index middle = (a.step + b.step) / 2;
    if (link.connected || depth >= settings.depth || middle <= a.step || middle >= b.step) {
      path.links.push_back(link);
      path.points.push_back(std::move(pb));
      return;
    }
    ++path.bisections;
    log.info("valley: steps " + std::to_string(a.step) + " and " + std::to_string(b.step) +
             " are not connected; bisecting at step " + std::to_string(middle));
    const train::Checkpoint m = advance(a, middle);
    ValleyPoint pm = point(m);
    extend(a, pa, m, pm, depth + 1);
    ValleyPoint reached_middle = path.points.back();
    extend(m, std::move(reached_middle), b, std::move(pb), depth + 1);
  }
};

}  // namespace

ValleyPath valley_path(const RunSetup& run, const comm::Communicator& comm, const core::Logger& log,
                       const std::vector<train::Checkpoint>& states,
                       const std::function<train::Checkpoint(const train::Checkpoint&, index)>& advance,
                       const ValleySettings& settings, const StopRequest& stop) {
  if (states.empty()) return {};
  nn::DatasetEvaluator evaluator = shard_evaluator(run, comm, run.config.get_int("eig.batch_size"));
  Builder builder{run, comm, log, advance, settings, stop, evaluator, {}};
  builder.path.points.push_back(builder.point(states.front()));
  for (size_t i = 1; i < states.size(); ++i) {
    const ValleyPoint previous = builder.path.points.back();
    builder.extend(states[i - 1], previous, states[i], builder.point(states[i]), 0);
  }
  return builder.path;
}

void write_valley_path(io::ParallelH5File& file, const std::string& group, const ValleyPath& path,
                       const ValleySettings& settings) {
  std::vector<double> steps, gd_steps, loss, reached, trace, trace_error, params, link_loss, connected;
  for (const auto& point : path.points) {
    steps.push_back(static_cast<double>(point.step));
    gd_steps.push_back(static_cast<double>(point.projection.steps));
    loss.push_back(point.projection.loss);
    reached.push_back(point.projection.reached ? 1.0 : 0.0);
    trace.push_back(point.trace);
    trace_error.push_back(point.trace_standard_error);
    params.insert(params.end(), point.projection.params.begin(), point.projection.params.end());
  }
  for (const auto& link : path.links) {
    link_loss.push_back(link.max_loss);
    connected.push_back(link.connected ? 1.0 : 0.0);
  }
  file.create_groups(group);
  file.write_replicated(group + "/steps", steps);
  file.write_replicated(group + "/gd_steps", gd_steps);
  file.write_replicated(group + "/loss", loss);
  file.write_replicated(group + "/reached", reached);
  file.write_replicated(group + "/trace", trace);
  file.write_replicated(group + "/trace_standard_error", trace_error);
  const auto count = static_cast<std::int64_t>(path.points.size());
  file.write_replicated_matrix(group + "/params", count, count > 0 ? static_cast<std::int64_t>(params.size()) / count : 0,
                               params);
  file.write_replicated(group + "/link_max_loss", link_loss);
  file.write_replicated(group + "/link_connected", connected);
  file.write_attribute(group, "loss_threshold", settings.loss_threshold);
  file.write_attribute(group, "target_fraction", settings.target_fraction);
  file.write_attribute(group, "learning_rate", settings.learning_rate);
  file.write_attribute(group, "max_steps", static_cast<std::int64_t>(settings.max_steps));
  file.write_attribute(group, "line_points", static_cast<std::int64_t>(settings.line_points));
  file.write_attribute(group, "depth", static_cast<std::int64_t>(settings.depth));
  file.write_attribute(group, "bisections", static_cast<std::int64_t>(path.bisections));
  file.write_attribute(group + "/trace", "units", "loss/parameter^2");
  file.write_attribute(group + "/params", "units", "parameter (rows: projected points, /layout order)");
}

}  // namespace hesscov::apps
