#include "nn/cnn.hpp"

#include "core/error.hpp"
#include "nn/conv2d.hpp"
#include "nn/linear.hpp"
#include "nn/pooling.hpp"

namespace hesscov::nn {

namespace {

/// Appends layers while tracking the current C x H x W shape of the activations.
class Builder {
 public:
  explicit Builder(const InputShape& input) : shape_(input) {
    HC_CHECK(input.channels > 0 && input.height > 0 && input.width > 0, core::DimensionMismatch,
             "a convolutional model needs a positive input shape");
  }

  void conv(index channels, index kernel, index padding, bool bias) {
    auto layer = std::make_unique<Conv2d>(shape_.channels, shape_.height, shape_.width, channels,
                                          kernel, kernel, 1, padding, bias);
    shape_ = {channels, layer->out_h(), layer->out_w()};
    add(std::move(layer), "conv" + std::to_string(++convs_));
  }
  void activation(ActivationKind kind, index features) {
    add(std::make_unique<Activation>(kind, features), "act" + std::to_string(++acts_));
  }
  void max_pool(index kernel) {
    auto layer = std::make_unique<MaxPool2d>(shape_.channels, shape_.height, shape_.width, kernel,
                                             kernel);
    shape_.height = layer->out_h();
    shape_.width = layer->out_w();
    add(std::move(layer), "pool" + std::to_string(++pools_));
  }
  [[nodiscard]] index features() const { return shape_.features(); }
  void adaptive_pool(index size) {
    add(std::make_unique<AdaptiveAvgPool2d>(shape_.channels, shape_.height, shape_.width, size, size),
        "avgpool");
    shape_.height = shape_.width = size;
  }
  /// Flatten, then Linear layers features -> widths... -> classes with activations between.
  void dense_head(const std::vector<index>& hidden, index classes, bool bias, ActivationKind kind) {
    add(std::make_unique<Flatten>(shape_.features()), "flatten");
    index width = shape_.features();
    for (size_t i = 0; i <= hidden.size(); ++i) {
      const index next = i < hidden.size() ? hidden[i] : classes;
      add(std::make_unique<Linear>(width, next, bias), "fc" + std::to_string(i + 1));
      if (i < hidden.size()) activation(kind, next);
      width = next;
    }
  }
  std::unique_ptr<Model> finish(std::shared_ptr<const backend::Backend> backend,
                                const std::string& loss) {
    return std::make_unique<Model>(std::move(backend), std::move(layers_), std::move(names_),
                                   make_loss(loss));
  }

 private:
  void add(std::unique_ptr<Layer> layer, std::string name) {
    layers_.push_back(std::move(layer));
    names_.push_back(std::move(name));
  }

  InputShape shape_;
  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<std::string> names_;
  int convs_ = 0, acts_ = 0, pools_ = 0;
};

}  // namespace

index cnn_feature_channels(const std::string& token) {
  if (token == "M") return 0;
  const bool digits = !token.empty() && token.size() <= 9 &&
                      token.find_first_not_of("0123456789") == std::string::npos;
  const index channels = digits ? std::stoll(token) : 0;
  if (channels <= 0)
    throw core::Error("bad CNN feature token '" + token +
                      "': expected a positive channel count or M (2x2 max pool)");
  return channels;
}

std::unique_ptr<Model> make_cnn(std::shared_ptr<const backend::Backend> backend,
                                const InputShape& input, const CnnSpec& spec) {
  Builder builder(input);
  for (const auto& token : spec.features) {
    const index channels = cnn_feature_channels(token);
    if (channels == 0) {
      builder.max_pool(2);
      continue;
    }
    builder.conv(channels, 3, 1, spec.bias);
    builder.activation(spec.activation, builder.features());
  }
  if (spec.adaptive > 0) builder.adaptive_pool(spec.adaptive);
  builder.dense_head(spec.hidden, spec.classes, spec.bias, spec.activation);
  return builder.finish(std::move(backend), spec.loss);
}

std::unique_ptr<Model> make_lenet(std::shared_ptr<const backend::Backend> backend,
                                  const InputShape& input, index classes, bool bias,
                                  ActivationKind activation, const std::string& loss,
                                  const LenetWidths& widths) {
  Builder builder(input);
  for (index channels : widths.channels) {
    builder.conv(channels, 5, 0, bias);
    builder.activation(activation, builder.features());
    builder.max_pool(2);
  }
  builder.dense_head(widths.hidden, classes, bias, activation);
  return builder.finish(std::move(backend), loss);
}

}  // namespace hesscov::nn
