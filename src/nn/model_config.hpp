#pragma once
// The model section of a config: declared keys and the model they describe.
#include <memory>

#include "core/config.hpp"
#include "nn/cnn.hpp"
#include "nn/mlp.hpp"

namespace hesscov::nn {

/// Declares model.type (mlp | cnn | lenet), model.mlp, model.cnn.features, model.cnn.adaptive,
/// model.cnn.hidden, model.lenet.channels, model.lenet.hidden, model.bias, model.activation and
/// model.loss.
void add_model_keys(core::Schema& schema);

/// The model a config describes (by model.type), checked against the data it will see: an MLP's
/// model.mlp must start with input.features() and end with `classes` (a ConfigError naming
/// model.mlp otherwise); a CNN or LeNet takes the input shape as is and ends in `classes`
/// outputs (classes < 1 is a ConfigError naming model.type). A bad CNN feature token or a pool
/// that does not fit the input is a ConfigError naming model.cnn.features, an adaptive size
/// larger than the remaining image one naming model.cnn.adaptive, a LeNet that does not fit
/// the input one naming model.type, a channel list of other than two entries model.lenet.channels.
std::unique_ptr<Model> make_model(std::shared_ptr<const backend::Backend> backend, const core::Config& config,
                                  const InputShape& input, index classes);

}  // namespace hesscov::nn
