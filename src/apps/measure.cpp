#include "apps/measure.hpp"

#include <algorithm>

#include "apps/analyses.hpp"

namespace hesscov::apps {

void add_measure_keys(core::Schema& schema) {
  schema.add_string_list("measure.analyses", {},
                         "analyses of a sweep run at each measure point: eig, align, fluct ([]: training only)");
  schema.add_int_list("measure.epochs", {}, "epochs after which the analyses run ([]: at the end of training)",
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
  if (plan.analysis_steps.empty()) plan.analysis_steps.push_back(total_steps);
  if (plan.analyses.empty()) plan.analysis_steps.clear();
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
  static const std::vector<std::string> names{"eig", "align", "fluct"};
  return names;
}

Analysis find_analysis(const std::string& name) {
  if (name == "eig") return eig_analysis;
  if (name == "align") return align_analysis;
  if (name == "fluct") return fluct_analysis;
  return nullptr;
}

}  // namespace hesscov::apps
