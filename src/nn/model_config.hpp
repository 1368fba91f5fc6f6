#pragma once
// The model section of a config: declared keys and the model they describe.
#include <memory>

#include "core/config.hpp"
#include "nn/cnn.hpp"
#include "nn/mlp.hpp"

namespace hesscov::nn {

/// Declares model.type (mlp | cnn | lenet | linear | quadratic | toy_valley_1 | toy_valley_2),
/// model.mlp, model.cnn.features, model.cnn.adaptive, model.cnn.hidden, model.lenet.channels,
/// model.lenet.hidden, model.quadratic.spectrum, model.quadratic.noise, model.toy.start,
/// model.bias, model.activation and model.loss.
void add_model_keys(core::Schema& schema);

/// The model a config describes (by model.type), checked against the data it will see: an MLP's
/// model.mlp must start with input.features() and end with `classes` (a ConfigError naming
/// model.mlp otherwise); a CNN or LeNet takes the input shape as is and ends in `classes`
/// outputs (classes < 1 is a ConfigError naming model.type). A bad CNN feature token or a pool
/// that does not fit the input is a ConfigError naming model.cnn.features, an adaptive size
/// larger than the remaining image one naming model.cnn.adaptive, a LeNet that does not fit
/// the input one naming model.type, a channel list of other than two entries model.lenet.channels.
/// model.type: linear is the MLP [input.features(), classes] (layer "fc1", model.bias, model.loss;
/// model.mlp and model.activation unused). model.type: quadratic (nn/quadratic.hpp; model.bias and
/// model.activation unused) needs a non-empty model.quadratic.spectrum (else a ConfigError naming
/// it), model.quadratic.noise of the same length with 0 wherever the eigenvalue is 0 (naming
/// model.quadratic.noise), model.loss: mse (naming model.loss), and, when the config's schema
/// declares the data section, data.name: synthetic (naming data.name) with data.synthetic.task:
/// quadratic (naming data.synthetic.task); input features and classes must both equal P (naming
/// data.synthetic.features, or model.quadratic.spectrum without a data section).
/// model.type: toy_valley_1 / toy_valley_2 (nn/toy_valley.hpp; model.bias, model.activation and
/// the seed unused) needs a backend without device memory (else a ConfigError naming model.type:
/// the layers run on the host only), model.toy.start of exactly 4 finite numbers (naming
/// model.toy.start), model.loss: mse (naming model.loss), data.name: synthetic with
/// data.synthetic.task: quadratic when the schema declares the data section (naming those keys),
/// and classes == 2 (naming data.synthetic.features, or model.type without a data section); the
/// inputs are ignored.
std::unique_ptr<Model> make_model(std::shared_ptr<const backend::Backend> backend, const core::Config& config,
                                  const InputShape& input, index classes);

}  // namespace hesscov::nn
