#pragma once
// The roofline of the machine a benchmark runs on (Williams, Waterman, Patterson 2009): the peak
// FLOP rate and the memory bandwidth, given on the command line or measured by two small
// calibration kernels on every rank at once (the ranks share the node, so their sum is what the
// products, which also run on every rank, can reach):
//   FLOP rate: a square DGEMM (n = 1024 on the CPU, 4096 on a device) through the backend;
//   bandwidth: a copy of 2^25 doubles (256 MiB) through the backend, 2 x 256 MiB moved.
// A product of arithmetic intensity I = FLOPs/bytes is bounded by min(peak, I x bandwidth).
#include <string>

#include "backend/backend.hpp"
#include "comm/communicator.hpp"

namespace hesscov::bench {

struct Roofline {
  double peak_gflops = 0.0;     ///< all ranks together
  double bandwidth_gbs = 0.0;   ///< GB/s (1e9 bytes), all ranks together
  std::string source;           ///< "measured" or "given"

  /// min(peak, intensity x bandwidth) in GFLOP/s, intensity in FLOP/byte.
  [[nodiscard]] double bound_gflops(double intensity) const;
};

/// The calibration kernels above on `backend`, on every rank of `comm` at once (best of 5 each).
/// Collective.
Roofline measure_roofline(const backend::Backend& backend, const comm::Communicator& comm);

}  // namespace hesscov::bench
