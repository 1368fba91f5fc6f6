#include "bench/product_bench.hpp"

#include <mpi.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "backend/backend.hpp"
#include "bench/bench_model.hpp"
#include "bench/command_line.hpp"
#include "bench/counting_backend.hpp"
#include "bench/record.hpp"
#include "bench/roofline.hpp"
#include "bench/timing.hpp"
#include "comm/communicator.hpp"
#include "core/error.hpp"
#include "nn/dataset_evaluator.hpp"

namespace hesscov::bench {
namespace {

constexpr const char* kHelpHead =
    "usage: hesscov bench products [options]\n"
    "\n"
    "Times the products of the mean loss over a synthetic data set (Gaussian inputs, random one-hot\n"
    "targets, fixed seed) sharded over the MPI ranks: gradient, H v (R-operator), GGN v, centered\n"
    "C v and per-sample J v, and blocks of K H v products. Each gets one warm-up and --repeat timed\n"
    "runs (barrier before, slowest rank counts); reported: best and median seconds per product over\n"
    "the whole sample set, GEMM FLOPs and GEMM bytes per product (summed over every GEMM and rank),\n"
    "the ratios to the gradient, and for the gradient, H v and GGN v the split into compute (this\n"
    "rank's partial sums), communication (the allreduce of P doubles) and host-device transfer (a\n"
    "copy of P doubles each way; 0 on the CPU). Roofline: arithmetic intensity FLOPs/bytes, the bound\n"
    "min(peak, intensity x bandwidth) of the machine (measured by a DGEMM and a copy kernel on every\n"
    "rank, or given) and the fraction of it reached.\n"
    "\n"
    "options (--name value or --name=value):\n";
constexpr const char* kHelpTail =
    "  --samples N       samples on all ranks together (default 20000)\n"
    "  --batch B         samples per batch on each rank (default 5000 for mlp, 250 for cnn/lenet;\n"
    "                    at most the samples of one rank)\n"
    "  --repeat R        timed repetitions per product (default 5)\n"
    "  --block K1,K2     blocks of K H v products timed as one, best of min(2, R) (default 8,64; 0: none)\n"
    "  --device D        cpu or cuda (default cpu)\n"
    "  --loss L          cross_entropy, mse or softmax_mse (default cross_entropy)\n"
    "  --peak-gflops F   the machine's peak GFLOP/s (all ranks; default: measured)\n"
    "  --peak-gbs B      the machine's memory bandwidth in GB/s (all ranks; default: measured)\n"
    "  --record PATH     also write the record PATH (HDF5) and its .json twin (docs/performance.md)\n"
    "  --json            print one JSON object on stdout instead of the table\n"
    "\n"
    "examples:\n"
    "  hesscov bench products --model mlp:784,50,50,10 --samples 20000\n"
    "  OPENBLAS_NUM_THREADS=1 mpirun -np 2 hesscov bench products --json --record results/bench/products.h5\n";

struct Options {
  ModelSpec model;
  index samples = 20000;
  std::optional<index> batch;
  index repeat = 5;
  std::vector<index> blocks{8, 64};
  std::string device = "cpu";
  std::string loss = "cross_entropy";
  std::optional<double> peak_gflops, peak_gbs;
  std::string record;
  bool json = false;
};

Options parse_options(const std::vector<std::string>& words) {
  const auto parsed = parse_command_line(
      words, {.valued = {"--model", "--samples", "--batch", "--repeat", "--block", "--device", "--loss", "--peak-gflops",
                         "--peak-gbs", "--record"},
              .flags = {"--json"}});
  Options options;
  if (const auto model = parsed.value("--model")) options.model = parse_model(*model);
  options.samples = parsed.positive("--samples", options.samples);
  if (parsed.value("--batch")) options.batch = parsed.positive("--batch", 1);
  options.repeat = parsed.positive("--repeat", options.repeat);
  if (const auto blocks = parsed.value("--block")) options.blocks = *blocks == "0" ? std::vector<index>{} : parse_positive_list("--block", *blocks);
  options.device = parsed.choice("--device", {"cpu", "cuda"}, options.device);
  options.loss = parsed.choice("--loss", {"cross_entropy", "mse", "softmax_mse"}, options.loss);
  if (parsed.value("--peak-gflops")) options.peak_gflops = parsed.positive_real("--peak-gflops", 1.0);
  if (parsed.value("--peak-gbs")) options.peak_gbs = parsed.positive_real("--peak-gbs", 1.0);
  if (options.peak_gflops.has_value() != options.peak_gbs.has_value())
    throw UsageError{"options --peak-gflops and --peak-gbs go together (or neither: both are measured)"};
  options.record = parsed.value("--record").value_or("");
  options.json = parsed.flag("--json");
  return options;
}

/// One product's row: what it is, how long it took, the work it did, and where it sits on the roofline.
struct Row {
  std::string key;    // JSON prefix and record row name
  std::string label;  // table
  std::string what;
  Timing timing;
  index vectors = 1;  // products in one timed run (a block: K)
  double compute = std::nan(""), communication = std::nan(""), transfer = std::nan("");
};

/// Best seconds of `run` (collective), for the compute / communication / transfer split.
double best_of(const comm::Communicator& world, index repeat, const std::function<double()>& run) {
  return time_collective(world, nullptr, repeat, run).best;
}

/// The split of a product that ends in an allreduce of P doubles: its local part (the evaluator
/// with local reduction), the allreduce alone, and a host-device round trip of the P doubles.
void split(Row& row, nn::DatasetEvaluator& evaluator, const comm::Communicator& world, const backend::Backend& backend,
           index repeat, index size, const std::function<std::vector<double>()>& product) {
  evaluator.set_reduction(nn::DatasetEvaluator::Reduction::local);
  row.compute = best_of(world, repeat, [&] { return product().front(); });
  evaluator.set_reduction(nn::DatasetEvaluator::Reduction::allreduce);
  std::vector<double> sums(static_cast<size_t>(size), 1.0);
  row.communication = best_of(world, repeat, [&] {
    world.allreduce_sum(sums.data(), size);
    return sums.front();
  });
  row.transfer = 0.0;
  if (backend.is_device()) {
    const std::size_t bytes = static_cast<std::size_t>(size) * sizeof(double);
    void* device = backend.allocate(bytes);
    row.transfer = best_of(world, repeat, [&] {
      backend.copy_from_host(device, sums.data(), bytes);
      backend.copy_to_host(sums.data(), device, bytes);
      return sums.front();
    });
    backend.deallocate(device);
  }
}

io::Attributes row_values(const Row& row, const Roofline& roofline) {
  const Timing& t = row.timing;
  const double intensity = t.work.bytes > 0.0 ? t.work.flops / t.work.bytes : 0.0;
  const double rate = t.work.flops * 1e-9 / t.best, bound = roofline.bound_gflops(intensity);
  return {{"best_s", t.best},
          {"median_s", t.median},
          {"vectors", static_cast<std::int64_t>(row.vectors)},
          {"per_vector_s", t.best / static_cast<double>(row.vectors)},
          {"flops", t.work.flops},
          {"bytes", t.work.bytes},
          {"gflops_per_s", rate},
          {"gbytes_per_s", t.work.bytes * 1e-9 / t.best},
          {"intensity", intensity},
          {"bound_gflops", bound},
          {"fraction_of_bound", bound > 0.0 ? rate / bound : 0.0},
          {"compute_s", row.compute},
          {"communication_s", row.communication},
          {"transfer_s", row.transfer}};
}

Record make_record(const Options& options, const std::vector<std::string>& words, const nn::Model& model, index batch,
                   const Roofline& roofline, const std::vector<Row>& rows) {
  Record record{"products", bench_command("products", words),
                {{"model", options.model.text},
                 {"device", options.device},
                 {"loss", options.loss},
                 {"params", static_cast<std::int64_t>(model.num_params())},
                 {"samples", static_cast<std::int64_t>(options.samples)},
                 {"batch", static_cast<std::int64_t>(batch)},
                 {"repeat", static_cast<std::int64_t>(options.repeat)},
                 {"peak_gflops", roofline.peak_gflops},
                 {"bandwidth_gbs", roofline.bandwidth_gbs},
                 {"roofline_source", roofline.source}},
                {}};
  for (const auto& row : rows) record.rows.push_back({row.key, row_values(row, roofline)});
  return record;
}

void print_table(const Options& options, const nn::Model& model, index batch, int ranks, const Record& record,
                 const std::vector<Row>& rows) {
  std::printf("hesscov bench products: %s, %lld parameters, %s loss, %s\n", options.model.text.c_str(),
              static_cast<long long>(model.num_params()), options.loss.c_str(), model.backend().name().c_str());
  std::printf("%lld samples in batches of %lld per rank, %d rank(s), best and median of %lld\n",
              static_cast<long long>(options.samples), static_cast<long long>(batch), ranks,
              static_cast<long long>(options.repeat));
  const auto& p = record.parameters;
  std::printf("roofline (%s): %.4g GFLOP/s peak, %.4g GB/s\n\n", text_of(p, "roofline_source").c_str(),
              number_of(p, "peak_gflops"), number_of(p, "bandwidth_gbs"));
  std::printf("%-12s %-27s %10s %10s %10s %8s %6s %7s %9s %10s %10s\n", "product", "", "best s", "median s", "GFLOP",
              "GFLOP/s", "F/B", "% bound", "/ grad", "compute s", "allred. s");
  const double gradient = rows.front().timing.best;
  for (size_t r = 0; r < rows.size(); ++r) {
    const auto& row = rows[r];
    const auto& v = record.rows[r].values;
    std::printf("%-12s %-27s %10.4g %10.4g %10.4g %8.2f %6.2f %7.1f %9.2f %10.3g %10.3g\n", row.label.c_str(),
                row.what.c_str(), row.timing.best, row.timing.median, row.timing.work.flops * 1e-9,
                number_of(v, "gflops_per_s"), number_of(v, "intensity"), 100.0 * number_of(v, "fraction_of_bound"),
                row.timing.best / gradient, row.compute, row.communication);
  }
}

void print_json(const Options& options, const nn::Model& model, index batch, int ranks, int threads,
                const Record& record, const std::vector<Row>& rows) {
  std::printf("{\"model\":\"%s\",\"device\":\"%s\",\"loss\":\"%s\",\"params\":%lld,\"samples\":%lld,"
              "\"batch\":%lld,\"ranks\":%d,\"threads\":%d,\"repeat\":%lld",
              options.model.text.c_str(), options.device.c_str(), options.loss.c_str(),
              static_cast<long long>(model.num_params()), static_cast<long long>(options.samples),
              static_cast<long long>(batch), ranks, threads, static_cast<long long>(options.repeat));
  for (size_t r = 0; r < rows.size(); ++r) {
    const auto& row = rows[r];
    std::printf(",\"%s_s\":%.6g,\"%s_median_s\":%.6g,\"%s_flops\":%.6g,\"%s_gflops_per_s\":%.6g", row.key.c_str(),
                row.timing.best, row.key.c_str(), row.timing.median, row.key.c_str(), row.timing.work.flops,
                row.key.c_str(), row.timing.work.flops * 1e-9 / row.timing.best);
    for (const char* name : {"bytes", "intensity", "fraction_of_bound", "compute_s", "communication_s", "transfer_s"})
      if (const double value = number_of(record.rows[r].values, name); std::isfinite(value))
        std::printf(",\"%s_%s\":%.6g", row.key.c_str(), name, value);
  }
  const auto& p = record.parameters;
  std::printf(",\"peak_gflops\":%.6g,\"bandwidth_gbs\":%.6g,\"hvp_over_grad\":%.6g,\"cv_over_grad\":%.6g}\n",
              number_of(p, "peak_gflops"), number_of(p, "bandwidth_gbs"), rows[1].timing.best / rows[0].timing.best,
              rows[3].timing.best / rows[0].timing.best);
}

int run_products(const Options& options, const std::vector<std::string>& words) {
  const comm::Communicator world = comm::Communicator::borrow(MPI_COMM_WORLD);
  const auto counting = std::make_shared<CountingBackend>(backend::make_backend(options.device, 0));
  const std::unique_ptr<nn::Model> model = build_model(counting, options.model, options.loss);

  const comm::Range range = comm::block_partition(options.samples, world.rank(), world.size());
  const index largest_shard = (options.samples + world.size() - 1) / world.size();
  const index batch = std::min(options.batch.value_or(default_batch(options.model)), largest_shard);
  std::vector<double> inputs, targets;
  synthetic_shard(model->in_features(), model->out_features(), range, inputs, targets);
  nn::DatasetEvaluator evaluator(*model, world, inputs, targets, batch);
  inputs = {};  // the evaluator holds its own copy on the backend
  targets = {};
  evaluator.set_parameters(model->initial_parameters(1));

  const auto all = nn::ParamSubset::all(model->layout());
  const std::vector<double> direction = bench_direction(all.size());

  using nn::Curvature;
  std::vector<Row> rows{{"grad", "gradient", "(1/N) sum g_n", {}},
                        {"hvp", "H v", "Hessian, R-operator", {}},
                        {"ggn", "GGN v", "Gauss-Newton", {}},
                        {"cv", "C v", "centered noise covariance", {}},
                        {"jv", "J v", "g_n . v per sample (local)", {}}};
  const std::vector<std::function<std::vector<double>()>> products{
      [&] { return evaluator.gradient(all); },
      [&] { return evaluator.curvature_product(all, Curvature::hessian, direction); },
      [&] { return evaluator.curvature_product(all, Curvature::gauss_newton, direction); },
      [&] { return evaluator.covariance_product(all, direction, true); },
      [&] {
        auto jv = evaluator.local_jacobian_product(all, direction);
        return jv.empty() ? std::vector<double>{0.0} : jv;  // a rank may hold no samples
      }};
  for (size_t p = 0; p < rows.size(); ++p) {
    rows[p].timing = time_collective(world, counting.get(), options.repeat, [&] { return products[p]().front(); });
    if (p < 3) split(rows[p], evaluator, world, *counting, options.repeat, all.size(), products[p]);
  }
  for (const index k : options.blocks) {
    std::vector<std::vector<double>> block;
    for (index j = 0; j < k; ++j) block.push_back(bench_direction(all.size(), static_cast<std::uint64_t>(j + 1)));
    Row row{"hvp_block_" + std::to_string(k), "H V, K=" + std::to_string(k), "block of K Hessian products", {}};
    row.vectors = k;
    row.timing = time_collective(world, counting.get(), std::min<index>(2, options.repeat), [&] {
      double sum = 0.0;
      for (const auto& v : block) sum += evaluator.curvature_product(all, Curvature::hessian, v).front();
      return sum;
    });
    rows.push_back(row);
  }
  const Roofline roofline = options.peak_gflops ? Roofline{*options.peak_gflops, *options.peak_gbs, "given"}
                                                : measure_roofline(*counting, world);
  const Record record = make_record(options, words, *model, batch, roofline, rows);
  if (!options.record.empty()) write_record(record, options.record, world);
  if (world.rank() != 0) return 0;
  if (options.json)
    print_json(options, *model, batch, world.size(), blas_threads(), record, rows);
  else
    print_table(options, *model, batch, world.size(), record, rows);
  std::fflush(stdout);
  return 0;
}

}  // namespace

const char* products_help() {
  static const std::string help = std::string(kHelpHead) + kModelHelp + kHelpTail;
  return help.c_str();
}

int products_bench(const std::vector<std::string>& words) { return run_products(parse_options(words), words); }

}  // namespace hesscov::bench
