#include "nn/mlp.hpp"

#include "core/error.hpp"
#include "nn/linear.hpp"

namespace hesscov::nn {

std::unique_ptr<Model> make_mlp(std::shared_ptr<const backend::Backend> backend, const MlpSpec& spec) {
  HC_CHECK(spec.widths.size() >= 2, core::DimensionMismatch,
           "an MLP needs at least two widths (input and output)");
  std::vector<std::unique_ptr<Layer>> layers;
  std::vector<std::string> names;
  for (size_t i = 0; i + 1 < spec.widths.size(); ++i) {
    const std::string number = std::to_string(i + 1);
    layers.push_back(std::make_unique<Linear>(spec.widths[i], spec.widths[i + 1], spec.bias));
    names.push_back("fc" + number);
    if (i + 2 == spec.widths.size()) break;
    layers.push_back(std::make_unique<Activation>(spec.activation, spec.widths[i + 1]));
    names.push_back("act" + number);
  }
  return std::make_unique<Model>(std::move(backend), std::move(layers), std::move(names),
                                 make_loss(spec.loss));
}

}  // namespace hesscov::nn
