#pragma once
// Trajectory recording for `hesscov fluct` (SCIENCE.md Study 2): at every SGD step of a window,
// the projections onto the top-k Hessian eigenvectors V (sharded: each rank holds its rows of V)
// of the weights, the velocity, the minibatch gradient and, every `stride` steps, the full-batch
// gradient and the noise. One GEMM over this rank's rows of V and one allreduce per step; V is
// never replicated. The [T x k] datasets are written in blocks of rows by rank 0 (the projections
// are replicated after the allreduce); every rank keeps its share of the columns (directions) for
// the statistics.
#include <string>
#include <vector>

#include "comm/communicator.hpp"
#include "io/parallel_h5.hpp"
#include "nn/dataset_evaluator.hpp"
#include "nn/param_layout.hpp"
#include "stats/frame.hpp"

namespace hesscov::apps {

struct RecorderSettings {
  index steps = 0;        ///< T, steps of the window
  index stride = 1;       ///< the full-batch gradient (and the noise) every `stride` steps; 0: never
  index chunk_rows = 256; ///< rows per write (and per chunk of the datasets)
  double weight_decay = 0.0;  ///< the L2 coefficient: ∇L_B of the stationarity check includes it
  bool origin_at_start = false;  ///< θ of the stationarity check from θ_K instead of 0
};

/// The fluctuation-dissipation check of SCIENCE.md Study 3 over the window: O_L = ⟨θ·∇L_B⟩ and
/// O_R = (1+μ)/(2η)·⟨|θ_{k+1} − θ_k|²⟩ (= η(1+μ)/2·⟨m·m⟩ for the momentum buffer m, no
/// dampening), in the full space and in the span of the eigenvectors; stationary iff O_L/O_R = 1.
/// These are sums over the recorded steps; the caller divides and scales.
struct StationarySums {
  double theta_gradient = 0.0, step_squared = 0.0;  ///< Σ θ·∇L_B, Σ |Δθ|²  (full space)
  double theta_gradient_subspace = 0.0, step_squared_subspace = 0.0;  ///< the same projected
  index steps = 0;
};

/// This rank's directions [begin, begin + count) of the recorded arrays, row-major [rows x count].
struct RecordedColumns {
  index begin = 0, count = 0;
  std::vector<double> theta;     ///< V^T theta_{k+1}, one row per step
  std::vector<double> velocity;  ///< V^T (theta_{k+1} - theta_k)
  std::vector<double> noise;     ///< V^T (g_k - grad L(theta_k)), one row per `stride` steps
  index steps = 0, noise_rows = 0;
};

class TrajectoryRecorder {
 public:
  /// Creates under `group` of `file` the datasets theta, velocity, gradient [T x k] and, with a
  /// stride, full_gradient and noise [ceil(T / stride) x k] (fp64, chunked by chunk_rows rows).
  /// `full` evaluates the full-batch gradient over the run's training set (its shards). `frame`
  /// holds V in the coordinates of `subset`. Every argument must outlive the recorder. Collective.
  TrajectoryRecorder(io::ParallelH5File& file, std::string group, const stats::Frame& frame,
                     const nn::ParamLayout& layout, const nn::ParamSubset& subset, nn::DatasetEvaluator& full,
                     const comm::Communicator& comm, RecorderSettings settings);

  /// theta_start = V^T theta at the window's start. Collective.
  void start(const std::vector<double>& params);
  /// One step of the window: it started from `before` with minibatch gradient `gradient` (full
  /// parameter vectors) and produced `after`. Collective.
  void record(const std::vector<double>& before, const std::vector<double>& gradient, const std::vector<double>& after);
  /// Writes the rows still buffered. After a window cut short (divergence) the rows past the last
  /// step stay at HDF5's fill value 0; columns().steps says how many were recorded. Collective.
  void finish();

  [[nodiscard]] const RecordedColumns& columns() const noexcept { return columns_; }
  [[nodiscard]] const StationarySums& stationarity() const noexcept { return sums_; }

 private:
  struct Dataset {
    std::string name;
    index rows_written = 0, pending_rows = 0;
    std::vector<double> pending;  ///< the buffered rows, whole, on rank 0 (empty elsewhere)
  };
  void append(Dataset& dataset, const double* row);
  /// The stationarity sums of one step (`projected`: the step's rows theta, velocity, gradient).
  void accumulate(const std::vector<double>& before, const std::vector<double>& gradient,
                  const std::vector<double>& after, const double* projected);
  void flush(Dataset& dataset);

  io::ParallelH5File& file_;
  std::string group_;
  const stats::Frame& frame_;
  const nn::ParamLayout& layout_;
  const nn::ParamSubset& subset_;
  nn::DatasetEvaluator& full_;
  const comm::Communicator& comm_;
  RecorderSettings settings_;
  RecordedColumns columns_;
  StationarySums sums_;
  std::vector<double> origin_, origin_projected_;  ///< the check's origin, full and projected
  std::vector<double> projected_before_;            ///< V^T θ_k of the current step
  std::vector<Dataset> datasets_;  ///< theta, velocity, gradient[, full_gradient, noise]
  index step_ = 0;
};

}  // namespace hesscov::apps
