#pragma once
// The models and data the product and scaling suites time: --model mlp:W0,...,WK | cnn:C,H,W |
// lenet:C,H,W, and a synthetic data set of Gaussian inputs with random one-hot targets whose
// sample n does not depend on the number of ranks (counter streams indexed by n).
#include <memory>
#include <string>
#include <vector>

#include "backend/backend.hpp"
#include "comm/communicator.hpp"
#include "nn/model.hpp"

namespace hesscov::bench {

/// As parsed from --model: "mlp" with its widths, or "cnn"/"lenet" with {C, H, W}.
struct ModelSpec {
  std::string text = "mlp:784,50,50,10";
  std::string kind = "mlp";
  std::vector<index> dims{784, 50, 50, 10};
};

/// The --model help lines, indented for a help text.
extern const char* const kModelHelp;

/// Parses --model; throws UsageError naming the option and the forms it takes.
ModelSpec parse_model(const std::string& text);

/// MLP (no bias, ReLU), the Study 1 CNN ([32,M,64,M,128], adaptive 1, hidden [64], 10 classes) or
/// LeNet-5 (10 classes) with `loss`; UsageError when the sizes cannot be built.
std::unique_ptr<nn::Model> build_model(std::shared_ptr<const backend::Backend> backend, const ModelSpec& spec,
                                       const std::string& loss);

/// Samples per batch when --batch is not given: 5000 for an MLP, 250 for a convolutional net.
index default_batch(const ModelSpec& spec);

/// This rank's rows [range.begin, range.end) of the synthetic data: x[n][j] = normal(n * features + j)
/// of stream "bench/inputs", a one-hot target at bits(n) % classes of stream "bench/labels". Local.
void synthetic_shard(index features, index classes, comm::Range range, std::vector<double>& inputs,
                     std::vector<double>& targets);

/// A unit-free random direction, normal(i) of stream "bench/direction". Local.
std::vector<double> bench_direction(index size, std::uint64_t draw = 0);

}  // namespace hesscov::bench
