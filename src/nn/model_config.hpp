#pragma once
// The model section of a config: declared keys and the model they describe.
#include <memory>

#include "core/config.hpp"
#include "nn/mlp.hpp"

namespace hesscov::nn {

/// Declares model.mlp, model.bias, model.activation and model.loss.
void add_model_keys(core::Schema& schema);

/// The MLP a config describes, checked against the data it will see: model.mlp must start with
/// `input_features` and end with `classes` (a ConfigError naming model.mlp otherwise).
std::unique_ptr<Model> make_model(std::shared_ptr<const backend::Backend> backend, const core::Config& config,
                                  index input_features, index classes);

}  // namespace hesscov::nn
