#pragma once
// Single-source kernels (MFEM's forall, Ginkgo's unified kernels): a kernel is a functor with an
// HC_HOST_DEVICE `operator()(index i)` defined once under backend/common/. for_each runs it for
// i in [0, n) on the backend it is given: a loop on the host, a CUDA grid on the device. Every
// functor type launched on CUDA is listed in common/kernel_list.hpp, where cuda/for_each.cu
// instantiates the device launch (and stub/ a NotCompiled thrower in builds without CUDA).
#include "backend/backend.hpp"

namespace hesscov::backend {

namespace cuda {
/// Launches f(i), i in [0, n), on the current CUDA device's default stream (asynchronous).
template <class Functor>
void for_each(index n, const Functor& f);
}  // namespace cuda

template <class Functor>
void for_each(const Backend& backend, index n, const Functor& f) {
  if (n <= 0) return;
  if (backend.is_device()) {
    cuda::for_each(n, f);
    return;
  }
  for (index i = 0; i < n; ++i) f(i);
}

}  // namespace hesscov::backend
