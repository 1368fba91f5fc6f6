#include "apps/trajectory_recorder.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace hesscov::apps {
namespace {

enum Slot { kTheta, kVelocity, kGradient, kFullGradient, kNoise };

}  // namespace

TrajectoryRecorder::TrajectoryRecorder(io::ParallelH5File& file, std::string group, const stats::Frame& frame,
                                       const nn::ParamLayout& layout, const nn::ParamSubset& subset,
                                       nn::DatasetEvaluator& full, const comm::Communicator& comm,
                                       RecorderSettings settings)
    : file_(file), group_(std::move(group)), frame_(frame), layout_(layout), subset_(subset), full_(full), comm_(comm),
      settings_(settings) {
  HC_CHECK(settings_.steps > 0 && settings_.stride >= 0 && settings_.chunk_rows > 0, core::Error,
           "a recording window needs steps > 0, stride >= 0 and chunk_rows > 0");
  HC_CHECK(frame_.rows == subset_.size(), core::DimensionMismatch,
           "the eigenbasis has " + std::to_string(frame_.rows) + " rows, the parameter subset " +
               std::to_string(subset_.size()));
  const auto part = comm::block_partition(frame_.columns, comm_.rank(), comm_.size());
  columns_.begin = part.begin;
  columns_.count = part.size();
  const index noise_rows = settings_.stride > 0 ? (settings_.steps + settings_.stride - 1) / settings_.stride : 0;
  for (const char* name : {"theta", "velocity", "gradient", "full_gradient", "noise"}) {
    const bool strided = std::string(name) == "full_gradient" || std::string(name) == "noise";
    if (strided && noise_rows == 0) break;
    datasets_.push_back({group_ + "/" + name});
    file_.create_matrix(datasets_.back().name, strided ? noise_rows : settings_.steps, frame_.columns,
                        settings_.chunk_rows);
  }
}

void TrajectoryRecorder::start(const std::vector<double>& params) {
  const auto theta = subset_.restrict(layout_, params);
  projected_before_ = stats::project(comm_, frame_, {theta.data()});
  file_.write_replicated(group_ + "/theta_start", projected_before_);
  origin_ = settings_.origin_at_start ? params : std::vector<double>(params.size(), 0.0);
  origin_projected_ = settings_.origin_at_start ? projected_before_ : std::vector<double>(projected_before_.size(), 0.0);
}

void TrajectoryRecorder::accumulate(const std::vector<double>& before, const std::vector<double>& gradient,
                                    const std::vector<double>& after, const double* projected) {
  const double decay = settings_.weight_decay;
  for (size_t j = 0; j < before.size(); ++j) {
    sums_.theta_gradient += (before[j] - origin_[j]) * (gradient[j] + decay * before[j]);
    sums_.step_squared += (after[j] - before[j]) * (after[j] - before[j]);
  }
  const index k = frame_.columns;
  const double* velocity = projected + kVelocity * k;
  const double* minibatch = projected + kGradient * k;
  for (index i = 0; i < k; ++i) {
    const double theta = projected_before_[static_cast<size_t>(i)];
    sums_.theta_gradient_subspace += (theta - origin_projected_[static_cast<size_t>(i)]) * (minibatch[i] + decay * theta);
    sums_.step_squared_subspace += velocity[i] * velocity[i];
  }
  std::copy(projected + kTheta * k, projected + (kTheta + 1) * k, projected_before_.begin());
  ++sums_.steps;
}

void TrajectoryRecorder::record(const std::vector<double>& before, const std::vector<double>& gradient,
                                const std::vector<double>& after) {
  HC_CHECK(step_ < settings_.steps, core::StateError, "the recording window is already full");
  const auto theta = subset_.restrict(layout_, after), start = subset_.restrict(layout_, before);
  const auto minibatch = subset_.restrict(layout_, gradient);
  std::vector<double> velocity(theta.size());
  for (size_t i = 0; i < theta.size(); ++i) velocity[i] = theta[i] - start[i];  // in full precision, before projecting
  std::vector<const double*> vectors{theta.data(), velocity.data(), minibatch.data()};
  std::vector<double> full_gradient, noise;
  const bool strided = settings_.stride > 0 && step_ % settings_.stride == 0;
  if (strided) {
    full_.set_parameters(before);
    full_gradient = full_.gradient(subset_);
    noise.resize(minibatch.size());
    for (size_t i = 0; i < noise.size(); ++i) noise[i] = minibatch[i] - full_gradient[i];
    vectors.push_back(full_gradient.data());
    vectors.push_back(noise.data());
  }
  const auto projected = stats::project(comm_, frame_, vectors);  // row j: vector j's projections
  const index k = frame_.columns;
  accumulate(before, gradient, after, projected.data());
  for (size_t slot = 0; slot < vectors.size(); ++slot) append(datasets_[slot], projected.data() + slot * k);
  auto keep = [&](std::vector<double>& into, Slot slot) {
    const double* row = projected.data() + slot * k + columns_.begin;
    into.insert(into.end(), row, row + columns_.count);
  };
  keep(columns_.theta, kTheta);
  keep(columns_.velocity, kVelocity);
  if (strided) {
    keep(columns_.noise, kNoise);
    ++columns_.noise_rows;
  }
  ++columns_.steps;
  ++step_;
}

void TrajectoryRecorder::append(Dataset& dataset, const double* row) {
  // The rows are replicated: rank 0 writes them whole. Splitting their columns over the ranks
  // makes every chunk a small strided collective write, 13-20 times slower on 2 ranks
  // (`hesscov bench io`, trajectory vs trajectory_one_writer; docs/performance.md).
  if (comm_.rank() == 0) dataset.pending.insert(dataset.pending.end(), row, row + frame_.columns);
  if (++dataset.pending_rows == settings_.chunk_rows) flush(dataset);
}

void TrajectoryRecorder::flush(Dataset& dataset) {
  // Every rank counts the same rows, so every rank reaches this collective write together.
  file_.write_block(dataset.name, dataset.rows_written, dataset.pending_rows, 0, comm_.rank() == 0 ? frame_.columns : 0,
                    dataset.pending);
  dataset.rows_written += dataset.pending_rows;
  dataset.pending_rows = 0;
  dataset.pending.clear();
}

void TrajectoryRecorder::finish() {
  for (auto& dataset : datasets_)
    if (dataset.pending_rows > 0) flush(dataset);
}

}  // namespace hesscov::apps
