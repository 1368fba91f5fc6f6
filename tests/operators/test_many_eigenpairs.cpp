// Thousands of eigenpairs: the top 1,000 of the 2,500-parameter hidden-to-hidden block (fc2.weight)
// of the 784-50-50-10 MLP of the alignment study, from SLEPc against LAPACK on the assembled block.
#include <gtest/gtest.h>
#include <slepcsys.h>

#include <cmath>

#include "backend/backend.hpp"
#include "comm/communicator.hpp"
#include "operators/curvature_operator.hpp"
#include "operators/petsc_check.hpp"
#include "spectral/eigen_solver.hpp"
#include "support/reference.hpp"

namespace hesscov::testing {
namespace {

TEST(ManyEigenpairs, Top1000OfA2500ParameterBlockEqualLapack) {
  HC_PETSC(SlepcInitializeNoArguments());
  {
    const auto world = comm::Communicator::borrow(PETSC_COMM_WORLD);
    const auto model = nn::make_mlp(backend::make_cpu_backend(),
                                    {{784, 50, 50, 10}, false, nn::ActivationKind::relu, "cross_entropy"});
    // 300 samples: the block's rank (<= 300 x 9 for a softmax loss) exceeds 1,000.
    const SyntheticData data = synthetic_data(300, 784, 10, "cross_entropy", 101);
    nn::DatasetEvaluator evaluator(*model, world, data.inputs, data.targets, 300);
    const auto block = nn::ParamSubset::of(model->layout(), {"fc2.weight"});
    operators::CurvatureOperator op(evaluator, world, block, {}, model->initial_parameters(7));
    ASSERT_EQ(op.size(), 2500);

    const auto reference = spectral::dense_symmetric_eigen(spectral::assemble_dense(op.mat()), op.size(), false);
    spectral::EigenRequest request;
    request.nev = 1000;
    request.mpd = 300;  // bounded memory: the projected problem stays 300 x 300
    request.tol = 1e-10;
    const auto result = spectral::solve_eigenproblem(op.mat(), request);
    ASSERT_EQ(result.values.size(), 1000u);
    const double scale = reference.values.back();
    double worst = 0.0;
    for (size_t i = 0; i < 1000; ++i)
      worst = std::max(worst, std::abs(result.values[i] - reference.values[reference.values.size() - 1 - i]) / scale);
    EXPECT_LT(worst, 1e-8);
    EXPECT_LT(result.orthogonality, 1e-10);
    // The 1,000th eigenvalue must be well away from zero for the comparison to mean something.
    EXPECT_GT(result.values[999], 1e-6 * scale);
    std::printf("top 1000 of 2500: %zu products, %.1f s, worst |dlambda|/lambda_max %.2e, lambda_1000/lambda_1 %.2e\n",
                static_cast<size_t>(op.products()), result.seconds, worst, result.values[999] / scale);
  }
  HC_PETSC(SlepcFinalize());
}

}  // namespace
}  // namespace hesscov::testing
