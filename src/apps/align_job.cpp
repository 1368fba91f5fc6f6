// `hesscov align CONFIG.yaml`: Study 1 at the trained point or at listed checkpoints — the top-k
// Hessian eigenpairs of a block (the eig stage), then the noise covariance in that eigenbasis with
// its baselines, power laws and the AWD matrix, per-sample Hessian spectra and the suppression
// experiment (stats/), all written to one HDF5 file with a printed summary.
#include <mpi.h>

#include <cstdio>

#include "apps/analyses.hpp"
#include "apps/commands.hpp"
#include "apps/measure.hpp"
#include "apps/eig_stage.hpp"
#include "core/build_config.hpp"
#include "data/dataset.hpp"
#include "operators/petsc_check.hpp"
#include "stats/alignment.hpp"
#include "stats/suppression.hpp"

namespace hesscov::apps {
namespace {

double minibatch_scale(const core::Config& config, index samples) {
  const index s = config.get_int("align.minibatch");
  if (s == 0) return 1.0;
  if (s > samples) throw config.error("align.minibatch", "a batch size of at most N = " + std::to_string(samples));
  if (config.get_bool("align.replacement")) return 1.0 / static_cast<double>(s);
  if (samples == 1) return 0.0;
  return static_cast<double>(samples - s) / (static_cast<double>(s) * static_cast<double>(samples - 1));
}

stats::AlignmentOptions alignment_options(const core::Config& config, index samples, index outputs) {
  stats::AlignmentOptions options;
  options.centered = config.get_string("align.covariance") == "centered";
  options.scale = minibatch_scale(config, samples);
  options.chunk_columns = config.get_int("align.chunk");
  options.baseline_draws = config.get_int("align.baselines");
  options.seed = static_cast<std::uint64_t>(config.get_int("seed"));
  options.fit_skip = config.get_int("align.fit_skip");
  options.fit_count = config.get_int("align.fit_count") > 0 ? config.get_int("align.fit_count") : -1;
  options.band_edges = config.get_int_list("align.bands");
  options.awd = config.get_bool("align.awd");
  options.awd_per_sample = {stats::PerSampleMethod::lowrank,
                            config.get_int("align.awd_rank") > 0 ? config.get_int("align.awd_rank") : outputs + 2,
                            options.seed, 1e-8};
  options.traces.dense_limit = config.get_int("align.trace_dense_limit");
  options.traces.probes = config.get_int("align.trace_probes");
  options.traces.seed = options.seed;
  options.cosine_probes = config.get_int("align.cosine_probes");
  return options;
}


/// The arrowhead profile: band edges once, then the mean |entry| of each band.
void write_bands(io::ParallelH5File& file, const std::string& group, const stats::FrameCovariance& c) {
  std::vector<double> edges, means, correlation_means;
  for (size_t b = 0; b < c.bands.size(); ++b) {
    edges.push_back(static_cast<double>(c.bands[b].row_begin));
    means.push_back(c.bands[b].mean_abs);
    correlation_means.push_back(c.correlation_bands[b].mean_abs);
  }
  if (!c.bands.empty()) edges.push_back(static_cast<double>(c.bands.back().row_end));
  file.write_replicated(group + "/band_edges", edges);
  file.write_replicated(group + "/band_mean_abs", means);
  file.write_replicated(group + "/band_mean_abs_correlation", correlation_means);
}

void write_fit(io::ParallelH5File& file, const std::string& group, const std::string& prefix,
               const stats::PowerLawFit& fit) {
  file.write_attribute(group, prefix, fit.exponent);
  file.write_attribute(group, prefix + "_standard_error", fit.standard_error);
  file.write_attribute(group, prefix + "_intercept", fit.intercept);
  file.write_attribute(group, prefix + "_r_squared", fit.r_squared);
  file.write_attribute(group, prefix + "_points", static_cast<std::int64_t>(fit.used));
  file.write_attribute(group, prefix + "_skipped", static_cast<std::int64_t>(fit.skipped));
}

// Units of the projected matrices: C_V holds squared gradients, the AWD matrix squared Hessian
// products (docs/archive-format.md).
constexpr const char* kCovarianceUnits = "loss^2/parameter^2";
constexpr const char* kAwdUnits = "loss^2/parameter^4";

void write_frame_covariance(io::ParallelH5File& file, const std::string& group, const stats::FrameCovariance& c,
                            index k, bool with_null, const char* units) {
  file.create_groups(group);
  file.write_replicated_matrix(group + "/matrix", k, k, c.matrix);
  file.write_replicated_matrix(group + "/correlation", k, k, c.correlation);
  file.write_replicated(group + "/diagonal", stats::diagonal(c.matrix, k));
  file.write_attribute(group + "/matrix", "units", units);
  file.write_attribute(group + "/diagonal", "units", units);
  file.write_attribute(group + "/correlation", "units", "1");
  write_bands(file, group, c);
  file.write_attribute(group, "m", c.mean_offdiagonal);
  if (!with_null) return;
  file.write_attribute(group, "null_expected", c.null.expected);
  file.write_attribute(group, "null_standard_error", c.null.standard_error);
  file.write_attribute(group, "z", c.null.z);
  file.write_attribute(group, "p_value", c.null.p_value);
}

void write_alignment(io::ParallelH5File& file, const std::string& group, const stats::AlignmentResult& result,
                     const stats::AlignmentOptions& options) {
  const index k = result.k;
  write_frame_covariance(file, group + "/covariance", result.hessian, k, true, kCovarianceUnits);
  file.write_replicated(group + "/lambda", result.lambda);
  file.write_attribute(group + "/lambda", "units", "loss/parameter^2");
  file.write_replicated_matrix(group + "/covariance/uncentered", k, k, result.uncentered);
  file.write_replicated(group + "/covariance/mean_projection", result.mean_projection);
  const std::string c = group + "/covariance";
  write_fit(file, c, "gamma", result.fit);
  file.write_attribute(c, "commutator", result.commutator);
  file.write_attribute(c, "centered", static_cast<std::int64_t>(options.centered));
  file.write_attribute(c, "minibatch_scale", options.scale);
  file.write_attribute(c, "trace", result.traces.trace);
  file.write_attribute(c, "trace_squared", result.traces.trace_squared);
  file.write_attribute(c, "trace_squared_standard_error", result.traces.trace_squared_error);
  file.write_attribute(c, "trace_squared_method", result.traces.method);
  file.write_attribute(c, "trace_squared_probes", static_cast<std::int64_t>(result.traces.probes));
  file.write_attribute(c, "k_eff", result.k_eff);
  file.write_attribute(c, "fit_skip", static_cast<std::int64_t>(options.fit_skip));
  for (size_t d = 0; d < result.baselines.size(); ++d) {
    const std::string b = group + "/baseline/draw_" + std::to_string(d);
    write_frame_covariance(file, b, result.baselines[d], k, true, kCovarianceUnits);
    file.write_attribute(b, "seed", static_cast<std::int64_t>(options.seed));
    file.write_attribute(b, "draw", static_cast<std::int64_t>(result.baseline_draws[d]));
    file.write_attribute(b, "stream", "align/haar/" + std::to_string(result.baseline_draws[d]));
  }
  if (!result.baselines.empty()) {
    file.write_attribute(group + "/baseline", "m_mean", result.baseline_m.mean);
    file.write_attribute(group + "/baseline", "m_std", result.baseline_m.std);
    file.write_attribute(group + "/baseline", "draws", static_cast<std::int64_t>(result.baseline_m.n));
  }
  if (result.has_awd) {
    write_frame_covariance(file, group + "/awd", result.awd, k, false, kAwdUnits);
    write_fit(file, group + "/awd", "gamma", result.awd_fit);
    file.write_attribute(group + "/awd", "per_sample_rank", static_cast<std::int64_t>(options.awd_per_sample.rank));
  }
  if (result.cosine.probes > 0) {
    file.create_groups(group + "/cosine");
    file.write_attribute(group + "/cosine", "value", result.cosine.value);
    file.write_attribute(group + "/cosine", "trace_hc", result.cosine.trace_hc);
    file.write_attribute(group + "/cosine", "trace_h2", result.cosine.trace_h2);
    file.write_attribute(group + "/cosine", "trace_c2", result.cosine.trace_c2);
    file.write_attribute(group + "/cosine", "probes", static_cast<std::int64_t>(result.cosine.probes));
    file.write_attribute(group + "/cosine", "standard_error", result.cosine.standard_error);
  }
}

std::string format(const char* pattern, double a, double b = 0.0, double c = 0.0, double d = 0.0) {
  char text[256];
  std::snprintf(text, sizeof text, pattern, a, b, c, d);
  return text;
}

void summarize(const stats::AlignmentResult& result, const core::Logger& log) {
  log.info(format("  gamma     = %.4f +- %.4f (R^2 %.4f, %.0f eigenpairs)", result.fit.exponent,
                  result.fit.standard_error, result.fit.r_squared, static_cast<double>(result.fit.used)));
  if (result.has_awd)
    log.info(format("  gamma_AWD = %.4f +- %.4f (R^2 %.4f)", result.awd_fit.exponent, result.awd_fit.standard_error,
                    result.awd_fit.r_squared));
  log.info(format("  m = %.5f   m_rand = %.5f   analytic null E|rho| = %.5f (k_eff = %.2f)",
                  result.hessian.mean_offdiagonal,
                  result.baselines.empty() ? std::nan("") : result.baseline_m.mean, result.hessian.null.expected,
                  result.k_eff));
  log.info(format("  z = %.2f (p = %.3g) for m;  z = %.2f for m_rand", result.hessian.null.z,
                  result.hessian.null.p_value, result.baselines.empty() ? std::nan("") : result.baselines[0].null.z));
  log.info(format("  commutator ||[C_V, Lambda]|| / ||C_V|| = %.4f", result.commutator));
  if (result.cosine.probes > 0)
    log.info(format("  cosine tr(HC)/(|H|_F |C|_F) = %.4f (%.0f probes)", result.cosine.value,
                    static_cast<double>(result.cosine.probes)));
}

/// The numbers a sweep's index shows for this analysis.
Headline headline_of(const stats::AlignmentResult& result) {
  const double nan = std::nan("");
  return {{"align.k", static_cast<double>(result.k)},
          {"align.gamma", result.fit.exponent},
          {"align.gamma_standard_error", result.fit.standard_error},
          {"align.gamma_awd", result.has_awd ? result.awd_fit.exponent : nan},
          {"align.m", result.hessian.mean_offdiagonal},
          {"align.m_rand", result.baselines.empty() ? nan : result.baseline_m.mean},
          {"align.null_expected", result.hessian.null.expected},
          {"align.z", result.hessian.null.z},
          {"align.k_eff", result.k_eff},
          {"align.commutator", result.commutator},
          {"align.lambda_1", result.lambda.empty() ? nan : result.lambda.front()}};
}

void broadcast(std::vector<double>& values, const comm::Communicator& comm) {
  long long size = static_cast<long long>(values.size());
  HC_MPI(MPI_Bcast(&size, 1, MPI_LONG_LONG, 0, comm.get()));
  values.resize(static_cast<size_t>(size));
  HC_MPI(MPI_Bcast(values.data(), static_cast<int>(size), MPI_DOUBLE, 0, comm.get()));
}

/// Every rank's doubles concatenated in rank order on rank 0 (empty elsewhere).
std::vector<double> gather_to_root(const std::vector<double>& mine, const comm::Communicator& comm) {
  const int count = static_cast<int>(mine.size());
  std::vector<int> counts(static_cast<size_t>(comm.size())), offsets(static_cast<size_t>(comm.size()), 0);
  HC_MPI(MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, comm.get()));
  for (size_t r = 1; r < counts.size(); ++r) offsets[r] = offsets[r - 1] + counts[r - 1];
  std::vector<double> all(comm.rank() == 0 ? static_cast<size_t>(offsets.back() + counts.back()) : 0);
  HC_MPI(MPI_Gatherv(mine.data(), count, MPI_DOUBLE, all.data(), counts.data(), offsets.data(), MPI_DOUBLE, 0,
                     comm.get()));
  return all;
}

/// Per-sample eigendecompositions of the first `count` training samples, on rank 0 (rank order is
/// sample order, so the set does not depend on the number of ranks).
stats::PerSampleEigen per_sample_decompositions(const RunSetup& run, const train::Checkpoint& point,
                                                const nn::ParamSubset& subset, const comm::Communicator& world,
                                                const stats::PerSampleOptions& options, index count) {
  const index begin = std::min(run.shard.begin, count), end = std::min(run.shard.end, count);
  nn::DatasetEvaluator evaluator(*run.model, world, data::rows(run.dataset.inputs, run.dataset.features, begin, end),
                                 data::rows(run.targets, run.dataset.num_classes, begin, end),
                                 run.config.get_int("align.batch_size"));
  evaluator.set_parameters(point.params);
  std::vector<stats::PerSampleEigen> parts;
  evaluator.for_each_local_batch([&](index, const nn::Batch& batch, nn::Workspace& ws, const double* params) {
    parts.push_back(stats::per_sample_eigen(*run.model, ws, params, batch, subset, nn::Curvature::hessian, options));
  });
  stats::PerSampleEigen mine = parts.empty() ? stats::PerSampleEigen{0, subset.size(), 0, {}, {}, {}}
                                             : stats::concatenate(parts);
  stats::PerSampleEigen all{0, subset.size(), 0, gather_to_root(mine.values, world), gather_to_root(mine.vectors, world),
                            gather_to_root(mine.traces, world)};
  all.samples = static_cast<index>(all.traces.size());
  all.rank = all.samples > 0 ? static_cast<index>(all.values.size()) / all.samples : 0;
  return all;
}

stats::SuppressionOptions suppression_options(const core::Config& config) {
  stats::SuppressionOptions options;
  options.threshold = config.get_double("align.suppression_threshold");
  options.stiff_tail_factor = config.get_double("align.stiff_tail_factor");
  options.soft_leading_factor = config.get_double("align.soft_leading_factor");
  options.soft_tail_factor = config.get_double("align.soft_tail_factor");
  return options;
}

/// Per-sample spectra against the eigenvectors and, when asked, the suppression experiment:
/// computed on rank 0, broadcast, written collectively.
void per_sample_stage(io::ParallelH5File& file, const std::string& group, const RunSetup& run,
                      const train::Checkpoint& point, const nn::ParamSubset& subset, const stats::Frame& frame,
                      const stats::AlignmentOptions& options, const comm::Communicator& world, const core::Logger& log) {
  const auto& config = run.config;
  const index count = std::min<index>(config.get_int("align.per_sample"), static_cast<index>(run.dataset.count));
  if (count == 0) return;
  stats::PerSampleOptions per_sample = options.awd_per_sample;
  if (config.get_string("align.per_sample_method") == "dense") per_sample.method = stats::PerSampleMethod::dense;
  const auto eig = per_sample_decompositions(run, point, subset, world, per_sample, count);
  const auto vectors = stats::gather_columns(world, frame, 0, frame.columns);  // the block's V, for alignments
  std::vector<double> leading, share, alignment, correlation, scalars(2, 0.0);
  if (world.rank() == 0) {
    const auto spectra = stats::per_sample_spectra(eig, vectors.data(), frame.columns);
    leading = spectra.leading, share = spectra.leading_share, alignment = spectra.alignment;
    correlation = spectra.alignment_correlation;
    scalars = {spectra.total_alignment_correlation, static_cast<double>(eig.rank)};
  }
  for (auto* values : {&leading, &share, &alignment, &correlation, &scalars}) broadcast(*values, world);
  const std::string g = group + "/per_sample";
  file.create_groups(g);
  file.write_replicated(g + "/leading", leading);
  file.write_replicated(g + "/leading_share", share);
  file.write_replicated_matrix(g + "/alignment", count, frame.columns, alignment);
  file.write_replicated(g + "/alignment_correlation", correlation);
  file.write_attribute(g, "total_alignment_correlation", scalars[0]);
  file.write_attribute(g, "rank", static_cast<std::int64_t>(scalars[1]));
  file.write_attribute(g, "method", config.get_string("align.per_sample_method"));
  file.write_attribute(g, "samples", static_cast<std::int64_t>(count));
  log.info(format("  per-sample spectra of %.0f samples: corr(lambda_n^1, total alignment) = %.4f",
                  static_cast<double>(count), scalars[0]));
  if (!config.get_bool("align.suppression")) return;
  std::vector<double> original, suppressed, original_awd, suppressed_awd, stiff(3, 0.0);
  if (world.rank() == 0) {
    const auto result = stats::suppression_experiment(eig, suppression_options(config));
    original = result.original.eigvals, suppressed = result.suppressed.eigvals;
    original_awd = result.original.awd_diagonal, suppressed_awd = result.suppressed.awd_diagonal;
    stiff = {static_cast<double>(result.stiff_samples), result.threshold, result.stiff_leading_mean};
  }
  for (auto* values : {&original, &suppressed, &original_awd, &suppressed_awd, &stiff}) broadcast(*values, world);
  const std::string s = group + "/suppression";
  file.create_groups(s);
  file.write_replicated(s + "/original_spectrum", original);
  file.write_replicated(s + "/suppressed_spectrum", suppressed);
  file.write_replicated(s + "/original_awd_diagonal", original_awd);
  file.write_replicated(s + "/suppressed_awd_diagonal", suppressed_awd);
  for (const char* name : {"/original_spectrum", "/suppressed_spectrum"}) file.write_attribute(s + name, "units", "loss/parameter^2");
  for (const char* name : {"/original_awd_diagonal", "/suppressed_awd_diagonal"})
    file.write_attribute(s + name, "units", "loss^2/parameter^4");
  file.write_attribute(s, "stiff_samples", static_cast<std::int64_t>(stiff[0]));
  file.write_attribute(s, "threshold", stiff[1]);
  file.write_attribute(s, "stiff_leading_mean", stiff[2]);
  const index window = std::min<index>(frame.columns, static_cast<index>(original.size()));
  const auto fit_original = stats::fit_power_law(original, original_awd, 0, window);
  const auto fit_suppressed = stats::fit_power_law(suppressed, suppressed_awd, 0, window);
  write_fit(file, s, "gamma_original", fit_original);
  write_fit(file, s, "gamma_suppressed", fit_suppressed);
  log.info(format("  suppression: %.0f stiff samples; gamma_AWD %.4f -> %.4f (top %.0f of the rebuilt spectra)", stiff[0],
                  fit_original.exponent, fit_suppressed.exponent, static_cast<double>(window)));
}

}  // namespace

