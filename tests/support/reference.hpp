#pragma once
// Independent references for the engine tests: central finite differences of the loss and of the
// gradient, dense matrices assembled column by column, random models and data. Everything here is
// host-side fp64 and deliberately naive.
#include <functional>
#include <memory>
#include <vector>

#include "nn/mlp.hpp"

namespace hesscov::testing {

using Vector = std::vector<double>;

/// Row-major dense matrix [rows x cols].
struct Dense {
  index rows = 0, cols = 0;
  Vector values;
  Dense(index r, index c) : rows(r), cols(c), values(static_cast<size_t>(r * c), 0.0) {}
  double& operator()(index i, index j) { return values[static_cast<size_t>(i * cols + j)]; }
  double operator()(index i, index j) const { return values[static_cast<size_t>(i * cols + j)]; }
  [[nodiscard]] Vector times(const Vector& v) const;
  [[nodiscard]] double frobenius() const;
  [[nodiscard]] double max_asymmetry() const;  // max |A_ij - A_ji|
};

/// Standard normal entries from a fixed stream (deterministic across runs and ranks).
Vector random_vector(index size, std::uint64_t seed, double scale = 1.0);

/// Inputs [samples x features] ~ N(0,1) and targets [samples x classes]: one-hot of a random class
/// for classification losses, N(0,1) entries for "mse".
struct SyntheticData {
  Vector inputs, targets;
  index samples = 0;
};
SyntheticData synthetic_data(index samples, index features, index classes, const std::string& loss,
                             std::uint64_t seed);

/// Host-side evaluation of one model on one data set with a full-size workspace: the quantities
/// the finite-difference references differentiate. Works on the CPU backend.
class HostProblem {
 public:
  HostProblem(const nn::Model& model, const SyntheticData& data);
  /// Mean loss L(theta) = (1/N) sum_n l_n.
  double loss(const Vector& params);
  /// l_n(theta) for one sample.
  double sample_loss(const Vector& params, index sample);
  /// Gradient of L restricted to subset, via the engine (its own test checks it against FD).
  Vector gradient(const Vector& params, const nn::ParamSubset& subset);
  /// g_n restricted to subset, computed on a batch holding only sample n.
  Vector sample_gradient(const Vector& params, const nn::ParamSubset& subset, index sample);
  /// (1/N) sum_n H_n v or G_n v, via the engine.
  Vector curvature(const Vector& params, const nn::ParamSubset& subset, nn::Curvature kind,
                   const Vector& v);
  [[nodiscard]] nn::Batch batch(index first, index count) const;
  nn::Workspace& workspace() { return workspace_; }

 private:
  const nn::Model& model_;
  const SyntheticData& data_;
  nn::Workspace workspace_;
};

/// Central difference of f along e_j of the full parameter vector for every subset coordinate j:
/// d/dtheta_j f, step h.
Vector fd_gradient(const std::function<double(const Vector&)>& f, const Vector& params,
                   const nn::ParamLayout& layout, const nn::ParamSubset& subset, double h);
/// Column j = (g(theta + h e_j) - g(theta - h e_j)) / 2h for every subset coordinate j: the dense
/// Hessian from differences of a gradient function g (which returns subset coordinates).
Dense fd_jacobian(const std::function<Vector(const Vector&)>& g, const Vector& params,
                  const nn::ParamLayout& layout, const nn::ParamSubset& subset, double h);
/// Column j = op(e_j): a dense matrix assembled from a matrix-free product.
Dense assemble(const std::function<Vector(const Vector&)>& op, index size);

double norm(const Vector& v);
double dot(const Vector& a, const Vector& b);
/// ||a - b|| / max(||b||, tiny).
double relative_error(const Vector& a, const Vector& b);

}  // namespace hesscov::testing
