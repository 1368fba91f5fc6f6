#pragma once
// A backend that forwards every call to the one it wraps and counts, per GEMM, 2mnk FLOPs and the
// GEMM's compulsory memory traffic 8(mk + kn + mn) bytes (each operand read once and C written
// once; C read too, +8mn, when beta != 0). Elementwise kernels (activations, pooling, im2col, the
// loss) are counted in neither: the FLOPs are the products' GEMM work, the bytes a lower bound of
// their memory traffic, which puts a product on the roofline by its GEMMs (docs/performance.md).
// Not thread-safe: a rank runs its products on one thread.
#include <memory>

#include "backend/backend.hpp"

namespace hesscov::bench {

struct WorkCount {
  double flops = 0.0;
  double bytes = 0.0;
};

class CountingBackend final : public backend::Backend {
 public:
  explicit CountingBackend(std::shared_ptr<const Backend> inner) : inner_(std::move(inner)) {}
  std::string name() const override { return inner_->name(); }
  bool is_device() const noexcept override { return inner_->is_device(); }
  void* allocate(std::size_t bytes) const override { return inner_->allocate(bytes); }
  void deallocate(void* pointer) const noexcept override { inner_->deallocate(pointer); }
  void copy_to_host(void* dst, const void* src, std::size_t bytes) const override { inner_->copy_to_host(dst, src, bytes); }
  void copy_from_host(void* dst, const void* src, std::size_t bytes) const override {
    inner_->copy_from_host(dst, src, bytes);
  }
  void copy(void* dst, const void* src, std::size_t bytes) const override { inner_->copy(dst, src, bytes); }
  void synchronize() const override { inner_->synchronize(); }
  void gemm(backend::Transpose trans_a, backend::Transpose trans_b, index m, index n, index k, double alpha,
            const double* a, index lda, const double* b, index ldb, double beta, double* c, index ldc) const override {
    const double dm = static_cast<double>(m), dn = static_cast<double>(n), dk = static_cast<double>(k);
    count_.flops += 2.0 * dm * dn * dk;
    count_.bytes += 8.0 * (dm * dk + dk * dn + dm * dn * (beta != 0.0 ? 2.0 : 1.0));
    inner_->gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }
  /// The work counted on this rank since the last call.
  WorkCount take() const {
    const WorkCount count = count_;
    count_ = {};
    return count;
  }

 private:
  std::shared_ptr<const Backend> inner_;
  mutable WorkCount count_;
};

}  // namespace hesscov::bench
