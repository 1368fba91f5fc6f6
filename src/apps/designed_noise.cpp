#include "apps/designed_noise.hpp"

#include <mpi.h>

#include <cmath>

#include "apps/eig_stage.hpp"
#include "core/rng.hpp"

namespace hesscov::apps {

void add_designed_noise_keys(core::Schema& schema) {
  schema.add_choice("train.noise.kind", "none", {"none", "designed"},
                    "designed: add Gaussian noise with covariance sum_i c(lambda_i) v_i v_i^T in the Hessian's "
                    "top eigenbasis to every gradient (with train.batch_size = N: noisy gradient descent)");
  schema.add_double("train.noise.scale", 1.0, "c(lambda) = scale * lambda^power (kappa for SGD-like noise)", {.min = 0.0});
  schema.add_double("train.noise.power", 1.0, "1: SGD-like (C = kappa H), 0: isotropic on the top subspace", {});
  schema.add_double("train.noise.threshold", 0.0, "directions with lambda <= threshold get no noise", {.min = 0.0});
  schema.add_int("train.noise.nev", 0, "eigenpairs of the noise's basis (0: eig.nev)", {.min = 0});
  schema.add_int("train.noise.refresh", 1, "steps between recomputations of the eigenpairs", {.min = 1});
}

DesignedNoise::DesignedNoise(const RunSetup& run, const comm::Communicator& comm, const core::Logger& log)
    : run_(run), comm_(comm), log_(log), subset_(subset_of(run, "eig.blocks")),
      scale_(run.config.get_double("train.noise.scale")), power_(run.config.get_double("train.noise.power")),
      threshold_(run.config.get_double("train.noise.threshold")), refresh_(run.config.get_int("train.noise.refresh")) {
  if (run.config.get_string("eig.method") != "slepc")
    throw run.config.error("eig.method", "slepc (designed noise needs the eigenvectors)");
}

void DesignedNoise::refresh(const std::vector<double>& params) {
  core::Config config = run_.config;
  if (const index nev = config.get_int("train.noise.nev"); nev > 0) config.set_override("eig.nev", std::to_string(nev));
  nn::DatasetEvaluator products = shard_evaluator(run_, comm_, config.get_int("eig.batch_size"));
  operators::CurvatureOperator hessian(products, comm_, subset_, {operators::OperatorKind::hessian, true, {}}, params);
  const core::Logger quiet(1);  // every refresh would print its solve: keep the training log readable
  const auto eigen = extract(hessian, config, spectral::Which::largest, quiet);
  frame_ = frame_of(eigen, subset_.size());
  eigenvalues_ = eigen.values;
  amplitudes_.clear();
  for (const double lambda : eigen.values)
    amplitudes_.push_back(lambda > threshold_ && lambda > 0.0 ? std::sqrt(scale_ * std::pow(lambda, power_)) : 0.0);
}

void DesignedNoise::operator()(index step, const std::vector<double>& params, std::vector<double>& gradient) {
  if (step % refresh_ == 0 || frame_.columns == 0) refresh(params);
  const core::CounterRng rng(run_.seed, "designed_noise");
  const index k = frame_.columns, rows = frame_.row_count;
  std::vector<double> weights(static_cast<size_t>(k));
  for (index i = 0; i < k; ++i)
    weights[static_cast<size_t>(i)] = amplitudes_[static_cast<size_t>(i)] * rng.normal(static_cast<std::uint64_t>(step * k + i));
  std::vector<double> mine(static_cast<size_t>(rows), 0.0);  // this rank's rows of ξ = V w
  for (index i = 0; i < k; ++i)
    for (index r = 0; r < rows; ++r) mine[static_cast<size_t>(r)] += weights[static_cast<size_t>(i)] * frame_.column(i)[r];
  std::vector<int> counts(static_cast<size_t>(comm_.size())), offsets(static_cast<size_t>(comm_.size()), 0);
  const int count = static_cast<int>(rows);
  HC_MPI(MPI_Allgather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, comm_.get()));
  for (size_t r = 1; r < counts.size(); ++r) offsets[r] = offsets[r - 1] + counts[r - 1];
  std::vector<double> noise(static_cast<size_t>(subset_.size()));
  HC_MPI(MPI_Allgatherv(mine.data(), count, MPI_DOUBLE, noise.data(), counts.data(), offsets.data(), MPI_DOUBLE,
                        comm_.get()));
  const auto full = subset_.embed(run_.model->layout(), noise);
  for (size_t j = 0; j < gradient.size(); ++j) gradient[j] += full[j];
}

}  // namespace hesscov::apps
