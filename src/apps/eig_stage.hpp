#pragma once
// The eigen-extraction stage shared by `hesscov eig` and `hesscov align`.
#include <functional>
#include <string>

#include "apps/run_setup.hpp"
#include "core/log.hpp"
#include "io/parallel_h5.hpp"
#include "nn/dataset_evaluator.hpp"
#include "operators/curvature_operator.hpp"
#include "spectral/eigen_solver.hpp"
#include "stats/frame.hpp"
#include "train/checkpoint.hpp"

namespace hesscov::apps {

/// The eig.* section: operator, blocks, nev, which end, SLEPc dimensions and tolerances, method,
/// covariance variant, batch size, vectors, extension, trace/SLQ, checkpoint, output.
void add_eig_keys(core::Schema& schema);

/// The eig.* and align.* sections (defined with `hesscov align`). Every job command declares them,
/// so one config file serves train, run, eig and align.
void add_align_keys(core::Schema& schema);

/// Creates (truncating) the HDF5 archive `path` of a job, with its provenance on the root:
/// format, software version and git revision, the resolved config, the number of ranks. Collective.
io::ParallelH5File create_archive(const std::string& path, const std::string& format, const core::Config& config,
                                  const comm::Communicator& world);

/// The parameter subset named by the string list at `key` ([]: all parameters).
nn::ParamSubset subset_of(const RunSetup& run, const std::string& key);

/// Products over this rank's shard of the run's training set. Collective.
nn::DatasetEvaluator shard_evaluator(const RunSetup& run, const comm::Communicator& world, index batch_size);

/// A checkpoint file of this run's model; a mismatch is an error naming `key` and the file.
train::Checkpoint checkpoint_of(const RunSetup& run, const std::string& path, const std::string& key);

/// Asked at safe points of long work: true means stop now (a preemption signal). Collective: every
/// rank of the run gets the same answer. Empty: never.
using StopRequest = std::function<bool()>;

/// Throws core::Interrupted (naming `what` was cut short) when `stop` asks to stop. Collective.
void throw_if_stopped(const StopRequest& stop, const std::string& what);

/// The eig.nev eigenpairs of `which` end of the operator, by eig.method (SLEPc with progress on
/// rank 0, or the dense LAPACK path), deflating eig.extend_from's vectors when given. `stop` is
/// asked once per solver iteration; when it says stop, core::Interrupted is thrown. Collective.
spectral::EigenResult extract(operators::CurvatureOperator& op, const core::Config& config, spectral::Which which,
                              const core::Logger& log, const StopRequest& stop = {});

/// The eig.* settings as attributes of `group` (what was asked of the solver: operator, blocks,
/// nev, ncv, mpd, tol, max_it, method) plus every PETSc/SLEPc option in effect. Collective.
void write_solver_options(io::ParallelH5File& file, const std::string& group, const core::Config& config);

/// Values, residuals, solver record and (when `vectors`) the eigenvectors [k x n] under `group`.
void write_end(io::ParallelH5File& file, const std::string& group, const spectral::EigenResult& result,
               const operators::CurvatureOperator& op, bool vectors);

/// The converged eigenvectors as a frame distributed like the operator's vectors (each rank its
/// rows). Collective only in that every rank holds its own part.
stats::Frame frame_of(const spectral::EigenResult& result, index dimension);

/// The summary lines of one solve on rank 0.
void report(const std::string& end, const spectral::EigenResult& result, const core::Logger& log);

}  // namespace hesscov::apps
