#pragma once
// C++17-clean bridge for the .cu files (compiled as C++17): a failed launch is reported through
// this function, defined in C++20 host code, which throws CudaError.
#include <cuda_runtime.h>

namespace hesscov::backend::cuda {
void check_launch(cudaError_t code, const char* what);
}
