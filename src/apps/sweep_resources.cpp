#include "apps/sweep_resources.hpp"

#include <algorithm>
#include <cstdio>
#include <set>

#include "apps/measure.hpp"
#include "backend/backend.hpp"
#include "data/data_config.hpp"
#include "data/dataset.hpp"
#include "nn/model_config.hpp"
#include "nn/param_layout.hpp"

namespace hesscov::apps {
namespace {

/// SLEPc's default basis size for Krylov-Schur (EPSSetDimensions_Default): nev + mpd, with
/// mpd = min(n - nev, 500) for large nev, or max(2 nev, nev + 15) for small nev.
index default_ncv(index nev, index mpd, index n) {
  if (mpd > 0) return std::min(n, nev + mpd);
  if (nev < 500) return std::min(n, std::max(2 * nev, nev + 15));
  return std::min(n, nev + std::min<index>(n - nev, 500));
}

/// Every key of the data section, for the cache: runs that differ only elsewhere share a data set.
std::string data_key(const core::Config& config) {
  std::set<std::string> excluded;
  for (const auto& key : config.schema().keys())
    if (key.path.rfind("data.", 0) != 0) excluded.insert(key.path);
  return config.canonical_text(excluded);
}

}  // namespace

RunResources ResourceEstimator::estimate(const core::Config& config, int ranks) {
  const std::string key = data_key(config);
  if (!shapes_.count(key)) {
    const data::Dataset dataset = data::load_dataset(config);
    shapes_[key] = {dataset.count, dataset.channels, dataset.height, dataset.width, dataset.num_classes};
  }
  const DataShape shape = shapes_.at(key);
  const auto model = nn::make_model(backend::make_cpu_backend(), config, {shape.channels, shape.height, shape.width},
                                    shape.classes);
  RunResources r;
  r.params = model->num_params();
  r.samples = shape.count;
  const auto blocks = config.get_string_list("eig.blocks");
  r.block = blocks.empty() ? r.params : nn::ParamSubset::of(model->layout(), blocks).size();
  const index batch = config.get_int("train.batch_size");
  const index steps_per_epoch = (shape.count + batch - 1) / batch;
  r.steps = config.get_int("train.epochs") * steps_per_epoch;
  const MeasurePlan plan = measure_plan(config, steps_per_epoch, r.steps);
  r.points = static_cast<index>(plan.analysis_steps.size());
  const bool align = std::count(plan.analyses.begin(), plan.analyses.end(), "align") > 0;
  const bool eig = std::count(plan.analyses.begin(), plan.analyses.end(), "eig") > 0;
  r.solves = (align ? 1 + (config.get_bool("align.ggn") ? 1 : 0) : 0) +
             (eig ? (config.get_string("eig.which") == "both" ? 2 : 1) : 0);
  if (r.solves == 0) return r;
  const index nev = std::min<index>(config.get_int("eig.nev"), r.block);
  r.ncv = config.get_int("eig.ncv") > 0 ? std::min(config.get_int("eig.ncv"), r.block)
                                        : default_ncv(nev, config.get_int("eig.mpd"), r.block);
  const double per_rank = static_cast<double>((r.block + ranks - 1) / ranks);
  r.basis_bytes = static_cast<double>(r.ncv + nev) * per_rank * 8.0;
  if (align) {
    const double matrices = 4.0 + 2.0 * static_cast<double>(config.get_int("align.baselines")) +
                            (config.get_bool("align.awd") ? 2.0 : 0.0);
    r.dense_bytes = matrices * static_cast<double>(nev) * static_cast<double>(nev) * 8.0;
  }
  r.products_low = r.solves * r.ncv;
  r.products_high = r.solves * std::max(r.ncv, 6 * nev);
  return r;
}


}  // namespace hesscov::apps
