// `hesscov fluct CONFIG.yaml` and the `fluct` analysis of sweeps (SCIENCE.md Study 2): at the
// trained point θ_K, the top-k Hessian eigenpairs of eig.blocks; then T more SGD steps at a
// constant learning rate, recording at every step the projections onto the eigenvectors of the
// weights, the velocity, the minibatch gradient and (every fluct.stride steps) the full-batch
// gradient and the noise; then the fluctuation statistics of every direction beside the oracle's
// predictions (stats/fluctuation*, stats/theory*), all in one archive group.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "apps/analyses.hpp"
#include "apps/commands.hpp"
#include "apps/eig_stage.hpp"
#include "apps/fluct_statistics.hpp"
#include "apps/trajectory_recorder.hpp"
#include "core/build_config.hpp"
#include "train/train_config.hpp"

namespace hesscov::apps {
namespace {

/// The window's SGD: the run's settings with a constant rate, no checkpoint files, the stop
/// request, and the recorder on every step.
train::TrainSettings window_settings(const RunSetup& run, index start_step, index steps, double rate,
                                     const StopRequest& stop, TrajectoryRecorder& recorder) {
  train::TrainSettings settings = train::train_settings(run.config, run.dataset.count, run.seed);
  settings.schedule = {train::ScheduleKind::constant, rate, 1.0, 1, 0};
  const index per_epoch = (run.dataset.count + settings.batch_size - 1) / settings.batch_size;
  settings.epochs = (start_step + steps) / per_epoch + 1;  // run() stops at until_step
  settings.stop_after_steps = -1;
  settings.checkpoint_dir.clear();
  settings.checkpoint_epochs.clear();
  settings.checkpoint_steps.clear();
  if (stop) settings.should_stop = [stop](index) { return stop(); };
  settings.on_step = [&recorder](index, const std::vector<double>& before, const std::vector<double>& gradient,
                                 const std::vector<double>& after) { recorder.record(before, gradient, after); };
  return settings;
}

void write_window_attributes(io::ParallelH5File& file, const std::string& group, const RunSetup& run,
                             const WindowPlan& window, const train::Checkpoint& end) {
  const auto& config = run.config;
  file.write_attribute(group, "start_step", static_cast<std::int64_t>(window.start_step));
  file.write_attribute(group, "steps", static_cast<std::int64_t>(window.steps));
  file.write_attribute(group, "steps_recorded", static_cast<std::int64_t>(end.step - window.start_step));
  file.write_attribute(group, "steps_per_epoch", static_cast<std::int64_t>(window.steps_per_epoch));
  file.write_attribute(group, "learning_rate", window.learning_rate);
  file.write_attribute(group, "momentum", config.get_double("train.momentum"));
  file.write_attribute(group, "weight_decay", config.get_double("train.weight_decay"));
  file.write_attribute(group, "batch_size", static_cast<std::int64_t>(config.get_int("train.batch_size")));
  file.write_attribute(group, "samples", static_cast<std::int64_t>(run.dataset.count));
  file.write_attribute(group, "sampling", config.get_string("train.sampling"));
  file.write_attribute(group, "label_noise", config.get_double("train.label_noise"));
  file.write_attribute(group, "stride", static_cast<std::int64_t>(window.stride));
  file.write_attribute(group, "seed", static_cast<std::int64_t>(run.seed));
  const bool full = end.status == "running" && end.step == window.start_step + window.steps;
  file.write_attribute(group, "status", full ? std::string("completed") : end.status);
  file.write_attribute(group, "train_loss", end.train_loss);
  file.write_attribute(group, "train_accuracy", end.train_accuracy);
  // Rows are steps of the window, columns the eigenvectors (docs/archive-format.md "fluct").
  file.write_attribute(group + "/theta", "units", "parameter");
  file.write_attribute(group + "/velocity", "units", "parameter per step");
  file.write_attribute(group + "/gradient", "units", "loss/parameter");
  if (window.stride > 0) {
    file.write_attribute(group + "/full_gradient", "units", "loss/parameter");
    file.write_attribute(group + "/noise", "units", "loss/parameter");
  }
}

/// O_L/O_R of the window (SCIENCE.md Study 3's fluctuation-dissipation check), full space and
/// eigen-subspace, under <group>/stationarity.
Headline write_stationarity(io::ParallelH5File& file, const std::string& group, const StationarySums& sums,
                            const WindowPlan& window, const core::Config& config) {
  const double momentum = config.get_double("train.momentum"), count = static_cast<double>(std::max<index>(sums.steps, 1));
  const double scale = (1.0 + momentum) / (2.0 * window.learning_rate);
  const double left = sums.theta_gradient / count, right = scale * sums.step_squared / count;
  const double left_sub = sums.theta_gradient_subspace / count, right_sub = scale * sums.step_squared_subspace / count;
  const std::string g = group + "/stationarity";
  file.create_groups(g);
  file.write_attribute(g, "origin", config.get_string("fluct.origin"));
  file.write_attribute(g, "o_left", left);
  file.write_attribute(g, "o_right", right);
  file.write_attribute(g, "ratio", left / right);
  file.write_attribute(g, "o_left_subspace", left_sub);
  file.write_attribute(g, "o_right_subspace", right_sub);
  file.write_attribute(g, "ratio_subspace", left_sub / right_sub);
  file.write_attribute(g, "steps", static_cast<std::int64_t>(sums.steps));
  return {{"fluct.stationarity_ratio", left / right}, {"fluct.stationarity_ratio_subspace", left_sub / right_sub}};
}

/// The eigenpairs of H(θ_K) on eig.blocks, written under <group>/eig/hessian/largest.
spectral::EigenResult window_basis(io::ParallelH5File& file, const std::string& group, const RunSetup& run,
                                   const train::Checkpoint& point, const nn::ParamSubset& subset,
                                   const comm::Communicator& world, const core::Logger& log, const StopRequest& stop) {
  nn::DatasetEvaluator products = shard_evaluator(run, world, run.config.get_int("eig.batch_size"));
  operators::CurvatureOperator hessian(products, world, subset, {operators::OperatorKind::hessian, true, {}},
                                       point.params);
  log.info("step " + std::to_string(point.step) + ": top " + std::to_string(run.config.get_int("eig.nev")) +
           " Hessian eigenpairs of " + std::to_string(subset.size()) + " parameters");
  auto eigen = extract(hessian, run.config, spectral::Which::largest, log, stop);
  report("largest", eigen, log);
  file.create_groups(group + "/eig/hessian");
  write_solver_options(file, group + "/eig/hessian", run.config);
  write_end(file, group + "/eig/hessian/largest", eigen, hessian, run.config.get_bool("eig.vectors"));
  HC_CHECK(eigen.values.size() >= 2, core::Error,
           "only " + std::to_string(eigen.values.size()) + " eigenpairs converged: raise eig.max_it or lower eig.nev");
  return eigen;
}

void fluct_command(const RunSetup& run, const train::Checkpoint& trained, const comm::Communicator& world,
                   const core::Logger& log) {
  const std::string output = run.config.get_string("fluct.output");
  io::ParallelH5File file = create_archive(output, "hesscov-fluct-1", run.config, world);
  (void)fluct_analysis(file, "/fluct", run, trained, world, log, {});
  file.close();
  log.info("wrote " + output + "; done in " + core::format_seconds(log.elapsed()));
}

}  // namespace

WindowPlan window_plan(const RunSetup& run, const train::Checkpoint& point) {
  const auto& config = run.config;
  WindowPlan window;
  const index batch = config.get_int("train.batch_size");
  window.steps_per_epoch = (run.dataset.count + batch - 1) / batch;
  window.start_step = point.step;
  window.steps = config.get_int("fluct.steps") > 0 ? config.get_int("fluct.steps")
                                                   : config.get_int("fluct.epochs") * window.steps_per_epoch;
  if (window.steps < 2) throw config.error("fluct.epochs", "a window of at least 2 steps (fluct.epochs or fluct.steps)");
  const train::TrainSettings settings = train::train_settings(config, run.dataset.count, run.seed);
  window.learning_rate = config.get_double("fluct.lr") > 0.0
                             ? config.get_double("fluct.lr")
                             : settings.schedule.rate(point.step / window.steps_per_epoch);
  window.stride = config.get_int("fluct.stride");
  return window;
}

Headline fluct_analysis(io::ParallelH5File& file, const std::string& group, const RunSetup& run,
                        const train::Checkpoint& point, const comm::Communicator& world, const core::Logger& log,
                        const StopRequest& stop) {
  const auto& config = run.config;
  const nn::ParamSubset subset = subset_of(run, "eig.blocks");
  file.create_groups(group);
  const auto eigen = window_basis(file, group, run, point, subset, world, log, stop);
  const stats::Frame frame = frame_of(eigen, subset.size());
  const WindowPlan window = window_plan(run, point);
  log.info("window: " + std::to_string(window.steps) + " steps from step " + std::to_string(window.start_step) +
           " at lr " + std::to_string(window.learning_rate) + ", projections onto " + std::to_string(frame.columns) +
           " eigenvectors" + (window.stride > 0 ? ", full gradient every " + std::to_string(window.stride) + " steps" : ""));
  nn::DatasetEvaluator full = shard_evaluator(run, world, config.get_int("fluct.batch_size"));
  TrajectoryRecorder recorder(file, group, frame, run.model->layout(), subset, full, world,
                              {window.steps, window.stride, config.get_int("fluct.chunk"),
                               config.get_double("train.weight_decay"), config.get_string("fluct.origin") == "start"});
  recorder.start(point.params);
  train::Trainer trainer = make_trainer(run, world, log,
                                        window_settings(run, window.start_step, window.steps, window.learning_rate,
                                                        stop, recorder));
  train::Checkpoint state = point;
  state = trainer.run(std::move(state), config.to_yaml(), window.start_step + window.steps);
  if (state.status == "interrupted") throw core::Interrupted("the fluctuation window was interrupted at step " +
                                                             std::to_string(state.step));
  recorder.finish();
  file.write_replicated(group + "/params_start", point.params);  // θ_K and θ_{K+T}, flat, /layout order
  file.write_replicated(group + "/params_end", state.params);
  write_window_attributes(file, group, run, window, state);
  const Headline stationarity = write_stationarity(file, group, recorder.stationarity(), window, config);
  if (state.status.rfind("diverged", 0) == 0) {
    log.info("the window " + state.status + "; no statistics");
    return {{"fluct.steps_recorded", static_cast<double>(state.step - window.start_step)}};
  }
  throw_if_stopped(stop, "the fluctuation statistics");
  Headline headline = write_fluctuation_statistics(file, group, recorder.columns(), eigen.values, window, run.config, world, log);
  headline.insert(headline.end(), stationarity.begin(), stationarity.end());
  return headline;
}

void add_fluct_keys(core::Schema& schema) {
  schema.add_int("fluct.epochs", 20, "epochs of the recording window after the trained point", {.min = 0});
  schema.add_int("fluct.steps", 0, "steps of the window instead (0: fluct.epochs)", {.min = 0});
  schema.add_double("fluct.lr", 0.0, "constant learning rate of the window (0: the schedule's rate at its start)",
                    {.min = 0.0});
  schema.add_int("fluct.stride", 1, "the full-batch gradient and the noise every this many steps (0: never)", {.min = 0});
  schema.add_int("fluct.batch_size", 1000, "samples per batch of the full-batch gradient passes (bounds memory)",
                 {.min = 1});
  schema.add_int("fluct.chunk", 256, "rows of the recorded arrays written (and chunked) at a time", {.min = 1});
  add_fluct_statistics_keys(schema);
  schema.add_choice("fluct.origin", "zero", {"zero", "start"},
                    "origin of theta in the stationarity check <theta . grad L_B>: 0, or the window's start");
  schema.add_string("fluct.output", "results/fluct.h5", "HDF5 file of `hesscov fluct`");
}

int fluct_job(const std::vector<std::string>& args) {
  return run_trained("fluct", args, fluct_command, add_align_keys);
}

}  // namespace hesscov::apps
