// Device launch of the single-source kernels listed in common/kernel_list.hpp.
#include <algorithm>

#include "backend/common/kernel_list.hpp"
#include "backend/cuda/launch_check.hpp"
#include "backend/for_each.hpp"

namespace hesscov::backend::cuda {
namespace {

constexpr int kThreadsPerBlock = 256;

template <class Functor>
__global__ void for_each_kernel(index n, Functor f) {
  // Grid-stride loop: one launch covers any n with a bounded grid.
  const index stride = static_cast<index>(gridDim.x) * blockDim.x;
  for (index i = static_cast<index>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) f(i);
}

}  // namespace

template <class Functor>
void for_each(index n, const Functor& f) {
  const index blocks = std::min<index>((n + kThreadsPerBlock - 1) / kThreadsPerBlock, 65535 * 8);
  for_each_kernel<<<static_cast<unsigned>(blocks), kThreadsPerBlock>>>(n, f);
  check_launch(cudaGetLastError(), "kernel launch");
}

#define HC_INSTANTIATE_FOR_EACH(Kernel) \
  template void for_each<kernels::Kernel>(index, const kernels::Kernel&);
HC_FOR_EACH_KERNEL(HC_INSTANTIATE_FOR_EACH)
#undef HC_INSTANTIATE_FOR_EACH

}  // namespace hesscov::backend::cuda
