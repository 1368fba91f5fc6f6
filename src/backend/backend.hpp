#pragma once
// The executor (Ginkgo's pattern): an algorithm is written once and asks the Backend it was built
// on where memory lives and where kernels run. Layers, losses and operators hold a
// std::shared_ptr<const Backend>; nothing in nn/ branches on CPU vs CUDA itself.
#include <cstddef>
#include <memory>
#include <string>

#include "backend/types.hpp"

namespace hesscov::backend {

enum class Transpose { no, yes };

/// Where buffers live and kernels run. Implementations: CPU (host memory, OpenBLAS) and CUDA
/// (device memory, cuBLAS). Thread-compatible: one Backend may be shared by the objects of a run.
class Backend {
 public:
  virtual ~Backend() = default;
  /// "cpu" or "cuda:<device>".
  [[nodiscard]] virtual std::string name() const = 0;
  /// True when buffers are device memory that host code must not dereference.
  [[nodiscard]] virtual bool is_device() const noexcept = 0;

  /// Uninitialised memory on this backend's side; release with deallocate(). Throws on failure.
  [[nodiscard]] virtual void* allocate(std::size_t bytes) const = 0;
  virtual void deallocate(void* pointer) const noexcept = 0;
  /// Blocking copies; `bytes` may be 0. Host pointers are ordinary host memory.
  virtual void copy_to_host(void* host_dst, const void* src, std::size_t bytes) const = 0;
  virtual void copy_from_host(void* dst, const void* host_src, std::size_t bytes) const = 0;
  virtual void copy(void* dst, const void* src, std::size_t bytes) const = 0;
  /// Waits until every kernel queued on this backend has finished.
  virtual void synchronize() const = 0;

  /// Row-major C[m x n] = alpha * op(A)[m x k] * op(B)[k x n] + beta * C, fp64, all operands on
  /// this backend's side. lda/ldb/ldc are row strides of the stored (untransposed) matrices.
  virtual void gemm(Transpose trans_a, Transpose trans_b, index m, index n, index k, double alpha,
                    const double* a, index lda, const double* b, index ldb, double beta, double* c,
                    index ldc) const = 0;
};

/// The host backend: malloc'd memory, OpenBLAS GEMM, kernels as plain loops.
std::shared_ptr<const Backend> make_cpu_backend();

/// The CUDA backend on `device` (cudaSetDevice index). Throws core::NotCompiled in builds without
/// CUDA and core::Error when the device does not exist.
std::shared_ptr<const Backend> make_cuda_backend(int device);

/// Number of CUDA devices visible to this process; 0 without CUDA (build or driver).
int cuda_device_count() noexcept;

/// "cpu" -> CPU backend; "cuda" -> CUDA backend on `device`. Anything else throws core::Error.
std::shared_ptr<const Backend> make_backend(const std::string& kind, int device = 0);

}  // namespace hesscov::backend
