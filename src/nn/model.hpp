#pragma once
// A model is a sequence of layers and a loss, with every parameter in one flat fp64 vector.
// All products act on one batch of samples and accumulate *sums* over the batch with a caller's
// scale (1/N for the mean over a data set of N samples), so a caller can sum batches and ranks.
// Vectors over parameters are in the coordinates of a ParamSubset (the whole model, or chosen
// blocks): the products are the exact restrictions of the full ones to those coordinates.
#include <memory>
#include <vector>

#include "backend/buffer.hpp"
#include "nn/layer.hpp"
#include "nn/loss.hpp"
#include "nn/param_layout.hpp"

namespace hesscov::nn {

/// A batch on the model's backend: inputs [samples x in_features], targets [samples x classes].
struct Batch {
  const double* inputs = nullptr;
  const double* targets = nullptr;
  index samples = 0;
};

/// Which curvature a product uses: the Hessian of the loss, or the Gauss-Newton matrix
/// J^T (d^2 l/dz^2) J (equal to the Fisher for cross-entropy).
enum class Curvature { hessian, gauss_newton };

class Workspace;

class Model {
 public:
  /// Layers in order; each layer's in_features must equal the previous out_features. Layer names
  /// in the layout are "<name>.<param>" with names[l] naming layer l.
  Model(std::shared_ptr<const backend::Backend> backend, std::vector<std::unique_ptr<Layer>> layers,
        std::vector<std::string> names, std::unique_ptr<Loss> loss);

  [[nodiscard]] const backend::Backend& backend() const { return *backend_; }
  [[nodiscard]] const std::shared_ptr<const backend::Backend>& backend_ptr() const { return backend_; }
  [[nodiscard]] const ParamLayout& layout() const noexcept { return layout_; }
  [[nodiscard]] index num_params() const noexcept { return layout_.size(); }
  [[nodiscard]] index in_features() const { return layers_.front()->in_features(); }
  [[nodiscard]] index out_features() const { return layers_.back()->out_features(); }
  [[nodiscard]] const std::vector<std::unique_ptr<Layer>>& layers() const { return layers_; }
  [[nodiscard]] const std::vector<std::string>& layer_names() const { return names_; }
  [[nodiscard]] const Loss& loss() const { return *loss_; }
  /// One line per layer: name, kind, shape, parameter count.
  [[nodiscard]] std::string summary() const;

  /// Host vector of initial parameters, each block U(-b, b) with the layer's bound, drawn from the
  /// counter stream "init/<block>" of `seed` (independent of ranks and backend).
  [[nodiscard]] std::vector<double> initial_parameters(std::uint64_t seed) const;

  // ---- products on one batch (local: no communication). `params` is the full flat vector on the
  // backend side; vectors v / outputs are in `subset` coordinates on the backend side. ----

  /// correct[n] = 1 when argmax of the output row equals argmax of the target row, else 0.
  void per_sample_hits(Workspace& ws, const double* params, const Batch& batch, double* correct) const;
  /// losses[n] = l_n (unweighted); also leaves the forward pass in `ws`.
  void per_sample_losses(Workspace& ws, const double* params, const Batch& batch,
                         double* losses) const;
  /// out += scale * sum_n w_n g_n (restricted to subset); weights == nullptr means w_n = 1.
  /// With weights this is J^T w.
  void gradient(Workspace& ws, const double* params, const Batch& batch, const ParamSubset& subset,
                const double* weights, double scale, double* out) const;
  /// out += scale * sum_n H_n v (or G_n v), H_n the Hessian of l_n, restricted to subset.
  void curvature_product(Workspace& ws, const double* params, const Batch& batch,
                         const ParamSubset& subset, Curvature curvature, const double* v,
                         double scale, double* out) const;
  /// jv[n] = g_n . v for every sample of the batch (forward mode; overwrites jv[0..samples)).
  void jacobian_product(Workspace& ws, const double* params, const Batch& batch,
                        const ParamSubset& subset, const double* v, double* jv) const;
  /// Row n of out [samples x subset.size()] = g_n (overwritten).
  void per_sample_gradients(Workspace& ws, const double* params, const Batch& batch,
                            const ParamSubset& subset, double* out) const;
  /// Row n of out [samples x subset.size()] = H_n v (or G_n v) (overwritten).
  void per_sample_curvature_products(Workspace& ws, const double* params, const Batch& batch,
                                     const ParamSubset& subset, Curvature curvature,
                                     const double* v, double* out) const;

 private:
  void forward(Workspace& ws, const double* params, const Batch& batch) const;
  void r_forward(Workspace& ws, const double* params, const Batch& batch, const ParamSubset& subset,
                 const double* v) const;
  /// Propagates ws.dual(top) down the network, adding J_theta^T dual into `out`. With
  /// `directions`, also propagates the first-order gradient ws.primal(top) and adds the
  /// second-order R-backward terms: the result is then the Hessian product.
  void backpropagate(Workspace& ws, const double* params, const Batch& batch,
                     const ParamSubset& subset, const double* directions, double* out,
                     index sample_stride) const;
  void gradient_into(Workspace& ws, const double* params, const Batch& batch,
                     const ParamSubset& subset, const double* weights, double scale, double* out,
                     index sample_stride) const;
  void curvature_into(Workspace& ws, const double* params, const Batch& batch,
                      const ParamSubset& subset, Curvature curvature, const double* v,
                      double scale, double* out, index sample_stride) const;
  void check_batch(const Workspace& ws, const Batch& batch) const;
  [[nodiscard]] ConstBlocks blocks_of(const double* params, size_t layer) const;
  [[nodiscard]] ConstBlocks subset_blocks_of(const ParamSubset& subset, const double* v,
                                             size_t layer) const;
  [[nodiscard]] GradTarget target_of(const ParamSubset& subset, double* out, index stride,
                                     size_t layer) const;
  [[nodiscard]] size_t lowest_layer_in(const ParamSubset& subset) const;

  std::shared_ptr<const backend::Backend> backend_;
  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<std::string> names_;
  std::unique_ptr<Loss> loss_;
  ParamLayout layout_;
  std::vector<std::array<index, kMaxBlocks>> layer_blocks_;  // layout block ids, -1 if none
};

/// Scratch memory for products on batches of up to `capacity` samples: per layer boundary, the
/// activations, their R-derivatives, and the two backward quantities. Bound to one model.
class Workspace {
 public:
  Workspace(const Model& model, index capacity);
  [[nodiscard]] index capacity() const noexcept { return capacity_; }

 private:
  friend class Model;
  double* activation(size_t level) { return activations_[level].data(); }
  double* r_activation(size_t level) { return r_activations_[level].data(); }
  double* primal(size_t level) { return primals_[level].data(); }
  double* dual(size_t level) { return duals_[level].data(); }

  index capacity_;
  const Model* model_;
  std::vector<backend::Buffer<double>> activations_, r_activations_, primals_, duals_;
  std::vector<bool> r_live_;  // r_activation(level) holds a value (else it is zero)
};

}  // namespace hesscov::nn