Headline align_analysis(io::ParallelH5File& file, const std::string& group, const RunSetup& run,
                        const train::Checkpoint& point, const comm::Communicator& world, const core::Logger& log,
                        const StopRequest& stop) {
  const auto& config = run.config;
  const nn::ParamSubset subset = subset_of(run, "eig.blocks");
  nn::DatasetEvaluator products = shard_evaluator(run, world, config.get_int("eig.batch_size"));
  operators::CurvatureOperator hessian(products, world, subset, {operators::OperatorKind::hessian, true, {}},
                                       point.params);
  log.info("step " + std::to_string(point.step) + ": top " + std::to_string(config.get_int("eig.nev")) +
           " Hessian eigenpairs of " + std::to_string(subset.size()) + " parameters, " +
           std::to_string(products.global_count()) + " samples");
  const auto eigen = extract(hessian, config, spectral::Which::largest, log, stop);
  report("largest", eigen, log);
  file.create_groups(group);
  file.write_attribute(group, "step", static_cast<std::int64_t>(point.step));
  file.write_attribute(group, "seed", static_cast<std::int64_t>(config.get_int("seed")));
  file.create_groups(group + "/eig/hessian");
  write_solver_options(file, group + "/eig/hessian", config);
  write_end(file, group + "/eig/hessian/largest", eigen, hessian, config.get_bool("eig.vectors"));
  HC_CHECK(eigen.values.size() >= 2, core::Error,
           "only " + std::to_string(eigen.values.size()) + " eigenpairs converged: raise eig.max_it or lower eig.nev");
  if (config.get_bool("align.ggn")) {
    throw_if_stopped(stop, "the Gauss-Newton eigensolve");
    operators::CurvatureOperator ggn(products, world, subset, {operators::OperatorKind::gauss_newton, true, {}}, point.params);
    const auto ggn_eigen = extract(ggn, config, spectral::Which::largest, log, stop);
    report("GGN largest", ggn_eigen, log);
    write_end(file, group + "/eig/ggn/largest", ggn_eigen, ggn, false);
  }
  throw_if_stopped(stop, "the projection of C onto the eigenbasis");
  const stats::Frame frame = frame_of(eigen, subset.size());
  nn::DatasetEvaluator evaluator = shard_evaluator(run, world, config.get_int("align.batch_size"));
  evaluator.set_parameters(point.params);
  const auto options = alignment_options(config, evaluator.global_count(), run.model->out_features());
  const auto result = stats::analyse_alignment(evaluator, subset, frame, eigen.values, options,
                                               [&](const std::string& line) { log.info("  " + line); });
  write_alignment(file, group, result, options);
  log.info("step " + std::to_string(point.step) + ", k = " + std::to_string(result.k) + ":");
  summarize(result, log);
  throw_if_stopped(stop, "the per-sample spectra");
  per_sample_stage(file, group, run, point, subset, frame, options, world, log);
  return headline_of(result);
}

