#include "bench/product_bench.hpp"

#include <dlfcn.h>
#include <mpi.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "backend/backend.hpp"
#include "bench/command_line.hpp"
#include "comm/communicator.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "nn/cnn.hpp"
#include "nn/dataset_evaluator.hpp"
#include "nn/mlp.hpp"

namespace hesscov::bench {
namespace {

using backend::Backend;
using backend::Transpose;

constexpr const char* kHelp =
    "usage: hesscov bench products [options]\n"
    "\n"
    "Times the products of the mean loss over a synthetic data set (Gaussian inputs, random one-hot\n"
    "targets, fixed seed) sharded over the MPI ranks: gradient, H v (R-operator), GGN v, centered\n"
    "C v and per-sample J v. Each gets one warm-up and --repeat timed runs (barrier before, slowest\n"
    "rank counts); reported: best and median seconds per product over the whole sample set, GEMM\n"
    "FLOPs per product (2mnk summed over every GEMM and rank) and the ratios to the gradient.\n"
    "\n"
    "options (--name value or --name=value):\n"
    "  --model SPEC      mlp:W0,W1,...,WK  MLP, no bias, ReLU (W0 inputs, WK classes)\n"
    "                    cnn:C,H,W         Study 1 CNN [32,M,64,M,128], adaptive 1, hidden [64], 10 classes\n"
    "                    lenet:C,H,W       Study 2 LeNet-5, 10 classes (H, W >= 16)\n"
    "                    default mlp:784,50,50,10\n"
    "  --samples N       samples on all ranks together (default 20000)\n"
    "  --batch B         samples per batch on each rank (default 5000 for mlp, 250 for cnn/lenet;\n"
    "                    at most the samples of one rank)\n"
    "  --repeat R        timed repetitions per product (default 5)\n"
    "  --device D        cpu or cuda (default cpu)\n"
    "  --loss L          cross_entropy, mse or softmax_mse (default cross_entropy)\n"
    "  --json            print one JSON object on stdout instead of the table\n"
    "\n"
    "examples:\n"
    "  hesscov bench products --model mlp:784,50,50,10 --samples 20000\n"
    "  OPENBLAS_NUM_THREADS=1 mpirun -np 2 hesscov bench products --json\n";

/// The model as parsed from --model: "mlp" with widths, or "cnn"/"lenet" with {C, H, W}.
struct ModelSpec {
  std::string kind;
  std::vector<index> dims;
};

struct Options {
  std::string model_text = "mlp:784,50,50,10";
  ModelSpec model{"mlp", {784, 50, 50, 10}};
  index samples = 20000;
  std::optional<index> batch;
  index repeat = 5;
  std::string device = "cpu";
  std::string loss = "cross_entropy";
  bool json = false;
};

ModelSpec parse_model(const std::string& text) {
  const UsageError bad{"option --model expects mlp:W0,W1,... (at least two positive widths), cnn:C,H,W or "
                       "lenet:C,H,W (positive sizes); got '" + text + "'"};
  const auto colon = text.find(':');
  if (colon == std::string::npos) throw bad;
  ModelSpec spec{text.substr(0, colon), {}};
  std::string rest = text.substr(colon + 1) + ",";
  for (size_t start = 0, comma; (comma = rest.find(',', start)) != std::string::npos; start = comma + 1) {
    const auto value = parse_positive(rest.substr(start, comma - start));
    if (!value) throw bad;
    spec.dims.push_back(*value);
  }
  const bool fits = spec.kind == "mlp" ? spec.dims.size() >= 2
                                       : (spec.kind == "cnn" || spec.kind == "lenet") && spec.dims.size() == 3;
  if (!fits) throw bad;
  return spec;
}

Options parse_options(const std::vector<std::string>& words) {
  const auto parsed = parse_command_line(
      words, {.valued = {"--model", "--samples", "--batch", "--repeat", "--device", "--loss"}, .flags = {"--json"}});
  Options options;
  if (const auto model = parsed.value("--model")) {
    options.model = parse_model(*model);
    options.model_text = *model;
  }
  options.samples = parsed.positive("--samples", options.samples);
  if (parsed.value("--batch")) options.batch = parsed.positive("--batch", 1);
  options.repeat = parsed.positive("--repeat", options.repeat);
  options.device = parsed.choice("--device", {"cpu", "cuda"}, options.device);
  options.loss = parsed.choice("--loss", {"cross_entropy", "mse", "softmax_mse"}, options.loss);
  options.json = parsed.flag("--json");
  return options;
}

/// Forwards every call to the backend it wraps and adds 2*m*n*k per GEMM to a counter, so the FLOP
/// count of a product is read off one run of it, for any model. Elementwise kernels (activations,
/// pooling, im2col, the loss) are not counted. Not thread-safe: a rank runs its products on one
/// thread.
class CountingBackend final : public Backend {
 public:
  explicit CountingBackend(std::shared_ptr<const Backend> inner) : inner_(std::move(inner)) {}
  std::string name() const override { return inner_->name(); }
  bool is_device() const noexcept override { return inner_->is_device(); }
  void* allocate(std::size_t bytes) const override { return inner_->allocate(bytes); }
  void deallocate(void* pointer) const noexcept override { inner_->deallocate(pointer); }
  void copy_to_host(void* dst, const void* src, std::size_t bytes) const override {
    inner_->copy_to_host(dst, src, bytes);
  }
  void copy_from_host(void* dst, const void* src, std::size_t bytes) const override {
    inner_->copy_from_host(dst, src, bytes);
  }
  void copy(void* dst, const void* src, std::size_t bytes) const override { inner_->copy(dst, src, bytes); }
  void synchronize() const override { inner_->synchronize(); }
  void gemm(Transpose trans_a, Transpose trans_b, index m, index n, index k, double alpha, const double* a,
            index lda, const double* b, index ldb, double beta, double* c, index ldc) const override {
    flops_ += 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
    inner_->gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }
  /// GEMM FLOPs on this rank since the last call.
  double take_flops() const {
    const double flops = flops_;
    flops_ = 0.0;
    return flops;
  }

