#include "nn/model.hpp"

#include <sstream>

#include "backend/common/vector_kernels.hpp"
#include "backend/for_each.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"

namespace hesscov::nn {

namespace kernels = backend::kernels;

Model::Model(std::shared_ptr<const backend::Backend> backend,
             std::vector<std::unique_ptr<Layer>> layers, std::vector<std::string> names,
             std::unique_ptr<Loss> loss)
    : backend_(std::move(backend)), layers_(std::move(layers)), names_(std::move(names)),
      loss_(std::move(loss)) {
  HC_CHECK(!layers_.empty(), core::DimensionMismatch, "a model needs at least one layer");
  HC_CHECK(names_.size() == layers_.size(), core::DimensionMismatch, "one name per layer expected");
  for (size_t l = 0; l < layers_.size(); ++l) {
    if (l > 0)
      HC_CHECK(layers_[l]->in_features() == layers_[l - 1]->out_features(),
               core::DimensionMismatch,
               "layer '" + names_[l] + "' takes " + std::to_string(layers_[l]->in_features()) +
                   " features but '" + names_[l - 1] + "' produces " +
                   std::to_string(layers_[l - 1]->out_features()));
    std::array<index, kMaxBlocks> ids{-1, -1};
    const auto specs = layers_[l]->param_specs();
    for (size_t k = 0; k < specs.size(); ++k)
      ids[k] = layout_.add(names_[l] + "." + specs[k].name, specs[k].shape);
    layer_blocks_.push_back(ids);
  }
}

std::string Model::summary() const {
  std::ostringstream text;
  for (size_t l = 0; l < layers_.size(); ++l) {
    index count = 0;
    for (index id : layer_blocks_[l])
      if (id >= 0) count += layout_.blocks()[static_cast<size_t>(id)].size;
    text << "  " << names_[l] << ": " << layers_[l]->kind() << " " << layers_[l]->in_features()
         << " -> " << layers_[l]->out_features() << ", " << count << " parameters\n";
  }
  text << "  loss: " << loss_->name() << "; total " << num_params() << " parameters";
  return text.str();
}

std::vector<double> Model::initial_parameters(std::uint64_t seed) const {
  std::vector<double> params(static_cast<size_t>(num_params()));
  for (size_t l = 0; l < layers_.size(); ++l) {
    const auto specs = layers_[l]->param_specs();
    for (size_t k = 0; k < specs.size(); ++k) {
      const auto& block = layout_.blocks()[static_cast<size_t>(layer_blocks_[l][k])];
      const core::CounterRng rng(seed, "init/" + block.name);
      for (index i = 0; i < block.size; ++i)
        params[static_cast<size_t>(block.offset + i)] =
            rng.uniform(static_cast<std::uint64_t>(i), -specs[k].init_bound, specs[k].init_bound);
    }
  }
  return params;
}

ConstBlocks Model::blocks_of(const double* params, size_t layer) const {
  ConstBlocks blocks{};
  for (int k = 0; k < kMaxBlocks; ++k) {
    const index id = layer_blocks_[layer][static_cast<size_t>(k)];
    if (id >= 0) blocks[static_cast<size_t>(k)] = params + layout_.blocks()[static_cast<size_t>(id)].offset;
  }
  return blocks;
}

ConstBlocks Model::subset_blocks_of(const ParamSubset& subset, const double* v, size_t layer) const {
  ConstBlocks blocks{};
  for (int k = 0; k < kMaxBlocks; ++k) {
    const index id = layer_blocks_[layer][static_cast<size_t>(k)];
    if (id >= 0 && subset.contains(id)) blocks[static_cast<size_t>(k)] = v + subset.offset_of(id);
  }
  return blocks;
}

GradTarget Model::target_of(const ParamSubset& subset, double* out, index stride,
                            size_t layer) const {
  GradTarget target;
  target.sample_stride = stride;
  for (int k = 0; k < kMaxBlocks; ++k) {
    const index id = layer_blocks_[layer][static_cast<size_t>(k)];
    if (id >= 0 && subset.contains(id)) target.block[static_cast<size_t>(k)] = out + subset.offset_of(id);
  }
  return target;
}

size_t Model::lowest_layer_in(const ParamSubset& subset) const {
  for (size_t l = 0; l < layers_.size(); ++l)
    for (index id : layer_blocks_[l])
      if (id >= 0 && subset.contains(id)) return l;
  throw core::Error("the parameter subset selects no block of this model");
}

void Model::check_batch(const Workspace& ws, const Batch& batch) const {
  HC_CHECK(ws.model_ == this, core::StateError, "workspace belongs to another model");
  HC_CHECK(batch.samples > 0 && batch.samples <= ws.capacity(), core::DimensionMismatch,
           "batch of " + std::to_string(batch.samples) + " samples for a workspace of " +
               std::to_string(ws.capacity()));
}

void Model::forward(Workspace& ws, const double* params, const Batch& batch) const {
  check_batch(ws, batch);
  const double* x = batch.inputs;
  for (size_t l = 0; l < layers_.size(); ++l) {
    layers_[l]->forward(*backend_, blocks_of(params, l), x, ws.activation(l + 1), batch.samples);
    x = ws.activation(l + 1);
  }
}

void Model::r_forward(Workspace& ws, const double* params, const Batch& batch,
                      const ParamSubset& subset, const double* v) const {
  bool live = false;  // R(input) = 0: the data do not depend on the parameters
  const double* x = batch.inputs;
  for (size_t l = 0; l < layers_.size(); ++l) {
    const ConstBlocks directions = subset_blocks_of(subset, v, l);
    const bool has_direction = directions[0] != nullptr || directions[1] != nullptr;
    if (live || has_direction) {
      layers_[l]->r_forward(*backend_, blocks_of(params, l), directions, x,
                            live ? ws.r_activation(l) : nullptr, ws.activation(l + 1),
                            ws.r_activation(l + 1), batch.samples);
      live = true;
    }
    ws.r_live_[l + 1] = live;
    x = ws.activation(l + 1);
  }
}

void Model::backpropagate(Workspace& ws, const double* params, const Batch& batch,
                          const ParamSubset& subset, const double* directions, double* out,
                          index sample_stride) const {
  const size_t lowest = lowest_layer_in(subset);
  for (size_t l = layers_.size(); l-- > lowest;) {
    const Layer& layer = *layers_[l];
    const ConstBlocks params_l = blocks_of(params, l);
    const double* x = l == 0 ? batch.inputs : ws.activation(l);
    const double* y = ws.activation(l + 1);
    const GradTarget target = target_of(subset, out, sample_stride, l);
    if (target.any()) layer.backward_params(*backend_, x, ws.dual(l + 1), target, batch.samples);
    const bool below = l > lowest;  // some layer underneath still needs the backward quantities
    if (below) layer.backward_input(*backend_, params_l, x, y, ws.dual(l + 1), ws.dual(l), batch.samples);
    if (directions == nullptr) continue;
    layer.r_backward_curvature(*backend_, params_l, subset_blocks_of(subset, directions, l), x,
                               ws.r_live_[l] ? ws.r_activation(l) : nullptr, y, ws.primal(l + 1),
                               below ? ws.dual(l) : nullptr, target, batch.samples);
    if (below)
      layer.backward_input(*backend_, params_l, x, y, ws.primal(l + 1), ws.primal(l), batch.samples);
  }
}

void Model::per_sample_losses(Workspace& ws, const double* params, const Batch& batch,
                              double* losses) const {
  forward(ws, params, batch);
  loss_->values(*backend_, ws.activation(layers_.size()), batch.targets, batch.samples,
                out_features(), losses);
}

void Model::per_sample_hits(Workspace& ws, const double* params, const Batch& batch, double* correct) const {
  forward(ws, params, batch);
  backend::for_each(*backend_, batch.samples,
                    kernels::RowArgmaxMatch{ws.activation(layers_.size()), batch.targets, out_features(), correct});
}

void Model::gradient(Workspace& ws, const double* params, const Batch& batch,
                     const ParamSubset& subset, const double* weights, double scale,
                     double* out) const {
  gradient_into(ws, params, batch, subset, weights, scale, out, 0);
}

void Model::per_sample_gradients(Workspace& ws, const double* params, const Batch& batch,
                                 const ParamSubset& subset, double* out) const {
  backend::for_each(*backend_, batch.samples * subset.size(), kernels::Fill{out, 0.0});
  gradient_into(ws, params, batch, subset, nullptr, 1.0, out, subset.size());
}

void Model::curvature_product(Workspace& ws, const double* params, const Batch& batch,
                              const ParamSubset& subset, Curvature curvature, const double* v,
                              double scale, double* out) const {
  curvature_into(ws, params, batch, subset, curvature, v, scale, out, 0);
}

void Model::per_sample_curvature_products(Workspace& ws, const double* params, const Batch& batch,
                                          const ParamSubset& subset, Curvature curvature,
                                          const double* v, double* out) const {
  backend::for_each(*backend_, batch.samples * subset.size(), kernels::Fill{out, 0.0});
  curvature_into(ws, params, batch, subset, curvature, v, 1.0, out, subset.size());
}

void Model::jacobian_product(Workspace& ws, const double* params, const Batch& batch,
                             const ParamSubset& subset, const double* v, double* jv) const {
  // g_n . v = (dl_n/dz) . (dz_n/dtheta v): the loss gradient in z against the R-forward output.
  forward(ws, params, batch);
  r_forward(ws, params, batch, subset, v);
  const size_t top = layers_.size();
  loss_->gradient(*backend_, ws.activation(top), batch.targets, batch.samples, out_features(),
                  nullptr, 1.0, ws.primal(top));
  backend::for_each(*backend_, batch.samples,
                    kernels::RowDot{ws.primal(top), ws.r_activation(top), out_features(), jv});
}

void Model::gradient_into(Workspace& ws, const double* params, const Batch& batch,
                          const ParamSubset& subset, const double* weights, double scale,
                          double* out, index sample_stride) const {
  forward(ws, params, batch);
  const size_t top = layers_.size();
  loss_->gradient(*backend_, ws.activation(top), batch.targets, batch.samples, out_features(),
                  weights, scale, ws.dual(top));
  backpropagate(ws, params, batch, subset, nullptr, out, sample_stride);
}

void Model::curvature_into(Workspace& ws, const double* params, const Batch& batch,
                           const ParamSubset& subset, Curvature curvature, const double* v,
                           double scale, double* out, index sample_stride) const {
  forward(ws, params, batch);
  r_forward(ws, params, batch, subset, v);
  const size_t top = layers_.size();
  const bool gauss_newton = curvature == Curvature::gauss_newton;
  // The dual carries R(dl/dz) = (d^2 l/dz^2) Rz; the Hessian also needs dl/dz itself (primal) for
  // the layers' second-order terms, which the Gauss-Newton product leaves out.
  loss_->hessian(*backend_, ws.activation(top), batch.targets, ws.r_activation(top), batch.samples,
                 out_features(), nullptr, scale, gauss_newton, ws.dual(top));
  if (!gauss_newton)
    loss_->gradient(*backend_, ws.activation(top), batch.targets, batch.samples, out_features(),
                    nullptr, scale, ws.primal(top));
  backpropagate(ws, params, batch, subset, gauss_newton ? nullptr : v, out, sample_stride);
}

Workspace::Workspace(const Model& model, index capacity) : capacity_(capacity), model_(&model) {
  HC_CHECK(capacity > 0, core::DimensionMismatch, "workspace capacity must be positive");
  const auto& backend = model.backend_ptr();
  const size_t levels = model.layers().size() + 1;
  for (size_t level = 0; level < levels; ++level) {
    const index width = level == 0 ? model.in_features() : model.layers()[level - 1]->out_features();
    const index count = level == 0 ? 0 : capacity * width;  // level 0 is the caller's batch
    activations_.emplace_back(backend, count);
    r_activations_.emplace_back(backend, count);
    primals_.emplace_back(backend, count);
    duals_.emplace_back(backend, count);
  }
  r_live_.assign(levels, false);
}

}  // namespace hesscov::nn
