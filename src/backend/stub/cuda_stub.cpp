// Builds without nvcc: the CUDA entry points link and throw NotCompiled (Ginkgo's device hooks),
// so a request for CUDA fails loudly instead of falling back to the CPU.
#include "backend/backend.hpp"
#include "backend/common/kernel_list.hpp"
#include "backend/for_each.hpp"
#include "core/error.hpp"

namespace hesscov::backend {

std::shared_ptr<const Backend> make_cuda_backend(int) { throw core::NotCompiled("the CUDA backend"); }

int cuda_device_count() noexcept { return 0; }

namespace cuda {
template <class Functor>
void for_each(index, const Functor&) {
  throw core::NotCompiled("the CUDA backend");
}
#define HC_INSTANTIATE_FOR_EACH(Kernel) \
  template void for_each<kernels::Kernel>(index, const kernels::Kernel&);
HC_FOR_EACH_KERNEL(HC_INSTANTIATE_FOR_EACH)
#undef HC_INSTANTIATE_FOR_EACH
}  // namespace cuda

}  // namespace hesscov::backend