 private:
  std::shared_ptr<const Backend> inner_;
  mutable double flops_ = 0.0;
};

std::unique_ptr<nn::Model> build_model(std::shared_ptr<const Backend> backend, const Options& options) {
  const auto& dims = options.model.dims;
  try {
    if (options.model.kind == "mlp")
      return nn::make_mlp(std::move(backend), {dims, false, nn::ActivationKind::relu, options.loss});
    const nn::InputShape input{dims[0], dims[1], dims[2]};
    if (options.model.kind == "cnn") {
      nn::CnnSpec spec;
      spec.loss = options.loss;
      return nn::make_cnn(std::move(backend), input, spec);
    }
    return nn::make_lenet(std::move(backend), input, 10, false, nn::ActivationKind::relu, options.loss);
  } catch (const core::Error& error) {
    throw UsageError{"option --model: '" + options.model_text + "' cannot be built: " + error.what()};
  }
}

/// This rank's rows of the synthetic data: x[n][j] = normal(n * features + j) of stream
/// "bench/inputs", a one-hot target at bits(n) % classes of stream "bench/labels"; n is the global
/// sample index, so the data set does not depend on the number of ranks.
void synthetic_shard(index features, index classes, comm::Range range, std::vector<double>& inputs,
                     std::vector<double>& targets) {
  constexpr std::uint64_t kSeed = 1;
  const core::CounterRng input_rng(kSeed, "bench/inputs"), label_rng(kSeed, "bench/labels");
  inputs.assign(static_cast<size_t>(range.size() * features), 0.0);
  targets.assign(static_cast<size_t>(range.size() * classes), 0.0);
  for (index n = range.begin; n < range.end; ++n) {
    const index row = n - range.begin;
    for (index j = 0; j < features; ++j)
      inputs[static_cast<size_t>(row * features + j)] = input_rng.normal(static_cast<std::uint64_t>(n * features + j));
    const auto label = static_cast<index>(label_rng.bits(static_cast<std::uint64_t>(n)) % static_cast<std::uint64_t>(classes));
    targets[static_cast<size_t>(row * classes + label)] = 1.0;
  }
}

/// Seconds (best and median over the repetitions, slowest rank each time) and GEMM FLOPs (all ranks).
struct Timing {
  double best = 0.0, median = 0.0, flops = 0.0;
};

Timing time_product(const comm::Communicator& world, const CountingBackend& backend, index repeat,
                    const std::function<std::vector<double>()>& product) {
  backend.take_flops();
  double checksum = product().front();  // the warm-up: caches, OpenBLAS threads, the FLOP count
  Timing timing;
  timing.flops = world.allreduce_sum(backend.take_flops());
  std::vector<double> seconds;
  for (index r = 0; r < repeat; ++r) {
    world.barrier();
    const double start = MPI_Wtime();
    checksum += product().front();
    backend.synchronize();
    double elapsed = MPI_Wtime() - start;
    HC_MPI(MPI_Allreduce(MPI_IN_PLACE, &elapsed, 1, MPI_DOUBLE, MPI_MAX, world.get()));
    seconds.push_back(elapsed);
  }
  std::sort(seconds.begin(), seconds.end());
  const size_t middle = seconds.size() / 2;
  timing.best = seconds.front();
  timing.median = seconds.size() % 2 == 1 ? seconds[middle] : 0.5 * (seconds[middle - 1] + seconds[middle]);
  // Keeps the results observable; a NaN here would mean a broken product, not a slow one.
  HC_CHECK(!std::isnan(checksum), core::Error, "a benchmarked product returned NaN");
  backend.take_flops();
  return timing;
}

/// OpenBLAS threads per process (1 for another BLAS), looked up at run time like `hesscov info`.
int blas_threads() {
  using ThreadsFunction = int (*)();
  if (auto threads = reinterpret_cast<ThreadsFunction>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads")))
    return threads();
  return 1;
}

struct Row {
  const char* key;    // JSON prefix
  const char* label;  // table
  const char* what;
  Timing timing;
};

void print_table(const Options& options, const nn::Model& model, index batch, int ranks, int threads,
                 const std::vector<Row>& rows) {
  std::printf("hesscov bench products: %s, %lld parameters, %s loss, %s\n", options.model_text.c_str(),
              static_cast<long long>(model.num_params()), options.loss.c_str(), model.backend().name().c_str());
  std::printf("%lld samples in batches of %lld per rank, %d rank(s) x %d BLAS thread(s), best and median of %lld\n\n",
              static_cast<long long>(options.samples), static_cast<long long>(batch), ranks, threads,
              static_cast<long long>(options.repeat));
  std::printf("%-9s %-26s %10s %10s %11s %9s %10s\n", "product", "", "best s", "median s", "GEMM GFLOP",
              "GFLOP/s", "/ gradient");
  const double gradient = rows.front().timing.best;
  for (const auto& row : rows)
    std::printf("%-9s %-26s %10.4g %10.4g %11.4g %9.2f %10.2f\n", row.label, row.what, row.timing.best,
                row.timing.median, row.timing.flops * 1e-9, row.timing.flops * 1e-9 / row.timing.best,
                row.timing.best / gradient);
}

void print_json(const Options& options, const nn::Model& model, index batch, int ranks, int threads,
                const std::vector<Row>& rows) {
  std::printf("{\"model\":\"%s\",\"device\":\"%s\",\"loss\":\"%s\",\"params\":%lld,\"samples\":%lld,"
              "\"batch\":%lld,\"ranks\":%d,\"threads\":%d,\"repeat\":%lld",
              options.model_text.c_str(), options.device.c_str(), options.loss.c_str(),
              static_cast<long long>(model.num_params()), static_cast<long long>(options.samples),
              static_cast<long long>(batch), ranks, threads, static_cast<long long>(options.repeat));
  for (const auto& row : rows)
    std::printf(",\"%s_s\":%.6g,\"%s_median_s\":%.6g,\"%s_flops\":%.6g,\"%s_gflops_per_s\":%.6g", row.key,
                row.timing.best, row.key, row.timing.median, row.key, row.timing.flops, row.key,
                row.timing.flops * 1e-9 / row.timing.best);
  std::printf(",\"hvp_over_grad\":%.6g,\"cv_over_grad\":%.6g}\n", rows[1].timing.best / rows[0].timing.best,
              rows[3].timing.best / rows[0].timing.best);
}

int run_products(const Options& options) {
  const comm::Communicator world = comm::Communicator::borrow(MPI_COMM_WORLD);
  const auto counting = std::make_shared<CountingBackend>(backend::make_backend(options.device, 0));
  const std::unique_ptr<nn::Model> model = build_model(counting, options);

  const comm::Range range = comm::block_partition(options.samples, world.rank(), world.size());
  const index largest_shard = (options.samples + world.size() - 1) / world.size();
  const index batch = std::min(options.batch.value_or(options.model.kind == "mlp" ? 5000 : 250), largest_shard);
  std::vector<double> inputs, targets;
  synthetic_shard(model->in_features(), model->out_features(), range, inputs, targets);
  nn::DatasetEvaluator evaluator(*model, world, inputs, targets, batch);
  inputs = {};  // the evaluator holds its own copy on the backend
  targets = {};
  evaluator.set_parameters(model->initial_parameters(1));

  const auto all = nn::ParamSubset::all(model->layout());
  std::vector<double> direction(static_cast<size_t>(all.size()));
  const core::CounterRng direction_rng(1, "bench/direction");
  for (size_t i = 0; i < direction.size(); ++i) direction[i] = direction_rng.normal(i);

  using nn::Curvature;
  std::vector<Row> rows{
      {"grad", "gradient", "(1/N) sum g_n", {}},
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
  for (size_t p = 0; p < rows.size(); ++p) rows[p].timing = time_product(world, *counting, options.repeat, products[p]);

  if (world.rank() != 0) return 0;
  const int threads = blas_threads();
  if (options.json)
    print_json(options, *model, batch, world.size(), threads, rows);
  else
    print_table(options, *model, batch, world.size(), threads, rows);
  std::fflush(stdout);
  return 0;
}

}  // namespace

const char* products_help() { return kHelp; }

int products_bench(const std::vector<std::string>& words) { return run_products(parse_options(words)); }

}  // namespace hesscov::bench
