#include "nn/model_config.hpp"

namespace hesscov::nn {

void add_model_keys(core::Schema& schema) {
  schema.add_int_list("model.mlp", {784, 50, 50, 10},
                      "MLP layer widths, input first and classes last (Linear layers fc1.., activations between)",
                      {.min = 1, .min_length = 2});
  schema.add_bool("model.bias", false, "Linear layers have a bias (the alignment study uses none)");
  schema.add_choice("model.activation", "relu", {"relu", "tanh", "identity"}, "hidden activation");
  schema.add_choice("model.loss", "cross_entropy", {"cross_entropy", "mse", "softmax_mse"},
                    "per-sample loss: softmax cross-entropy, 1/2||z-t||^2, or 1/2||softmax(z)-t||^2 (one-hot t)");
}

std::unique_ptr<Model> make_model(std::shared_ptr<const backend::Backend> backend, const core::Config& config,
                                  const InputShape& input, index classes) {
  const index input_features = input.features();
  MlpSpec spec;
  for (auto width : config.get_int_list("model.mlp")) spec.widths.push_back(width);
  if (spec.widths.front() != input_features)
    throw config.error("model.mlp", "a first width equal to the data's " + std::to_string(input_features) +
                                        " input features");
  if (spec.widths.back() != classes)
    throw config.error("model.mlp", "a last width equal to the data's " + std::to_string(classes) + " classes");
  spec.bias = config.get_bool("model.bias");
  spec.activation = parse_activation(config.get_string("model.activation"));
  spec.loss = config.get_string("model.loss");
  return make_mlp(std::move(backend), spec);
}

}  // namespace hesscov::nn
