#include "apps/measure.hpp"

#include <algorithm>
#include <cmath>

#include "apps/analyses.hpp"

namespace hesscov::apps {

void add_measure_keys(core::Schema& schema) {
  schema.add_string_list("measure.analyses", {},
                         "analyses of a sweep run at each measure point: eig, align, fluct, track ([]: training only)");
  schema.add_int_list("measure.epochs", {}, "epochs after which the analyses run ([]: at the end of training)",
                      {.min = 0});
  schema.add_int_list("measure.steps", {}, "and after these global steps", {.min = 0});
  schema.add_int("measure.log_points", 0,
                 "and at this many steps spaced logarithmically from 1 to the end (dense early, sparse late)",
                 {.min = 0});
}

bool MeasurePlan::analyses_at(index step) const {
  return std::find(analysis_steps.begin(), analysis_steps.end(), step) != analysis_steps.end();
}

void check_align_config(const core::Config& config) {
  if (config.get_string("eig.operator") != "hessian")
    throw config.error("eig.operator", "hessian (align and fluct work in the Hessian's eigenbasis)");
  if (config.get_string("eig.method") != "slepc")
    throw config.error("eig.method", "slepc (align and fluct need the eigenvectors)");
}

void check_measure_config(const core::Config& config) {
  const auto analyses = config.get_string_list("measure.analyses");
  for (size_t i = 0; i < analyses.size(); ++i) {
    if (find_analysis(analyses[i]) == nullptr) {
      std::string names;
      for (const auto& name : analysis_names()) names += (names.empty() ? "" : ", ") + name;
      throw config.error("measure.analyses", "a list of analyses among " + names + " ('" + analyses[i] +
                                                 "' is not one)");
    }
    if (std::count(analyses.begin(), analyses.end(), analyses[i]) > 1)
      throw config.error("measure.analyses", "each analysis once ('" + analyses[i] + "' is listed twice)");
  }
  const index epochs = config.get_int("train.epochs");
  for (const auto epoch : config.get_int_list("measure.epochs"))
    if (epoch > epochs)
      throw config.error("measure.epochs", "epochs between 0 and train.epochs = " + std::to_string(epochs));
  const bool eigenvectors = std::find(analyses.begin(), analyses.end(), "align") != analyses.end() ||
                            std::find(analyses.begin(), analyses.end(), "fluct") != analyses.end();
  if (eigenvectors) check_align_config(config);
}

MeasurePlan measure_plan(const core::Config& config, index steps_per_epoch, index total_steps) {
  check_measure_config(config);
  MeasurePlan plan;
  plan.analyses = config.get_string_list("measure.analyses");
  auto epoch_steps = [&](const std::string& key) {
    std::vector<index> steps;
    for (const auto epoch : config.get_int_list(key))
      if (epoch * steps_per_epoch <= total_steps) steps.push_back(epoch * steps_per_epoch);
    return steps;
  };
  plan.analysis_steps = epoch_steps("measure.epochs");
  for (const auto step : config.get_int_list("measure.steps"))
    if (step <= total_steps) plan.analysis_steps.push_back(step);
  const index points = config.get_int("measure.log_points");
  for (index i = 0; i < points && total_steps > 0; ++i) {  // round(T^(i/(n-1))): 1, ..., T
    const double fraction = points == 1 ? 1.0 : static_cast<double>(i) / static_cast<double>(points - 1);
    plan.analysis_steps.push_back(static_cast<index>(std::llround(std::pow(static_cast<double>(total_steps), fraction))));
  }
  if (plan.analysis_steps.empty()) plan.analysis_steps.push_back(total_steps);
  // Without analyses there is nothing to measure, unless the valley path visits the points.
  if (plan.analyses.empty() && !config.get_bool("valley.project")) plan.analysis_steps.clear();
  plan.checkpoints = epoch_steps("train.checkpoints");
  for (const auto step : config.get_int_list("train.checkpoint_steps"))
    if (step <= total_steps) plan.checkpoints.push_back(step);
  plan.checkpoints.insert(plan.checkpoints.end(), plan.analysis_steps.begin(), plan.analysis_steps.end());
  plan.checkpoints.push_back(total_steps);
  std::sort(plan.checkpoints.begin(), plan.checkpoints.end());
  plan.checkpoints.erase(std::unique(plan.checkpoints.begin(), plan.checkpoints.end()), plan.checkpoints.end());
  std::sort(plan.analysis_steps.begin(), plan.analysis_steps.end());
  plan.analysis_steps.erase(std::unique(plan.analysis_steps.begin(), plan.analysis_steps.end()),
                            plan.analysis_steps.end());
  return plan;
}

const std::vector<std::string>& analysis_names() {
  static const std::vector<std::string> names{"eig", "align", "fluct", "track"};
  return names;
}

Analysis find_analysis(const std::string& name) {
  if (name == "eig") return eig_analysis;
  if (name == "align") return align_analysis;
  if (name == "fluct") return fluct_analysis;
  if (name == "track") return track_analysis;
  return nullptr;
}

}  // namespace hesscov::apps
