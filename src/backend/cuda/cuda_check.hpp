#pragma once
// Checked CUDA runtime and cuBLAS calls: every call goes through HC_CUDA / HC_CUBLAS.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <source_location>
#include <string>

#include "core/error.hpp"

namespace hesscov::backend::cuda {

class CudaError : public core::Error {
 public:
  using core::Error::Error;
};

inline void check_cuda(cudaError_t code, const char* call,
                       std::source_location where = std::source_location::current()) {
  if (code != cudaSuccess)
    throw CudaError(std::string(call) + " failed: " + cudaGetErrorName(code) + ": " +
                        cudaGetErrorString(code),
                    where);
}

inline void check_cublas(cublasStatus_t code, const char* call,
                         std::source_location where = std::source_location::current()) {
  if (code != CUBLAS_STATUS_SUCCESS)
    throw CudaError(std::string(call) + " failed: cuBLAS status " + std::to_string(int(code)), where);
}

}  // namespace hesscov::backend::cuda

#define HC_CUDA(call) ::hesscov::backend::cuda::check_cuda((call), #call)
#define HC_CUBLAS(call) ::hesscov::backend::cuda::check_cublas((call), #call)
