// The CUDA backend: device memory, cuBLAS GEMM, kernels through cuda::for_each.
#include <memory>

#include "backend/backend.hpp"
#include "backend/cuda/cuda_check.hpp"
#include "backend/cuda/launch_check.hpp"

namespace hesscov::backend {
namespace {

cublasOperation_t to_cublas(Transpose t) { return t == Transpose::yes ? CUBLAS_OP_T : CUBLAS_OP_N; }

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(int device) : device_(device) {
    const int count = cuda_device_count();
    HC_CHECK(device >= 0 && device < count, core::Error,
             "CUDA device " + std::to_string(device) + " requested but " + std::to_string(count) +
                 " device(s) are visible");
    HC_CUDA(cudaSetDevice(device_));
    HC_CUBLAS(cublasCreate(&handle_));
  }
  ~CudaBackend() override {
    if (handle_ != nullptr) cublasDestroy(handle_);
  }
  CudaBackend(const CudaBackend&) = delete;
  CudaBackend& operator=(const CudaBackend&) = delete;

  std::string name() const override { return "cuda:" + std::to_string(device_); }
  bool is_device() const noexcept override { return true; }

  void* allocate(std::size_t bytes) const override {
    void* pointer = nullptr;
    if (bytes > 0) HC_CUDA(cudaMalloc(&pointer, bytes));
    return pointer;
  }
  void deallocate(void* pointer) const noexcept override {
    if (pointer != nullptr) cudaFree(pointer);
  }
  void copy_to_host(void* dst, const void* src, std::size_t bytes) const override {
    if (bytes) HC_CUDA(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost));
  }
  void copy_from_host(void* dst, const void* src, std::size_t bytes) const override {
    if (bytes) HC_CUDA(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice));
  }
  void copy(void* dst, const void* src, std::size_t bytes) const override {
    if (bytes) HC_CUDA(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToDevice));
  }
  void synchronize() const override { HC_CUDA(cudaDeviceSynchronize()); }

  void gemm(Transpose trans_a, Transpose trans_b, index m, index n, index k, double alpha,
            const double* a, index lda, const double* b, index ldb, double beta, double* c,
            index ldc) const override {
    if (m == 0 || n == 0) return;
    // Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: swap the operands.
    HC_CUBLAS(cublasDgemm(handle_, to_cublas(trans_b), to_cublas(trans_a), static_cast<int>(n),
                          static_cast<int>(m), static_cast<int>(k), &alpha, b, static_cast<int>(ldb),
                          a, static_cast<int>(lda), &beta, c, static_cast<int>(ldc)));
  }

 private:
  int device_;
  cublasHandle_t handle_ = nullptr;
};

}  // namespace

std::shared_ptr<const Backend> make_cuda_backend(int device) {
  return std::make_shared<CudaBackend>(device);
}

namespace cuda {
void check_launch(cudaError_t code, const char* what) { check_cuda(code, what); }
}  // namespace cuda

int cuda_device_count() noexcept {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) return 0;
  return count;
}

}  // namespace hesscov::backend
