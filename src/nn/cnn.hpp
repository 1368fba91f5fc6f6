#pragma once
// Convolutional models of SCIENCE.md: the Study 1 CNN ([32, M, 64, M, 128] 3x3 convolutions,
// adaptive average pooling, dense head) and the Study 2 LeNet (two 5x5 convolutions with max
// pooling, three dense layers). Inputs are NCHW-flattened rows [samples x C*H*W].
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "nn/activation.hpp"
#include "nn/model.hpp"

namespace hesscov::nn {

/// Shape of one input sample: channels x height x width, stored channel-major then row-major.
struct InputShape {
  index channels = 1, height = 1, width = 1;
  [[nodiscard]] index features() const { return channels * height * width; }
};

/// The Study 1 CNN. features: "<n>" = 3x3 convolution to n channels (stride 1, padding 1) and
/// the activation; "M" = 2x2 max pooling with stride 2 (sizes rounded down). adaptive > 0: an
/// adaptive average pool to adaptive x adaptive (0: none). Then flatten and dense layers
/// C*a*a -> hidden[0] -> ... -> classes with the activation between them (none after the last).
struct CnnSpec {
  std::vector<std::string> features{"32", "M", "64", "M", "128"};
  index adaptive = 1;
  std::vector<index> hidden{64};
  index classes = 10;
  bool bias = false;
  ActivationKind activation = ActivationKind::relu;
  std::string loss = "cross_entropy";
};

/// Channels of one CnnSpec feature token: n > 0 for a convolution "<n>", 0 for "M". Throws
/// core::Error naming the token for anything else ("X", "0", "-3", "12a").
index cnn_feature_channels(const std::string& token);

/// Layers "conv1", "act1", "pool1", ..., "avgpool", "flatten", "fc1", ...: parameter blocks read
/// "conv1.weight" [out, in, 3, 3], "conv1.bias", "fc1.weight", ... Throws core::Error for a bad
/// token or loss and core::DimensionMismatch when a pool or the adaptive size does not fit.
std::unique_ptr<Model> make_cnn(std::shared_ptr<const backend::Backend> backend,
                                const InputShape& input, const CnnSpec& spec);

/// LeNet widths: conv 5x5 (valid) to channels[0], act, 2x2 max pool, conv 5x5 to channels[1],
/// act, 2x2 max pool, flatten, dense hidden[0] -> act -> hidden[1] -> ... -> classes.
/// Defaults are LeNet-5: for a 3x32x32 input and 10 classes 62,006 parameters with biases
/// (456 + 2,416 + 48,120 + 10,164 + 850), 61,770 without.
struct LenetWidths {
  std::array<index, 2> channels{6, 16};
  std::vector<index> hidden{120, 84};
};

/// Layers "conv1", "act1", "pool1", "conv2", "act2", "pool2", "flatten", "fc1", "act3", "fc2",
/// "act4", "fc3". Throws core::DimensionMismatch when the input is too small (below 16x16).
std::unique_ptr<Model> make_lenet(std::shared_ptr<const backend::Backend> backend,
                                  const InputShape& input, index classes, bool bias,
                                  ActivationKind activation, const std::string& loss,
                                  const LenetWidths& widths = {});

}  // namespace hesscov::nn