namespace {

void alignment_analysis(const RunSetup& run, const train::Checkpoint& trained, const comm::Communicator& world,
                        const core::Logger& log) {
  const auto& config = run.config;
  check_align_config(config);
  std::vector<train::Checkpoint> points;
  for (const auto& path : config.get_string_list("align.checkpoints"))
    points.push_back(checkpoint_of(run, path, "align.checkpoints"));
  if (points.empty()) points.push_back(trained);
  const std::string output = config.get_string("align.output");
  io::ParallelH5File file = create_archive(output, "hesscov-align-1", config, world);
  for (const auto& point : points)
    (void)align_analysis(file, "/align/step_" + std::to_string(point.step), run, point, world, log, {});
  file.close();
  log.info("wrote " + output + "; done in " + core::format_seconds(log.elapsed()));
}

}  // namespace

void add_align_keys(core::Schema& schema) {
  add_eig_keys(schema);
  schema.add_string_list("align.checkpoints", {}, "checkpoint files to analyse ([]: the point after training)");
  schema.add_int("align.batch_size", 500, "samples per batch of per-sample work (bounds memory: batch x block)", {.min = 1});
  schema.add_int("align.chunk", 64, "eigenvector columns gathered at a time", {.min = 1});
  schema.add_choice("align.covariance", "centered", {"centered", "uncentered"}, "C with or without the mean term");
  schema.add_int("align.minibatch", 0, "scale C to minibatches of this size S (0: C itself)", {.min = 0});
  schema.add_bool("align.replacement", false, "minibatch scaling for sampling with replacement (C/S)");
  schema.add_int("align.baselines", 1, "Haar-random frames projected like the eigenbasis", {.min = 0});
  schema.add_int("align.fit_skip", 0, "eigenpairs skipped before the power-law fit window", {.min = 0});
  schema.add_int("align.fit_count", 0, "eigenpairs in the power-law fit window (0: all after fit_skip)", {.min = 0});
  schema.add_int_list("align.bands", {1, 10, 100}, "row-band edges of the arrowhead profile (clipped to k)");
  schema.add_bool("align.awd", true, "the AWD matrix (1/N) sum_n V^T H_n^2 V from per-sample Hessians");
  schema.add_int("align.awd_rank", 0, "probe directions per sample Hessian (0: outputs + 2)", {.min = 0});
  schema.add_int("align.trace_dense_limit", 4096, "exact tr(C^2) from the dense block covariance up to this size",
                 {.min = 0});
  schema.add_int("align.trace_probes", 100, "Hutchinson probes for tr(C^2) above the dense limit", {.min = 2});
  schema.add_int("align.cosine_probes", 10, "probes of tr(HC), tr(H^2) for the cosine similarity (0: skip)", {.min = 0});
  schema.add_int("align.per_sample", 0, "samples (the first of the training set) whose Hessian spectra are decomposed",
                 {.min = 0});
  schema.add_choice("align.per_sample_method", "lowrank", {"lowrank", "dense"},
                    "per-sample eigendecomposition: verified low-rank probes, or dense assembly (small blocks)");
  schema.add_bool("align.suppression", false, "the suppression experiment on the per-sample decompositions");
  schema.add_double("align.suppression_threshold", 0.05, "stiff: leading eigenvalue above this fraction of the largest",
                    {.min = 0.0, .max = 1.0});
  schema.add_double("align.stiff_tail_factor", 0.1, "factor on the tail eigenvalues of stiff samples", {.min = 0.0});
  schema.add_double("align.soft_leading_factor", 0.1, "factor on the leading eigenvalue of other samples", {.min = 0.0});
  schema.add_double("align.soft_tail_factor", 0.1, "factor on the tail eigenvalues of other samples", {.min = 0.0});
  schema.add_bool("align.ggn", false, "the top eig.nev Gauss-Newton eigenvalues beside the Hessian's");
  schema.add_string("align.output", "results/align.h5", "HDF5 file of the results");
}

int align_job(const std::vector<std::string>& args) {
  return run_trained("align", args, alignment_analysis, add_align_keys);
}

}  // namespace hesscov::apps
