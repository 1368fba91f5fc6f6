#include "bench/scaling_bench.hpp"

#include <mpi.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <optional>

#include "backend/backend.hpp"
#include "bench/bench_model.hpp"
#include "bench/command_line.hpp"
#include "bench/record.hpp"
#include "bench/timing.hpp"
#include "comm/communicator.hpp"
#include "core/error.hpp"
#include "nn/dataset_evaluator.hpp"

namespace hesscov::bench {
namespace {

constexpr const char* kHelpHead =
    "usage: hesscov bench scaling [options]\n"
    "\n"
    "Strong scaling (--samples fixed in total) or weak scaling (--weak: --samples per rank) of the\n"
    "gradient and H v over the synthetic data set of `bench products`. For each rank count r of\n"
    "--ranks, the first r ranks time the products over their shards (best and median of --repeat,\n"
    "slowest rank) while the others wait; speedup S = t(r0)/t(r) and efficiency S r0/r (strong) or\n"
    "t(r0)/t(r) (weak), r0 the smallest count. Set OPENBLAS_NUM_THREADS=1 so that ranks, not BLAS\n"
    "threads, share the cores.\n"
    "\n"
    "options (--name value or --name=value):\n";
constexpr const char* kHelpTail =
    "  --samples N       samples in total (strong) or per rank (weak) (default 20000)\n"
    "  --weak            weak scaling\n"
    "  --ranks R1,R2     rank counts, each at most the ranks of the run (default 1, 2, 4, ... and all)\n"
    "  --products P      grad, hvp or both (default grad,hvp)\n"
    "  --batch B         samples per batch on each rank (default 5000 for mlp, 250 for cnn/lenet)\n"
    "  --repeat R        timed repetitions (default 3)\n"
    "  --device D        cpu or cuda (default cpu; rank i uses device i mod the devices visible)\n"
    "  --loss L          cross_entropy, mse or softmax_mse (default cross_entropy)\n"
    "  --record PATH     also write the record PATH (HDF5) and its .json twin\n"
    "  --json            print the record as one JSON object instead of the table\n"
    "\n"
    "examples:\n"
    "  OPENBLAS_NUM_THREADS=1 mpirun -np 4 hesscov bench scaling --samples 20000\n"
    "  OPENBLAS_NUM_THREADS=1 mpirun -np 4 hesscov bench scaling --weak --samples 5000 --record weak.h5\n";

struct Options {
  ModelSpec model;
  index samples = 20000;
  bool weak = false;
  std::vector<index> ranks;
  std::vector<std::string> products{"grad", "hvp"};
  std::optional<index> batch;
  index repeat = 3;
  std::string device = "cpu";
  std::string loss = "cross_entropy";
  std::string record;
  bool json = false;
};

Options parse_options(const std::vector<std::string>& words, int world) {
  const auto parsed = parse_command_line(words, {.valued = {"--model", "--samples", "--ranks", "--products", "--batch",
                                                            "--repeat", "--device", "--loss", "--record"},
                                                 .flags = {"--weak", "--json"}});
  Options options;
  if (const auto model = parsed.value("--model")) options.model = parse_model(*model);
  options.samples = parsed.positive("--samples", options.samples);
  options.weak = parsed.flag("--weak");
  options.ranks = rank_counts(parsed, world);
  if (const auto products = parsed.value("--products")) options.products = split_list("--products", *products);
  for (const auto& product : options.products)
    if (product != "grad" && product != "hvp")
      throw UsageError{"option --products expects grad, hvp or grad,hvp, got '" + product + "'"};
  if (parsed.value("--batch")) options.batch = parsed.positive("--batch", 1);
  options.repeat = parsed.positive("--repeat", options.repeat);
  options.device = parsed.choice("--device", {"cpu", "cuda"}, options.device);
  options.loss = parsed.choice("--loss", {"cross_entropy", "mse", "softmax_mse"}, options.loss);
  options.record = parsed.value("--record").value_or("");
  options.json = parsed.flag("--json");
  return options;
}

/// Best and median seconds of each product on the communicator `group` (its samples: `total`).
std::vector<Timing> time_group(const Options& options, const comm::Communicator& group, index total) {
  const int devices = options.device == "cuda" ? std::max(1, backend::cuda_device_count()) : 1;
  int world_rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
  const auto backend = backend::make_backend(options.device, world_rank % devices);
  const auto model = build_model(backend, options.model, options.loss);
  const comm::Range range = comm::block_partition(total, group.rank(), group.size());
  std::vector<double> inputs, targets;
  synthetic_shard(model->in_features(), model->out_features(), range, inputs, targets);
  const index largest = (total + group.size() - 1) / group.size();
  nn::DatasetEvaluator evaluator(*model, group, inputs, targets, std::min(options.batch.value_or(default_batch(options.model)), largest));
  evaluator.set_parameters(model->initial_parameters(1));
  const auto all = nn::ParamSubset::all(model->layout());
  const auto direction = bench_direction(all.size());
  std::vector<Timing> timings;
  for (const auto& product : options.products)
    timings.push_back(time_collective(group, nullptr, options.repeat, [&] {
      return product == "grad" ? evaluator.gradient(all).front()
                               : evaluator.curvature_product(all, nn::Curvature::hessian, direction).front();
    }));
  return timings;
}

void print_table(const Options& options, const Record& record) {
  std::printf("hesscov bench scaling: %s scaling of %s, %lld samples %s\n\n", options.weak ? "weak" : "strong",
              options.model.text.c_str(), static_cast<long long>(options.samples), options.weak ? "per rank" : "in total");
  std::printf("%-8s %6s %10s %10s %10s %9s %10s\n", "product", "ranks", "samples", "best s", "median s", "speedup",
              "efficiency");
  for (const auto& row : record.rows)
    std::printf("%-8s %6.0f %10.0f %10.4g %10.4g %9.3f %10.3f\n", text_of(row.values, "product").c_str(),
                number_of(row.values, "ranks"), number_of(row.values, "samples"), number_of(row.values, "best_s"),
                number_of(row.values, "median_s"), number_of(row.values, "speedup"), number_of(row.values, "efficiency"));
}

}  // namespace

const char* scaling_help() {
  static const std::string help = std::string(kHelpHead) + kModelHelp + kHelpTail;
  return help.c_str();
}

int scaling_bench(const std::vector<std::string>& words) {
  const comm::Communicator world = comm::Communicator::borrow(MPI_COMM_WORLD);
  const Options options = parse_options(words, world.size());
  (void)build_model(backend::make_cpu_backend(), options.model, options.loss);  // a bad --model fails on every rank alike
  // best, median per (rank count, product); rank 0 is in every group, and its numbers go to all.
  const size_t products = options.products.size();
  std::vector<double> seconds(2 * products * options.ranks.size(), 0.0);
  for (size_t i = 0; i < options.ranks.size(); ++i) {
    const index r = options.ranks[i];
    const bool member = world.rank() < r;
    const comm::Communicator group = world.split(member ? 0 : 1, world.rank());
    const index total = options.weak ? options.samples * r : options.samples;
    if (member) {
      const auto timings = time_group(options, group, total);
      for (size_t p = 0; p < products; ++p) {
        seconds[2 * (i * products + p)] = timings[p].best;
        seconds[2 * (i * products + p) + 1] = timings[p].median;
      }
    }
    world.barrier();
  }
  HC_MPI(MPI_Bcast(seconds.data(), static_cast<int>(seconds.size()), MPI_DOUBLE, 0, world.get()));
  Record record{"scaling", bench_command("scaling", words),
                {{"model", options.model.text},
                 {"mode", std::string(options.weak ? "weak" : "strong")},
                 {"samples", static_cast<std::int64_t>(options.samples)},
                 {"device", options.device},
                 {"loss", options.loss},
                 {"repeat", static_cast<std::int64_t>(options.repeat)},
                 {"baseline_ranks", static_cast<std::int64_t>(options.ranks.front())}},
                {}};
  const double r0 = static_cast<double>(options.ranks.front());
  for (size_t p = 0; p < products; ++p)
    for (size_t i = 0; i < options.ranks.size(); ++i) {
      const double r = static_cast<double>(options.ranks[i]);
      const double t = seconds[2 * (i * products + p)], t0 = seconds[2 * p];
      const double efficiency = options.weak ? t0 / t : t0 * r0 / (t * r);
      record.rows.push_back({options.products[p] + "_r" + std::to_string(options.ranks[i]),
                             {{"product", options.products[p]},
                              {"ranks", static_cast<std::int64_t>(options.ranks[i])},
                              {"samples", static_cast<std::int64_t>(options.weak ? options.samples * options.ranks[i]
                                                                                 : options.samples)},
                              {"best_s", t},
                              {"median_s", seconds[2 * (i * products + p) + 1]},
                              {"speedup", efficiency * r / r0},
                              {"efficiency", efficiency}}});
    }
  if (!options.record.empty()) write_record(record, options.record, world);
  const io::Attributes environment = record_environment(world);
  if (world.rank() == 0) {
    if (options.json)
      std::printf("%s\n", record_json(record, environment).c_str());
    else
      print_table(options, record);
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace hesscov::bench
