#pragma once
// Basic types shared by every backend and by device code.
#include <cstdint>

#if defined(__CUDACC__)
#define HC_HOST_DEVICE __host__ __device__
#else
#define HC_HOST_DEVICE
#endif

namespace hesscov {
/// Signed 64-bit index for every size and offset: parameter counts times basis sizes exceed 2^31.
using index = std::int64_t;
}  // namespace hesscov
