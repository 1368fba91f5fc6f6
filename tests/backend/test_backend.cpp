// The backend executor: GEMM in every transpose combination against a naive triple loop, buffers,
// kernel dispatch, and the CUDA entry points (against the CPU when a GPU exists, skipped otherwise).
#include <gtest/gtest.h>

#include "backend/buffer.hpp"
#include "backend/common/vector_kernels.hpp"
#include "backend/for_each.hpp"
#include "core/error.hpp"
#include "support/reference.hpp"

namespace hesscov::testing {
namespace {

using backend::Transpose;

/// Element (i, j) of op(A) for a row-major stored A with row stride ld.
double element(const Vector& a, index ld, Transpose t, index i, index j) {
  return t == Transpose::no ? a[static_cast<size_t>(i * ld + j)] : a[static_cast<size_t>(j * ld + i)];
}

TEST(CpuBackend, GemmMatchesTripleLoopForEveryTransposeAndStride) {
  const auto cpu = backend::make_cpu_backend();
  const index m = 5, n = 3, k = 4, pad = 2;
  for (auto ta : {Transpose::no, Transpose::yes})
    for (auto tb : {Transpose::no, Transpose::yes}) {
      const index lda = (ta == Transpose::no ? k : m) + pad, ldb = (tb == Transpose::no ? n : k) + pad;
      const index ldc = n + pad;
      const Vector a = random_vector((ta == Transpose::no ? m : k) * lda, 1);
      const Vector b = random_vector((tb == Transpose::no ? k : n) * ldb, 2);
      Vector c = random_vector(m * ldc, 3);
      Vector expected = c;
      for (index i = 0; i < m; ++i)
        for (index j = 0; j < n; ++j) {
          double sum = 0.0;
          for (index p = 0; p < k; ++p) sum += element(a, lda, ta, i, p) * element(b, ldb, tb, p, j);
          expected[static_cast<size_t>(i * ldc + j)] = 0.5 * sum + 2.0 * expected[static_cast<size_t>(i * ldc + j)];
        }
      cpu->gemm(ta, tb, m, n, k, 0.5, a.data(), lda, b.data(), ldb, 2.0, c.data(), ldc);
      EXPECT_LT(relative_error(c, expected), 1e-15);
    }
}

TEST(CpuBackend, GemmWithEmptyInnerDimensionScalesC) {
  const auto cpu = backend::make_cpu_backend();
  Vector c{1.0, 2.0, 3.0, 4.0};
  cpu->gemm(Transpose::no, Transpose::no, 2, 2, 0, 1.0, nullptr, 1, nullptr, 2, 3.0, c.data(), 2);
  EXPECT_EQ(c, (Vector{3.0, 6.0, 9.0, 12.0}));
}

TEST(Buffer, RoundTripsThroughTheHostAndChecksSizes) {
  backend::Buffer<double> buffer(backend::make_cpu_backend(), Vector{1.0, 2.0, 3.0});
  backend::for_each(buffer.backend(), buffer.size(), backend::kernels::Scale{2.0, buffer.data()});
  EXPECT_EQ(buffer.to_host(), (Vector{2.0, 4.0, 6.0}));
  EXPECT_THROW(buffer.from_host(Vector{1.0}), core::DimensionMismatch);
  backend::Buffer<double> moved = std::move(buffer);
  EXPECT_EQ(moved.size(), 3);
  EXPECT_EQ(buffer.size(), 0);  // NOLINT(bugprone-use-after-move): the moved-from state is defined
}

TEST(Backend, UnknownKindNamesTheValue) {
  try {
    (void)backend::make_backend("tpu");
    FAIL() << "accepted an unknown backend";
  } catch (const core::Error& error) {
    EXPECT_NE(std::string(error.what()).find("'tpu'"), std::string::npos);
  }
}

TEST(Backend, CudaRequestFailsLoudlyWithoutADevice) {
  if (backend::cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is present";
#if defined(HESSCOV_HAVE_CUDA)
  EXPECT_THROW((void)backend::make_cuda_backend(0), core::Error);
#else
  EXPECT_THROW((void)backend::make_cuda_backend(0), core::NotCompiled);
#endif
}

/// Tier (b) of STYLE.md: the CUDA backend against the CPU at sizes above a warp.
TEST(CudaBackend, ModelProductsEqualTheCpuBackend) {
  if (backend::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device visible: GPU test not run";
  const auto cpu = backend::make_cpu_backend();
  const auto gpu = backend::make_cuda_backend(0);
  for (const char* loss : {"cross_entropy", "mse", "softmax_mse"}) {
    const nn::MlpSpec spec{{37, 41, 33, 10}, true, nn::ActivationKind::tanh, loss};
    const auto host_model = nn::make_mlp(cpu, spec);
    const auto device_model = nn::make_mlp(gpu, spec);
    const SyntheticData data = synthetic_data(70, 37, 10, loss, 5);
    const Vector params = host_model->initial_parameters(2);
    const auto all = nn::ParamSubset::all(host_model->layout());
    const Vector v = random_vector(all.size(), 6);

    HostProblem host(*host_model, data);
    const Vector host_hv = host.curvature(params, all, nn::Curvature::hessian, v);

    backend::Buffer<double> inputs(gpu, data.inputs), targets(gpu, data.targets), theta(gpu, params),
        direction(gpu, v), out(gpu, Vector(v.size(), 0.0));
    nn::Workspace ws(*device_model, data.samples);
    device_model->curvature_product(ws, theta.data(), {inputs.data(), targets.data(), data.samples}, all,
                                    nn::Curvature::hessian, direction.data(),
                                    1.0 / static_cast<double>(data.samples), out.data());
    EXPECT_LT(relative_error(out.to_host(), host_hv), 1e-12) << loss;
  }
}

}  // namespace
}  // namespace hesscov::testing
