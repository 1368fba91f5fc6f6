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
  schema.add_choice("train.noise.basis", "eigen", {"eigen", "coordinates"},
                    "eigen: the top train.noise.nev Hessian eigenpairs (SLEPc); coordinates: the parameter axes "
                    "with lambda_j = H_jj, the Hessian's diagonal assembled from n products per refresh (small "
                    "models, such as the valley toys, whose axes are the eigenbasis on the valley floor)");
}

namespace {

/// Commands without the eig.* section (hesscov train) take the coordinate basis over all parameters.
bool has_eig_section(const RunSetup& run) { return run.config.schema().find("eig.blocks") != nullptr; }

}  // namespace

DesignedNoise::DesignedNoise(const RunSetup& run, const comm::Communicator& comm, const core::Logger& log)
    : run_(run), comm_(comm), log_(log),
      subset_(has_eig_section(run) ? subset_of(run, "eig.blocks") : nn::ParamSubset::all(run.model->layout())),
      scale_(run.config.get_double("train.noise.scale")), power_(run.config.get_double("train.noise.power")),
      threshold_(run.config.get_double("train.noise.threshold")), refresh_(run.config.get_int("train.noise.refresh")),
      coordinates_(run.config.get_string("train.noise.basis") == "coordinates"),
      // Built once: a refresh (every step by default) only sets parameters and takes products.
      products_(shard_evaluator(run, comm, has_eig_section(run) ? run.config.get_int("eig.batch_size") : 1000)) {
  if (!coordinates_ && !has_eig_section(run))
    throw run.config.error("train.noise.basis", "coordinates for this command (the eigen basis takes its eigenpairs "
                                                "from the eig.* section of hesscov eig, align, fluct, track and sweep)");
  if (!coordinates_ && run.config.get_string("eig.method") != "slepc")
    throw run.config.error("eig.method", "slepc (designed noise needs the eigenvectors)");
}

void DesignedNoise::refresh(const std::vector<double>& params) {
  if (coordinates_) {
    // H_jj = e_jᵀ H e_j from replicated products: no distributed operator for a handful of axes.
    products_.set_reduction(nn::DatasetEvaluator::Reduction::allreduce);
    products_.set_parameters(params);
    const index n = subset_.size();
    eigenvalues_.assign(static_cast<size_t>(n), 0.0);
    std::vector<double> axis(static_cast<size_t>(n), 0.0);
    for (index j = 0; j < n; ++j) {
      axis[static_cast<size_t>(j)] = 1.0;
      eigenvalues_[static_cast<size_t>(j)] = products_.curvature_product(subset_, nn::Curvature::hessian, axis)[static_cast<size_t>(j)];
      axis[static_cast<size_t>(j)] = 0.0;
    }
  } else {
    operators::CurvatureOperator hessian(products_, comm_, subset_, {operators::OperatorKind::hessian, true, {}}, params);
    core::Config config = run_.config;
    if (const index nev = config.get_int("train.noise.nev"); nev > 0) config.set_override("eig.nev", std::to_string(nev));
    const core::Logger quiet(1);  // every refresh would print its solve: keep the training log readable
    const auto eigen = extract(hessian, config, spectral::Which::largest, quiet);
    frame_ = frame_of(eigen, subset_.size());
    eigenvalues_ = eigen.values;
  }
  refreshed_ = true;
  amplitudes_.clear();
  for (const double lambda : eigenvalues_)
    amplitudes_.push_back(lambda > threshold_ && lambda > 0.0 ? std::sqrt(scale_ * std::pow(lambda, power_)) : 0.0);
}

void DesignedNoise::operator()(index step, const std::vector<double>& params, std::vector<double>& gradient) {
  if (step % refresh_ == 0 || !refreshed_) refresh(params);
  const core::CounterRng rng(run_.seed, "designed_noise");
  const index k = static_cast<index>(amplitudes_.size());
  std::vector<double> weights(static_cast<size_t>(k));
  for (index i = 0; i < k; ++i)
    weights[static_cast<size_t>(i)] = amplitudes_[static_cast<size_t>(i)] * rng.normal(static_cast<std::uint64_t>(step * k + i));
  // In the coordinate basis the weights are the noise itself (replicated, the same draw on every rank).
  const auto full = subset_.embed(run_.model->layout(), coordinates_ ? weights : rotate(weights));
  for (size_t j = 0; j < gradient.size(); ++j) gradient[j] += full[j];
}

std::vector<double> DesignedNoise::rotate(const std::vector<double>& weights) const {
  const index k = frame_.columns, rows = frame_.row_count;
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
  return noise;
}

}  // namespace hesscov::apps
