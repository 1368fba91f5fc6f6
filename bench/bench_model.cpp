#include "bench/bench_model.hpp"

#include "bench/command_line.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "nn/cnn.hpp"
#include "nn/mlp.hpp"

namespace hesscov::bench {

const char* const kModelHelp =
    "  --model SPEC      mlp:W0,W1,...,WK  MLP, no bias, ReLU (W0 inputs, WK classes)\n"
    "                    cnn:C,H,W         Study 1 CNN [32,M,64,M,128], adaptive 1, hidden [64], 10 classes\n"
    "                    lenet:C,H,W       Study 2 LeNet-5, 10 classes (H, W >= 16)\n"
    "                    default mlp:784,50,50,10\n";

ModelSpec parse_model(const std::string& text) {
  const UsageError bad{"option --model expects mlp:W0,W1,... (at least two positive widths), cnn:C,H,W or "
                       "lenet:C,H,W (positive sizes); got '" + text + "'"};
  const auto colon = text.find(':');
  if (colon == std::string::npos) throw bad;
  ModelSpec spec{text, text.substr(0, colon), {}};
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

std::unique_ptr<nn::Model> build_model(std::shared_ptr<const backend::Backend> backend, const ModelSpec& spec,
                                       const std::string& loss) {
  const auto& dims = spec.dims;
  try {
    if (spec.kind == "mlp") return nn::make_mlp(std::move(backend), {dims, false, nn::ActivationKind::relu, loss});
    const nn::InputShape input{dims[0], dims[1], dims[2]};
    if (spec.kind == "cnn") {
      nn::CnnSpec cnn;
      cnn.loss = loss;
      return nn::make_cnn(std::move(backend), input, cnn);
    }
    return nn::make_lenet(std::move(backend), input, 10, false, nn::ActivationKind::relu, loss);
  } catch (const core::Error& error) {
    throw UsageError{"option --model: '" + spec.text + "' cannot be built: " + error.what()};
  }
}

index default_batch(const ModelSpec& spec) { return spec.kind == "mlp" ? 5000 : 250; }

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

std::vector<double> bench_direction(index size, std::uint64_t draw) {
  const core::CounterRng rng(1 + draw, "bench/direction");
  std::vector<double> direction(static_cast<size_t>(size));
  for (size_t i = 0; i < direction.size(); ++i) direction[i] = rng.normal(i);
  return direction;
}

}  // namespace hesscov::bench
