#include "nn/model_config.hpp"

#include <algorithm>

namespace hesscov::nn {

namespace {

std::unique_ptr<Model> make_mlp_model(std::shared_ptr<const backend::Backend> backend,
                                      const core::Config& config, const InputShape& input, index classes) {
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

std::string shape_text(const InputShape& input) {
  return std::to_string(input.channels) + "x" + std::to_string(input.height) + "x" + std::to_string(input.width);
}

/// Checks the feature tokens and that every pool and the adaptive pool fit the shrinking image
/// before any layer is built, so each failure names its own key.
void check_cnn_spec(const core::Config& config, const CnnSpec& spec, const InputShape& input) {
  index height = input.height, width = input.width;
  for (const auto& token : spec.features) {
    index channels = 0;
    try {
      channels = cnn_feature_channels(token);
    } catch (const core::Error&) {
      throw config.error("model.cnn.features", "tokens that are positive channel counts or M (2x2 max pool); got '" +
                                                   token + "'");
    }
    if (channels > 0) continue;  // 3x3 convolutions with padding 1 keep the size
    if (height < 2 || width < 2)
      throw config.error("model.cnn.features", "no more 2x2 max pools than the data's " + shape_text(input) +
                                                   " input allows");
    height /= 2;
    width /= 2;
  }
  if (spec.adaptive > height || spec.adaptive > width)
    throw config.error("model.cnn.adaptive", "an adaptive pool size of at most " +
                                                 std::to_string(std::min(height, width)) +
                                                 " (the image size after the feature layers)");
}

}  // namespace

void add_model_keys(core::Schema& schema) {
  schema.add_choice("model.type", "mlp", {"mlp", "cnn", "lenet"},
                    "architecture: MLP (model.mlp), Study 1 CNN (model.cnn.*) or Study 2 LeNet (model.lenet.*)");
  schema.add_int_list("model.mlp", {784, 50, 50, 10},
                      "MLP layer widths, input first and classes last (Linear layers fc1.., activations between)",
                      {.min = 1, .min_length = 2});
  schema.add_string_list("model.cnn.features", {"32", "M", "64", "M", "128"},
                         "CNN feature layers: <n> = 3x3 convolution (padding 1) to n channels + activation, "
                         "M = 2x2 max pool");
  schema.add_int("model.cnn.adaptive", 1,
                 "CNN adaptive average pool to adaptive x adaptive before the dense layers (0: none)", {.min = 0});
  schema.add_int_list("model.cnn.hidden", {64}, "CNN dense widths between the flattened features and the classes",
                      {.min = 1});
  schema.add_int_list("model.lenet.channels", {6, 16}, "LeNet channels of its two 5x5 convolutions",
                      {.min = 1, .min_length = 2});
  schema.add_int_list("model.lenet.hidden", {120, 84}, "LeNet dense widths between the flattened features and the classes",
                      {.min = 1});
  schema.add_bool("model.bias", false, "Linear and Conv2d layers have a bias (the alignment study uses none)");
  schema.add_choice("model.activation", "relu", {"relu", "tanh", "identity"}, "hidden activation");
  schema.add_choice("model.loss", "cross_entropy", {"cross_entropy", "mse", "softmax_mse"},
                    "per-sample loss: softmax cross-entropy, 1/2||z-t||^2, or 1/2||softmax(z)-t||^2 (one-hot t)");
}

std::unique_ptr<Model> make_model(std::shared_ptr<const backend::Backend> backend, const core::Config& config,
                                  const InputShape& input, index classes) {
  const std::string type = config.get_string("model.type");
  if (type == "mlp") return make_mlp_model(std::move(backend), config, input, classes);
  if (classes < 1) throw config.error("model.type", "data with at least one class");
  const bool bias = config.get_bool("model.bias");
  const ActivationKind activation = parse_activation(config.get_string("model.activation"));
  const std::string loss = config.get_string("model.loss");
  if (type == "cnn") {
    CnnSpec spec{config.get_string_list("model.cnn.features"), config.get_int("model.cnn.adaptive"), {}, classes,
                 bias, activation, loss};
    for (auto width : config.get_int_list("model.cnn.hidden")) spec.hidden.push_back(width);
    check_cnn_spec(config, spec, input);
    return make_cnn(std::move(backend), input, spec);
  }
  LenetWidths widths;
  const auto channels = config.get_int_list("model.lenet.channels");
  if (channels.size() != 2) throw config.error("model.lenet.channels", "exactly two channel counts");
  widths.channels = {channels[0], channels[1]};
  widths.hidden.clear();
  for (auto width : config.get_int_list("model.lenet.hidden")) widths.hidden.push_back(width);
  try {
    return make_lenet(std::move(backend), input, classes, bias, activation, loss, widths);
  } catch (const core::DimensionMismatch& error) {
    throw config.error("model.type", "an input of at least 16x16 for LeNet, got " + shape_text(input) + " (" +
                                         error.what() + ")");
  }
}

}  // namespace hesscov::nn
