// `hesscov run CONFIG.yaml`: load the data, build the model at its initial point, and report the
// loss, the gradient and exact curvature and noise products over the whole (sharded) data set.
#include <mpi.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "apps/build_info.hpp"
#include "apps/commands.hpp"
#include "backend/backend.hpp"
#include "comm/communicator.hpp"
#include "core/config.hpp"
#include "core/log.hpp"
#include "core/rng.hpp"
#include "data/data_config.hpp"
#include "nn/dataset_evaluator.hpp"
#include "nn/model_config.hpp"

namespace hesscov::apps {
namespace {

core::Schema run_schema() {
  core::Schema schema;
  schema.add_int("seed", 1, "root seed: initial parameters (stream init/<block>) and probe directions", {.min = 0});
  schema.add_choice("device", "cpu", {"cpu", "cuda"}, "backend for the products (cuda: one GPU per rank, by local rank)");
  data::add_data_keys(schema);
  nn::add_model_keys(schema);
  schema.add_int("probe.batch_size", 1000, "samples per batch in every product (bounds memory)", {.min = 1});
  schema.add_string_list("probe.blocks", {"fc2.weight"},
                         "parameter blocks for the restricted products (all together form one subspace); [] skips them");
  return schema;
}

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

}  // namespace

int run_job(const std::vector<std::string>& args) {
  const core::Schema schema = run_schema();
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::printf("usage: hesscov run CONFIG.yaml [key=value ...]\n\nconfig keys:\n%s", schema.help().c_str());
    return 0;
  }
  if (args.empty() || args[0].find('=') != std::string::npos) {
    std::fprintf(stderr, "usage: hesscov run CONFIG.yaml [key=value ...]   (hesscov run --help lists the keys)\n");
    return 2;
  }
  core::Config config = core::Config::load_file(args[0], schema);
  for (size_t i = 1; i < args.size(); ++i) config.set_override(args[i]);

  const comm::Communicator world = comm::Communicator::borrow(MPI_COMM_WORLD);
  const core::Logger log(world.rank());
  log.info(version_line() + ", " + std::to_string(world.size()) + " MPI rank(s)");
  log.info("config " + config.file() + ", effective values:\n" + config.to_yaml());

  const data::Dataset dataset = data::load_dataset(config);
  const auto shard = comm::block_partition(dataset.count, world.rank(), world.size());
  log.info("data: " + dataset.name + ", samples: " + std::to_string(dataset.count) + ", features: " +
           std::to_string(dataset.features) + ", classes: " + std::to_string(dataset.num_classes) +
           ", about " + std::to_string(shard.size()) + " per rank");

  const int device = 0;  // one GPU per rank is chosen by the launcher (CUDA_VISIBLE_DEVICES)
  const auto backend = backend::make_backend(config.get_string("device"), device);
  const auto model = nn::make_model(backend, config, {dataset.channels, dataset.height, dataset.width}, dataset.num_classes);
  log.info("model on " + backend->name() + ", parameters: " + std::to_string(model->num_params()) + "\n" + model->summary());

  const std::vector<double> targets = data::targets_of(dataset);
  nn::DatasetEvaluator evaluator(*model, world, data::rows(dataset.inputs, dataset.features, shard.begin, shard.end),
                                 data::rows(targets, dataset.num_classes, shard.begin, shard.end),
                                 config.get_int("probe.batch_size"));
  const auto seed = static_cast<std::uint64_t>(config.get_int("seed"));
  evaluator.set_parameters(model->initial_parameters(seed));
  log.info(format("mean loss L = %.10f", evaluator.mean_loss()));

  probe_subspace(evaluator, nn::ParamSubset::all(model->layout()), "full space", seed, world, log);
  const auto blocks = config.get_string_list("probe.blocks");
  if (!blocks.empty()) {
    std::string label;
    for (const auto& name : blocks) label += (label.empty() ? "" : "+") + name;
    try {
      probe_subspace(evaluator, nn::ParamSubset::of(model->layout(), blocks), "block " + label, seed, world, log);
    } catch (const core::ConfigError&) {
      throw;
    } catch (const core::Error& error) {
      throw config.error("probe.blocks", std::string("names of parameter blocks (") + error.what() + ")");
    }
  }
  log.info("done in " + core::format_seconds(log.elapsed()));
  return 0;
}

}  // namespace hesscov::apps
