// `hesscov eig CONFIG.yaml`: eigenpairs of H, the GGN or C (full space or parameter blocks) at the
// trained point (or a checkpoint), by SLEPc or by the dense LAPACK path, written to HDF5.
#include <mpi.h>

#include <chrono>
#include <cstdio>

#include "apps/analyses.hpp"
#include "apps/commands.hpp"
#include "apps/eig_stage.hpp"
#include "apps/run_setup.hpp"
#include "data/dataset.hpp"
#include "core/build_config.hpp"
#include "io/parallel_h5.hpp"
#include "operators/curvature_operator.hpp"
#include "operators/petsc_check.hpp"
#include "spectral/eigen_solver.hpp"
#include "spectral/slq.hpp"
#include "spectral/trace.hpp"
#include "io/h5_file.hpp"
#include "train/checkpoint.hpp"

namespace hesscov::apps {
namespace {

/// Hutch++ trace and the SLQ spectral density, when asked for.
void write_trace_and_density(io::ParallelH5File& file, const std::string& group, operators::CurvatureOperator& op,
                             const core::Config& config, const core::Logger& log) {
  const auto seed = static_cast<std::uint64_t>(config.get_int("seed"));
  if (const index products = config.get_int("eig.trace_probes"); products > 0) {
    const auto trace = spectral::hutch_plus_plus(op.mat(), products, seed);
    char line[160];
    std::snprintf(line, sizeof line, "trace (Hutch++, %lld products) = %.8e +- %.2e",
                  static_cast<long long>(trace.products), trace.value, trace.standard_error);
    log.info(line);
    file.create_groups(group + "/trace");
    file.write_attribute(group + "/trace", "value", trace.value);
    file.write_attribute(group + "/trace", "standard_error", trace.standard_error);
    file.write_attribute(group + "/trace", "products", static_cast<std::int64_t>(trace.products));
  }
  if (const index probes = config.get_int("eig.slq_probes"); probes > 0) {
    const auto density = spectral::slq(op.mat(), probes, config.get_int("eig.slq_steps"), seed);
    std::vector<double> nodes, weights;
    for (const auto& rule : density.rules) {
      nodes.insert(nodes.end(), rule.nodes.begin(), rule.nodes.end());
      weights.insert(weights.end(), rule.weights.begin(), rule.weights.end());
    }
    log.info("SLQ: " + std::to_string(probes) + " probes, " + std::to_string(density.products) + " products");
    file.create_groups(group + "/slq");
    file.write_replicated(group + "/slq/nodes", nodes);
    file.write_replicated(group + "/slq/weights", weights);
    file.write_attribute(group + "/slq", "probes", static_cast<std::int64_t>(probes));
    file.write_attribute(group + "/slq", "dimension", static_cast<std::int64_t>(op.size()));
  }
}

/// The point `hesscov eig` analyses: eig.checkpoint's, or the trained one.
void eig_command(const RunSetup& run, const train::Checkpoint& trained, const comm::Communicator& world,
                 const core::Logger& log) {
  const auto& config = run.config;
  const train::Checkpoint point = config.get_string("eig.checkpoint").empty()
                                      ? trained
                                      : checkpoint_of(run, config.get_string("eig.checkpoint"), "eig.checkpoint");
  const std::string output = config.get_string("eig.output");
  io::ParallelH5File file = create_archive(output, "hesscov-eig-1", config, world);
  file.write_attribute("/", "step", static_cast<std::int64_t>(point.step));
  (void)eig_analysis(file, "/eig", run, point, world, log, {});
  file.close();
  log.info("wrote " + output + "; done in " + core::format_seconds(log.elapsed()));
}

}  // namespace

Headline eig_analysis(io::ParallelH5File& file, const std::string& root, const RunSetup& run,
                      const train::Checkpoint& point, const comm::Communicator& world, const core::Logger& log,
                      const StopRequest& stop) {
  const auto& config = run.config;
  const nn::ParamSubset subset = subset_of(run, "eig.blocks");
  nn::DatasetEvaluator evaluator = shard_evaluator(run, world, config.get_int("eig.batch_size"));
  const operators::OperatorSpec spec{operators::parse_operator_kind(config.get_string("eig.operator")),
                                     config.get_string("eig.covariance") == "centered",
                                     {config.get_int("eig.minibatch"), config.get_bool("eig.replacement")}};
  operators::CurvatureOperator op(evaluator, world, subset, spec, point.params);
  log.info("operator " + config.get_string("eig.operator") + " on " + std::to_string(op.size()) +
           " parameters at step " + std::to_string(point.step) + ", " + std::to_string(evaluator.global_count()) +
           " samples");
  const std::string which = config.get_string("eig.which");
  const std::string group = root + "/" + config.get_string("eig.operator");
  file.create_groups(group);
  write_solver_options(file, group, config);
  file.write_attribute(group, "seed", static_cast<std::int64_t>(config.get_int("seed")));
  Headline headline;
  for (const auto end : {spectral::Which::largest, spectral::Which::smallest}) {
    const std::string name = end == spectral::Which::largest ? "largest" : "smallest";
    if (which != "both" && which != name) continue;
    const index before = op.products();
    const double product_seconds = op.product_seconds();
    const auto result = extract(op, config, end, log, stop);
    report(name, result, log);
    log.info("  " + std::to_string(op.products() - before) + " products, " +
             core::format_seconds(op.product_seconds() - product_seconds) + " in products");
    write_end(file, group + "/" + name, result, op, config.get_bool("eig.vectors"));
    file.write_attribute(group + "/" + name, "products", static_cast<std::int64_t>(op.products() - before));
    file.write_attribute(group + "/" + name, "product_seconds", op.product_seconds() - product_seconds);
    headline.emplace_back("eig." + name + ".converged", static_cast<double>(result.values.size()));
    if (!result.values.empty()) headline.emplace_back("eig." + name + ".lambda_1", result.values.front());
  }
  throw_if_stopped(stop, "the trace and density estimates");
  write_trace_and_density(file, group, op, config, log);
  return headline;
}

int eig_job(const std::vector<std::string>& args) {
  return run_trained("eig", args, eig_command, add_align_keys);
}

}  // namespace hesscov::apps
