// The `track` analysis (SCIENCE.md Study 3, curvature along training) and `hesscov track
// CONFIG.yaml`, which runs a config as a one-run sweep with it at every measure point. At a point:
// the Hessian trace by Hutch++ with its standard error, the top and the most negative
// eigenvalues, the sum of the negative ones, the log pseudo-determinant above each threshold
// (from the top eigenvalues and by SLQ for the bulk), and the cosine similarity of H and C.
#include <cmath>
#include <algorithm>
#include <cstdio>
#include <optional>

#include "apps/analyses.hpp"
#include "apps/build_info.hpp"
#include "apps/measure.hpp"
#include "apps/commands.hpp"
#include "apps/eig_stage.hpp"
#include "apps/sweep_run.hpp"
#include "io/index_archive.hpp"
#include "spectral/slq.hpp"
#include "spectral/trace.hpp"
#include "stats/alignment.hpp"
#include "sweep/run_id.hpp"

namespace hesscov::apps {
namespace {

/// Σ_{λ_i > τ} log λ_i over the found top eigenvalues, and whether they cover every eigenvalue
/// above τ (the smallest found is at or below it, or all n were found).
std::pair<double, bool> top_log_determinant(const std::vector<double>& top, double threshold, index dimension) {
  double sum = 0.0;
  for (const double value : top)
    if (value > threshold) sum += std::log(value);
  const bool complete = static_cast<index>(top.size()) == dimension || (!top.empty() && top.back() <= threshold);
  return {sum, complete};
}

}  // namespace

Headline track_analysis(io::ParallelH5File& file, const std::string& group, const RunSetup& run,
                        const train::Checkpoint& point, const comm::Communicator& world, const core::Logger& log,
                        const StopRequest& stop) {
  const auto& config = run.config;
  const auto seed = static_cast<std::uint64_t>(config.get_int("seed"));
  const nn::ParamSubset subset = subset_of(run, "eig.blocks");
  nn::DatasetEvaluator products = shard_evaluator(run, world, config.get_int("eig.batch_size"));
  operators::CurvatureOperator hessian(products, world, subset, {operators::OperatorKind::hessian, true, {}},
                                       point.params);
  file.create_groups(group);
  file.write_attribute(group, "step", static_cast<std::int64_t>(point.step));
  file.write_attribute(group, "train_loss", point.train_loss);
  file.write_attribute(group, "dimension", static_cast<std::int64_t>(hessian.size()));
  Headline headline;
  // The trace over the full training set, Hutch++.
  const auto trace = spectral::hutch_plus_plus(hessian.mat(), config.get_int("track.trace_products"), seed);
  file.create_groups(group + "/trace");
  file.write_attribute(group + "/trace", "value", trace.value);
  file.write_attribute(group + "/trace", "standard_error", trace.standard_error);
  file.write_attribute(group + "/trace", "products", static_cast<std::int64_t>(trace.products));
  file.write_attribute(group + "/trace", "method", "hutch++");
  file.write_attribute(group + "/trace", "units", "loss/parameter^2");
  headline.insert(headline.end(), {{"track.trace", trace.value}, {"track.trace_standard_error", trace.standard_error}});
  throw_if_stopped(stop, "the top eigenvalues");
  // Both ends of the spectrum.
  file.create_groups(group + "/eig/hessian");
  write_solver_options(file, group + "/eig/hessian", config);
  const auto top = extract(hessian, config, spectral::Which::largest, log, stop);
  write_end(file, group + "/eig/hessian/largest", top, hessian, false);
  headline.emplace_back("track.lambda_max", top.values.empty() ? std::nan("") : top.values.front());
  double negative_sum = 0.0;
  index negatives = 0;
  if (config.get_int("track.negative") > 0) {
    core::Config bottom_config = config;
    bottom_config.set_override("eig.nev", std::to_string(config.get_int("track.negative")));
    const auto bottom = extract(hessian, bottom_config, spectral::Which::smallest, log, stop);
    write_end(file, group + "/eig/hessian/smallest", bottom, hessian, false);
    for (const double value : bottom.values)
      if (value < 0.0) negative_sum += value, ++negatives;
    headline.emplace_back("track.lambda_min", bottom.values.empty() ? std::nan("") : bottom.values.front());
  }
  file.write_attribute(group, "negative_sum", negative_sum);
  file.write_attribute(group, "negative_count", static_cast<std::int64_t>(negatives));
  headline.emplace_back("track.negative_sum", negative_sum);
  throw_if_stopped(stop, "the spectral density");
  // The log pseudo-determinant above each threshold, from the top and from SLQ.
  const auto thresholds = config.get_double_list("track.thresholds");
  std::vector<double> from_top, complete, from_slq, slq_error;
  const index probes = config.get_int("track.slq_probes");
  std::optional<spectral::SpectralDensity> density;
  if (probes > 0) {
    density = spectral::slq(hessian.mat(), probes, config.get_int("track.slq_steps"), seed);
    std::vector<double> nodes, weights;
    for (const auto& rule : density->rules) {
      nodes.insert(nodes.end(), rule.nodes.begin(), rule.nodes.end());
      weights.insert(weights.end(), rule.weights.begin(), rule.weights.end());
    }
    file.create_groups(group + "/slq");
    file.write_replicated(group + "/slq/nodes", nodes);
    file.write_replicated(group + "/slq/weights", weights);
    file.write_attribute(group + "/slq", "probes", static_cast<std::int64_t>(probes));
    file.write_attribute(group + "/slq", "dimension", static_cast<std::int64_t>(hessian.size()));
  }
  for (const double threshold : thresholds) {
    const auto [sum, covered] = top_log_determinant(top.values, threshold, hessian.size());
    from_top.push_back(sum);
    complete.push_back(covered ? 1.0 : 0.0);
    const auto [slq_sum, slq_se] = density ? density->log_determinant_above(threshold)
                                           : std::pair<double, double>{std::nan(""), std::nan("")};
    from_slq.push_back(slq_sum);
    slq_error.push_back(slq_se);
  }
  file.create_groups(group + "/logdet");
  file.write_replicated(group + "/logdet/thresholds", thresholds);
  file.write_replicated(group + "/logdet/from_top", from_top);
  file.write_replicated(group + "/logdet/top_complete", complete);
  file.write_replicated(group + "/logdet/from_slq", from_slq);
  file.write_replicated(group + "/logdet/slq_standard_error", slq_error);
  if (!thresholds.empty())
    headline.insert(headline.end(), {{"track.logdet_top", from_top.front()}, {"track.logdet_slq", from_slq.front()}});
  throw_if_stopped(stop, "the cosine similarity");
  // tr(HC) / (|H|_F |C|_F), C the centered per-sample gradient covariance.
  if (const index cosine_probes = config.get_int("track.cosine_probes"); cosine_probes > 0) {
    nn::DatasetEvaluator evaluator = shard_evaluator(run, world, config.get_int("eig.batch_size"));
    evaluator.set_parameters(point.params);
    const auto cosine = stats::cosine_similarity(evaluator, subset, cosine_probes, seed, true, 1.0);
    file.create_groups(group + "/cosine");
    file.write_attribute(group + "/cosine", "value", cosine.value);
    file.write_attribute(group + "/cosine", "standard_error", cosine.standard_error);
    file.write_attribute(group + "/cosine", "trace_hc", cosine.trace_hc);
    file.write_attribute(group + "/cosine", "trace_h2", cosine.trace_h2);
    file.write_attribute(group + "/cosine", "trace_c2", cosine.trace_c2);
    file.write_attribute(group + "/cosine", "probes", static_cast<std::int64_t>(cosine_probes));
    headline.emplace_back("track.cosine", cosine.value);
  }
  char line[256];
  std::snprintf(line, sizeof line, "step %lld: tr H = %.6g +- %.2g, lambda_max %.6g, %lld negative (sum %.4g)",
                static_cast<long long>(point.step), trace.value, trace.standard_error,
                top.values.empty() ? std::nan("") : top.values.front(), static_cast<long long>(negatives), negative_sum);
  log.info(line);
  return headline;
}

void add_track_keys(core::Schema& schema) {
  schema.add_int("track.trace_products", 60, "Hutch++ products for the Hessian trace at each point", {.min = 3});
  schema.add_int("track.negative", 10, "most negative eigenvalues sought at each point (0: none)", {.min = 0});
  schema.add_double_list("track.thresholds", {1e-3, 1e-2, 1e-1},
                         "thresholds tau of the log pseudo-determinant sum_{lambda > tau} log lambda", {.min = 0.0});
  schema.add_int("track.slq_probes", 10, "SLQ probes for the log pseudo-determinant of the bulk (0: none)", {.min = 0});
  schema.add_int("track.slq_steps", 80, "Lanczos steps per SLQ probe", {.min = 2});
  schema.add_int("track.cosine_probes", 10, "probes of tr(HC), tr(H^2), tr(C^2) for the cosine (0: none)", {.min = 0});
  schema.add_string("track.output", "results/track", "folder of `hesscov track`: runs/<id>.h5 and index.h5");
}

int track_job(const std::vector<std::string>& args) {
  core::Schema schema = job_schema();
  add_align_keys(schema);
  if (const int code = handle_job_usage("track", args, schema); code >= 0) return code;
  const comm::Communicator world = comm::Communicator::borrow(MPI_COMM_WORLD);
  const core::Logger log(world.rank());
  core::Config config = load_job_config(args, schema);
  auto analyses = config.get_string_list("measure.analyses");
  if (std::find(analyses.begin(), analyses.end(), "track") == analyses.end()) analyses.push_back("track");
  std::string list;
  for (const auto& name : analyses) list += (list.empty() ? "" : ", ") + name;
  config.set_override("measure.analyses", "[" + list + "]");
  check_measure_config(config);
  const std::string output = config.get_string("track.output");
  const RunIdentity identity{sweep::run_id(config), 0, sweep::run_canonical_text(config), {}, config.file(),
                             "hesscov track " + config.file()};
  const RunOutcome outcome = execute_sweep_run(config, identity, output + "/runs", world, log);
  if (world.rank() == 0) {
    const auto report = io::build_index(output, {{"software", version_line()}});
    log.info("index " + output + "/index.h5: " + std::to_string(report.runs) + " run(s)");
  }
  log.info(std::string("track: ") + (outcome == RunOutcome::skipped ? "already finished, " : "") + output + "/runs/" +
           identity.id + ".h5; done in " + core::format_seconds(log.elapsed()));
  return outcome == RunOutcome::interrupted ? 75 : 0;
}

}  // namespace hesscov::apps
