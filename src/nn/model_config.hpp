#pragma once
// The model section of a config: declared keys and the model they describe.
#include <memory>

#include "core/config.hpp"
#include "nn/mlp.hpp"

namespace hesscov::nn {

/// Shape of one input sample: channels x height x width, stored channel-major then row-major.
struct InputShape {
  index channels = 1, height = 1, width = 1;
  [[nodiscard]] index features() const { return channels * height * width; }
};

/// Declares model.mlp, model.bias, model.activation and model.loss.
void add_model_keys(core::Schema& schema);

/// The model a config describes, checked against the data it will see: model.mlp must start with
/// input.features() and end with `classes` (a ConfigError naming model.mlp otherwise).
std::unique_ptr<Model> make_model(std::shared_ptr<const backend::Backend> backend, const core::Config& config,
                                  const InputShape& input, index classes);

}  // namespace hesscov::nn
