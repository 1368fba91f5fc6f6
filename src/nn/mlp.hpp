#pragma once
#include <memory>
#include <string>
#include <vector>

#include "nn/activation.hpp"
#include "nn/model.hpp"

namespace hesscov::nn {

/// A multilayer perceptron: widths {in, h1, ..., out}, Linear layers "fc1".."fcK" with the
/// activation ("act1".."act{K-1}") between them and none after the last.
struct MlpSpec {
  std::vector<index> widths;
  bool bias = false;
  ActivationKind activation = ActivationKind::relu;
  std::string loss = "cross_entropy";
};

/// Throws core::DimensionMismatch for fewer than two widths or a non-positive width, and
/// core::Error for an unknown loss.
std::unique_ptr<Model> make_mlp(std::shared_ptr<const backend::Backend> backend, const MlpSpec& spec);

}  // namespace hesscov::nn
