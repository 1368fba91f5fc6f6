#include "bench/roofline.hpp"

#include <mpi.h>

#include <algorithm>
#include <vector>

#include "bench/timing.hpp"

namespace hesscov::bench {

double Roofline::bound_gflops(double intensity) const { return std::min(peak_gflops, intensity * bandwidth_gbs); }

namespace {

/// Device memory of `count` doubles from `backend`, filled from the host.
struct DeviceArray {
  DeviceArray(const backend::Backend& be, std::size_t count, double fill) : backend(be), size(count) {
    data = static_cast<double*>(backend.allocate(count * sizeof(double)));
    const std::vector<double> host(count, fill);
    backend.copy_from_host(data, host.data(), count * sizeof(double));
  }
  ~DeviceArray() { backend.deallocate(data); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  const backend::Backend& backend;
  std::size_t size;
  double* data = nullptr;
};

/// Seconds of the slowest rank, best of 5, for `kernel` run on every rank at once.
double best_seconds(const comm::Communicator& comm, const backend::Backend& backend, const std::function<void()>& kernel) {
  return time_collective(comm, nullptr, 5, [&] {
           kernel();
           backend.synchronize();
           return 0.0;
         }).best;
}

}  // namespace

Roofline measure_roofline(const backend::Backend& backend, const comm::Communicator& comm) {
  const index n = backend.is_device() ? 4096 : 1024;
  const auto square = static_cast<std::size_t>(n * n);
  DeviceArray a(backend, square, 1.0), b(backend, square, 0.5), c(backend, square, 0.0);
  const double gemm = best_seconds(comm, backend, [&] {
    backend.gemm(backend::Transpose::no, backend::Transpose::no, n, n, n, 1.0, a.data, n, b.data, n, 0.0, c.data, n);
  });
  constexpr std::size_t kCopy = std::size_t{1} << 25;
  DeviceArray from(backend, kCopy, 1.0), to(backend, kCopy, 0.0);
  const double copy = best_seconds(comm, backend, [&] { backend.copy(to.data, from.data, kCopy * sizeof(double)); });
  const double ranks = static_cast<double>(comm.size());
  Roofline roofline;
  roofline.peak_gflops = ranks * 2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n) / gemm * 1e-9;
  roofline.bandwidth_gbs = ranks * 2.0 * static_cast<double>(kCopy * sizeof(double)) / copy * 1e-9;
  roofline.source = "measured";
  return roofline;
}

}  // namespace hesscov::bench
