#include "nn/model_config.hpp"

#include <algorithm>
#include <cmath>

#include "nn/quadratic.hpp"
#include "nn/toy_valley.hpp"

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

/// Linear regression: one Linear layer "fc1" from the data's features to its outputs, with
/// model.bias and model.loss, no activation (the MLP [features, classes]).
std::unique_ptr<Model> make_linear_model(std::shared_ptr<const backend::Backend> backend, const core::Config& config,
                                         const InputShape& input, index classes) {
  MlpSpec spec;
  spec.widths = {input.features(), classes};
  spec.bias = config.get_bool("model.bias");
  spec.activation = ActivationKind::identity;  // unused: one layer has no activation
  spec.loss = config.get_string("model.loss");
  return make_mlp(std::move(backend), spec);
}

/// The quadratic model of model.quadratic.*, checked against the loss, the data section (when the
/// config's schema has one: every job schema does) and the input shape, each failure naming its key.
std::unique_ptr<Model> make_quadratic_model(std::shared_ptr<const backend::Backend> backend,
                                            const core::Config& config, const InputShape& input, index classes) {
  QuadraticSpec spec{config.get_double_list("model.quadratic.spectrum"), config.get_double_list("model.quadratic.noise")};
  const index size = static_cast<index>(spec.spectrum.size());
  if (spec.spectrum.empty())
    throw config.error("model.quadratic.spectrum", "the Hessian's eigenvalues lambda_1..lambda_P (a non-empty list) "
                                                   "for model.type: quadratic");
  if (spec.noise.size() != spec.spectrum.size())
    throw config.error("model.quadratic.noise", "one gradient-noise variance per eigenvalue: " + std::to_string(size) +
                                                    " entries, as model.quadratic.spectrum");
  for (size_t i = 0; i < spec.spectrum.size(); ++i)
    if (spec.spectrum[i] == 0.0 && spec.noise[i] != 0.0)
      throw config.error("model.quadratic.noise", "0 at entry " + std::to_string(i) +
                                                      ", where the eigenvalue is 0 (a flat direction has no gradient "
                                                      "noise)");
  if (config.get_string("model.loss") != "mse")
    throw config.error("model.loss", "mse for model.type: quadratic (its per-sample loss is 1/2 ||z||^2 of the "
                                     "residuals z_i = sqrt(lambda_i) theta_i - sigma_i x_i)");
  const auto& schema = config.schema();
  if (schema.find("data.name") != nullptr && schema.find("data.synthetic.task") != nullptr) {
    if (config.get_string("data.name") != "synthetic")
      throw config.error("data.name", "synthetic (with data.synthetic.task: quadratic) for model.type: quadratic");
    if (config.get_string("data.synthetic.task") != "quadratic")
      throw config.error("data.synthetic.task", "quadratic for model.type: quadratic (N(0, 1) inputs, zero targets)");
  }
  if (input.features() != size || classes != size) {
    const bool synthetic_section = schema.find("data.synthetic.features") != nullptr;
    throw config.error(synthetic_section ? "data.synthetic.features" : "model.quadratic.spectrum",
                       std::to_string(size) + ", the length of model.quadratic.spectrum (the data has " +
                           std::to_string(input.features()) + " features and " + std::to_string(classes) +
                           " outputs)");
  }
  return make_quadratic(std::move(backend), spec);
}

