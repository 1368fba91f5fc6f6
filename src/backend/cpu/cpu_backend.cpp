#include <cblas.h>

#include <cstdlib>
#include <cstring>
#include <new>

#include "backend/backend.hpp"
#include "core/error.hpp"

namespace hesscov::backend {
namespace {

CBLAS_TRANSPOSE to_cblas(Transpose t) { return t == Transpose::yes ? CblasTrans : CblasNoTrans; }

class CpuBackend final : public Backend {
 public:
  std::string name() const override { return "cpu"; }
  bool is_device() const noexcept override { return false; }

  void* allocate(std::size_t bytes) const override {
    if (bytes == 0) return nullptr;
    // 64-byte alignment keeps OpenBLAS on its aligned paths.
    void* pointer = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (pointer == nullptr) throw std::bad_alloc();
    return pointer;
  }
  void deallocate(void* pointer) const noexcept override { std::free(pointer); }
  void copy_to_host(void* dst, const void* src, std::size_t bytes) const override {
    if (bytes) std::memcpy(dst, src, bytes);
  }
  void copy_from_host(void* dst, const void* src, std::size_t bytes) const override {
    if (bytes) std::memcpy(dst, src, bytes);
  }
  void copy(void* dst, const void* src, std::size_t bytes) const override {
    if (bytes) std::memmove(dst, src, bytes);
  }
  void synchronize() const override {}

  void gemm(Transpose trans_a, Transpose trans_b, index m, index n, index k, double alpha,
            const double* a, index lda, const double* b, index ldb, double beta, double* c,
            index ldc) const override {
    if (m == 0 || n == 0) return;
    if (k == 0) {  // BLAS leaves C untouched only for beta == 1; make k == 0 mean "scale C".
      for (index i = 0; i < m; ++i)
        for (index j = 0; j < n; ++j) c[i * ldc + j] = beta == 0.0 ? 0.0 : beta * c[i * ldc + j];
      return;
    }
    HC_CHECK(m <= kBlasIntMax && n <= kBlasIntMax && k <= kBlasIntMax && lda <= kBlasIntMax &&
                 ldb <= kBlasIntMax && ldc <= kBlasIntMax,
             core::DimensionMismatch, "gemm dimensions exceed the 32-bit BLAS integer range");
    cblas_dgemm(CblasRowMajor, to_cblas(trans_a), to_cblas(trans_b), static_cast<int>(m),
                static_cast<int>(n), static_cast<int>(k), alpha, a, static_cast<int>(lda), b,
                static_cast<int>(ldb), beta, c, static_cast<int>(ldc));
  }

 private:
  static constexpr index kBlasIntMax = 2147483647;
};

}  // namespace

std::shared_ptr<const Backend> make_cpu_backend() { return std::make_shared<CpuBackend>(); }

std::shared_ptr<const Backend> make_backend(const std::string& kind, int device) {
  if (kind == "cpu") return make_cpu_backend();
  if (kind == "cuda") return make_cuda_backend(device);
  throw core::Error("unknown backend '" + kind + "': expected 'cpu' or 'cuda'");
}

}  // namespace hesscov::backend
