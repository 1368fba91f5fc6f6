#include "nn/loss.hpp"

#include "backend/common/loss_kernels.hpp"
#include "backend/for_each.hpp"
#include "core/error.hpp"

namespace hesscov::nn {
namespace {

namespace kernels = backend::kernels;

/// One Loss per kernel family: the maths lives in backend/common/loss_kernels.hpp.
template <class Kernel>
class KernelLoss final : public Loss {
 public:
  explicit KernelLoss(std::string name) : name_(std::move(name)) {}
  std::string name() const override { return name_; }
  void values(const backend::Backend& be, const double* z, const double* t, index samples,
              index classes, double* out) const override {
    backend::for_each(be, samples, kernels::LossValue<Kernel>{z, t, classes, out});
  }
  void gradient(const backend::Backend& be, const double* z, const double* t, index samples,
                index classes, const double* weights, double scale, double* out) const override {
    backend::for_each(be, samples,
                      kernels::LossGradient<Kernel>{z, t, classes, weights, scale, out});
  }
  void hessian(const backend::Backend& be, const double* z, const double* t, const double* r,
               index samples, index classes, const double* weights, double scale,
               bool gauss_newton, double* out) const override {
    backend::for_each(be, samples,
                      kernels::LossHessian<Kernel>{z, t, r, classes, weights, scale, gauss_newton,
                                                   out});
  }

 private:
  std::string name_;
};

}  // namespace

std::unique_ptr<Loss> make_loss(const std::string& name) {
  if (name == "cross_entropy") return std::make_unique<KernelLoss<kernels::CrossEntropy>>(name);
  if (name == "mse") return std::make_unique<KernelLoss<kernels::SquaredError>>(name);
  if (name == "softmax_mse")
    return std::make_unique<KernelLoss<kernels::SoftmaxSquaredError>>(name);
  throw core::Error("unknown loss '" + name + "': expected cross_entropy, mse or softmax_mse");
}

void smooth_targets(std::vector<double>& targets, index classes, double epsilon) {
  HC_CHECK(epsilon >= 0.0 && epsilon < 1.0, core::Error,
           "label smoothing " + std::to_string(epsilon) + ": expected 0 <= epsilon < 1");
  HC_CHECK(classes > 0 && targets.size() % static_cast<size_t>(classes) == 0, core::DimensionMismatch,
           "targets are not rows of " + std::to_string(classes) + " classes");
  if (epsilon == 0.0) return;
  for (auto& t : targets) t = (1.0 - epsilon) * t + epsilon / static_cast<double>(classes);
}

}  // namespace hesscov::nn
