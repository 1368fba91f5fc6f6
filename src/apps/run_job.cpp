// `hesscov run CONFIG.yaml`: load the data, build the model at its initial point, and report the
// loss, the gradient and exact curvature and noise products over the whole (sharded) data set.
#include <mpi.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "apps/commands.hpp"
#include "apps/eig_stage.hpp"
#include "apps/run_setup.hpp"
#include "backend/backend.hpp"
#include "comm/communicator.hpp"
#include "core/config.hpp"
#include "core/log.hpp"
#include "core/rng.hpp"
#include "nn/dataset_evaluator.hpp"

namespace hesscov::apps {
namespace {

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double sum = 0.0;
  for (size_t i = 0; i < a.size(); ++i) sum += a[i] * b[i];
  return sum;
}

std::vector<double> unit_direction(std::uint64_t seed, const std::string& stream, index size) {
  const core::CounterRng rng(seed, stream);
  std::vector<double> v(static_cast<size_t>(size));
  for (index i = 0; i < size; ++i) v[static_cast<size_t>(i)] = rng.normal(static_cast<std::uint64_t>(i));
  const double length = std::sqrt(dot(v, v));
  for (auto& x : v) x /= length;
  return v;
}

/// Times one collective product; the duration is the slowest rank's.
template <class Product>
std::vector<double> timed(const comm::Communicator& comm, double& seconds, Product product) {
  comm.barrier();
  const auto start = std::chrono::steady_clock::now();
  std::vector<double> result = product();
  seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  HC_MPI(MPI_Allreduce(MPI_IN_PLACE, &seconds, 1, MPI_DOUBLE, MPI_MAX, comm.get()));
  return result;
}

std::string format(const char* pattern, double a, double b = 0.0, const std::string& c = "") {
  char text[256];
  std::snprintf(text, sizeof text, pattern, a, b, c.c_str());
  return text;
}

/// Rayleigh quotients u.Hu, u.Gu, u.Cu for a random unit direction and for the normalised
/// gradient, in the coordinates of `subset`.
void probe_subspace(nn::DatasetEvaluator& evaluator, const nn::ParamSubset& subset, const std::string& label,
                    std::uint64_t seed, const comm::Communicator& comm, const core::Logger& log) {
  log.info(label + " (" + std::to_string(subset.size()) + " parameters):");
  double seconds = 0.0;
  const std::vector<double> gradient = timed(comm, seconds, [&] { return evaluator.gradient(subset); });
  const double gradient_norm = std::sqrt(dot(gradient, gradient));
  log.info(format("  gradient norm ||g|| = %.6e   (%s)", gradient_norm, 0, core::format_seconds(seconds)));
  std::vector<std::pair<std::string, std::vector<double>>> directions = {
      {"random unit v", unit_direction(seed, "probe/" + label, subset.size())}};
  if (gradient_norm > 0.0) {
    std::vector<double> u = gradient;
    for (auto& x : u) x /= gradient_norm;
    directions.emplace_back("v = g/||g||", u);
  }
  for (const auto& [name, v] : directions) {
    double t_h = 0, t_g = 0, t_c = 0;
    const auto hv = timed(comm, t_h, [&] { return evaluator.curvature_product(subset, nn::Curvature::hessian, v); });
    const auto gv = timed(comm, t_g, [&] { return evaluator.curvature_product(subset, nn::Curvature::gauss_newton, v); });
    const auto cv = timed(comm, t_c, [&] { return evaluator.covariance_product(subset, v, true); });
    log.info("  " + name + ":");
    log.info(format("    v.Hv = %+.6e   ||Hv|| = %.6e", dot(v, hv), std::sqrt(dot(hv, hv))) +
             "   (H v: " + core::format_seconds(t_h) + ")");
    log.info(format("    v.Gv = %+.6e   ||Gv|| = %.6e", dot(v, gv), std::sqrt(dot(gv, gv))) +
             "   (G v: " + core::format_seconds(t_g) + ")");
    log.info(format("    v.Cv = %+.6e   ||Cv|| = %.6e", dot(v, cv), std::sqrt(dot(cv, cv))) +
             "   (C v, centered: " + core::format_seconds(t_c) + ")");
  }
}

void probe(const RunSetup& run, const train::Checkpoint& point, const comm::Communicator& world,
           const core::Logger& log) {
  nn::DatasetEvaluator evaluator = shard_evaluator(run, world, run.config.get_int("probe.batch_size"));
  evaluator.set_parameters(point.params);
  log.info("probing the point after step " + std::to_string(point.step) + " (" + point.status + ")");
  log.info(format("mean loss L = %.10f   accuracy %.4f", evaluator.mean_loss(), evaluator.accuracy()));
  probe_subspace(evaluator, nn::ParamSubset::all(run.model->layout()), "full space", run.seed, world, log);
  const auto blocks = run.config.get_string_list("probe.blocks");
  if (!blocks.empty()) {
    std::string label;
    for (const auto& name : blocks) label += (label.empty() ? "" : "+") + name;
    nn::ParamSubset subset = nn::ParamSubset::all(run.model->layout());
    try {
      subset = nn::ParamSubset::of(run.model->layout(), blocks);
    } catch (const core::Error& error) {
      throw run.config.error("probe.blocks", std::string("names of parameter blocks (") + error.what() + ")");
    }
    probe_subspace(evaluator, subset, "block " + label, run.seed, world, log);
  }
  log.info("done in " + core::format_seconds(log.elapsed()));
}

void report_training(const RunSetup&, const train::Checkpoint& final_state, const comm::Communicator&,
                     const core::Logger& log) {
  log.info("training " + final_state.status + " after " + std::to_string(final_state.step) + " steps in " +
           core::format_seconds(log.elapsed()));
}

}  // namespace

int run_job(const std::vector<std::string>& args) { return run_trained("run", args, probe, add_align_keys); }

int train_job(const std::vector<std::string>& args) { return run_trained("train", args, report_training, add_align_keys); }

}  // namespace hesscov::apps