/// The Study 3 valley toys (nn/toy_valley.hpp), checked against the backend, the start point, the
/// loss, the data section (when the schema has one) and the output shape, each failure naming its key.
std::unique_ptr<Model> make_toy_valley_model(std::shared_ptr<const backend::Backend> backend,
                                             const core::Config& config, const InputShape& input, index classes,
                                             ValleyToy toy) {
  const std::string type = valley_toy_name(toy);
  if (backend->is_device())
    throw config.error("model.type", "device: cpu for model.type: " + type + " (its layers run on the host only; "
                                     "the backend is " + backend->name() + ")");
  const auto start = config.get_double_list("model.toy.start");
  if (start.size() != 4)
    throw config.error("model.toy.start", "4 numbers [t1, t2, t3, t4] for model.type: " + type + " (got " +
                                              std::to_string(start.size()) + ")");
  ToyValleySpec spec;
  spec.toy = toy;
  for (size_t i = 0; i < 4; ++i) {
    if (!std::isfinite(start[i]))
      throw config.error("model.toy.start", "finite numbers (entry " + std::to_string(i) + " is not)");
    spec.start[i] = start[i];
  }
  if (config.get_string("model.loss") != "mse")
    throw config.error("model.loss", "mse for model.type: " + type + " (its loss is 1/2 ||z||^2 of the residuals "
                                     "z = (sqrt(lambda1) t1, sqrt(lambda2) t2) against zero targets)");
  const auto& schema = config.schema();
  if (schema.find("data.name") != nullptr && schema.find("data.synthetic.task") != nullptr) {
    if (config.get_string("data.name") != "synthetic")
      throw config.error("data.name", "synthetic (with data.synthetic.task: quadratic) for model.type: " + type);
    if (config.get_string("data.synthetic.task") != "quadratic")
      throw config.error("data.synthetic.task", "quadratic for model.type: " + type + " (zero targets; the inputs "
                                                "are ignored)");
  }
  if (classes != 2 || input.features() < 1) {
    const bool synthetic_section = schema.find("data.synthetic.features") != nullptr;
    throw config.error(synthetic_section ? "data.synthetic.features" : "model.type",
                       "2 for model.type: " + type + " (two residuals, so two zero targets per sample; the data has " +
                           std::to_string(input.features()) + " features and " + std::to_string(classes) +
                           " outputs)");
  }
  return make_toy_valley(std::move(backend), spec, input.features());
}

}  // namespace

void add_model_keys(core::Schema& schema) {
  schema.add_choice("model.type", "mlp", {"mlp", "cnn", "lenet", "linear", "quadratic", "toy_valley_1", "toy_valley_2"},
                    "architecture: MLP (model.mlp), Study 1 CNN (model.cnn.*), Study 2 LeNet (model.lenet.*), linear "
                    "regression (one Linear layer fc1, data features -> outputs), the Study 4 quadratic loss "
                    "(model.quadratic.*, with data.synthetic.task: quadratic and model.loss: mse) or a Study 3 valley "
                    "toy (model.toy.start; data.synthetic.task: quadratic with features: 2, model.loss: mse, device: "
                    "cpu)");
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
  schema.add_double_list("model.quadratic.spectrum", {},
                         "quadratic: Hessian eigenvalues lambda_1..lambda_P (H = diag(lambda) exactly); P must equal "
                         "data.synthetic.features",
                         {.min = 0});
  schema.add_double_list("model.quadratic.noise", {},
                         "quadratic: per-sample gradient-noise variances c_1..c_P (one per eigenvalue; 0 where "
                         "lambda_i = 0)",
                         {.min = 0});
  schema.add_double("model.label_smoothing", 0.0,
                    "label smoothing epsilon of classification targets: (1 - epsilon) one_hot + epsilon / classes "
                    "(cross-entropy with smoothing, SCIENCE.md Study 3)",
                    {.min = 0.0, .max = 1.0, .max_exclusive = true});
  schema.add_double_list("model.toy.start", {0.0, 0.0, 1.0, 1.0},
                         "toy_valley_1/2: start point [t1, t2, t3, t4]; the block toy.theta holds the displacement "
                         "t - start (0 at the start; the init stream and the seed are not used)");
  schema.add_bool("model.bias", false, "Linear and Conv2d layers have a bias (the alignment study uses none)");
  schema.add_choice("model.activation", "relu", {"relu", "tanh", "identity"}, "hidden activation");
  schema.add_choice("model.loss", "cross_entropy", {"cross_entropy", "mse", "softmax_mse"},
                    "per-sample loss: softmax cross-entropy, 1/2||z-t||^2, or 1/2||softmax(z)-t||^2 (one-hot t)");
}

std::unique_ptr<Model> make_model(std::shared_ptr<const backend::Backend> backend, const core::Config& config,
                                  const InputShape& input, index classes) {
  const std::string type = config.get_string("model.type");
  if (type == "mlp") return make_mlp_model(std::move(backend), config, input, classes);
  if (type == "quadratic") return make_quadratic_model(std::move(backend), config, input, classes);
  if (type == "toy_valley_1") return make_toy_valley_model(std::move(backend), config, input, classes, ValleyToy::one);
  if (type == "toy_valley_2") return make_toy_valley_model(std::move(backend), config, input, classes, ValleyToy::two);
  if (classes < 1) throw config.error("model.type", "data with at least one class");
  if (type == "linear") return make_linear_model(std::move(backend), config, input, classes);
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
