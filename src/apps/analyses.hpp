#pragma once
// The analyses a run can make at a trained point (measure.analyses): each writes its results under
// a group of an open archive and returns a few headline numbers for the sweep index. The
// standalone commands (`hesscov eig`, `hesscov align`) call the same functions.
#include <string>
#include <utility>
#include <vector>

#include "apps/eig_stage.hpp"
#include "apps/run_setup.hpp"
#include "io/parallel_h5.hpp"
#include "train/checkpoint.hpp"

namespace hesscov::apps {

/// Headline numbers of one analysis (name, value), e.g. ("gamma", 1.43).
using Headline = std::vector<std::pair<std::string, double>>;

/// One analysis at `point`: results under `group` of `file` (collective writes), progress on the
/// log, `stop` asked at its safe points (core::Interrupted when it says stop; the file then holds
/// a partial result that the caller discards). Collective over `world`.
using Analysis = Headline (*)(io::ParallelH5File& file, const std::string& group, const RunSetup& run,
                              const train::Checkpoint& point, const comm::Communicator& world,
                              const core::Logger& log, const StopRequest& stop);

/// eig.* : eigenpairs of the configured operator at one or both ends, trace and SLQ when asked;
/// groups <group>/<operator>/<end>. Headline: the largest and smallest eigenvalues found.
Headline eig_analysis(io::ParallelH5File& file, const std::string& group, const RunSetup& run,
                      const train::Checkpoint& point, const comm::Communicator& world, const core::Logger& log,
                      const StopRequest& stop);

/// align.* (Study 1): the top Hessian eigenpairs of eig.blocks, C in that eigenbasis, baselines,
/// power laws, AWD, per-sample spectra. Headline: gamma, gamma_AWD, m, m_rand, z, k_eff, ...
Headline align_analysis(io::ParallelH5File& file, const std::string& group, const RunSetup& run,
                        const train::Checkpoint& point, const comm::Communicator& world, const core::Logger& log,
                        const StopRequest& stop);

/// fluct.* (Study 2): the top Hessian eigenpairs of eig.blocks at the point, a window of SGD steps
/// recorded along them, the fluctuation statistics and the oracle's predictions (docs/fluctuations.md).
/// Headline: the empirical and predicted crossover, fitted exponents, mean white-noise fraction.
Headline fluct_analysis(io::ParallelH5File& file, const std::string& group, const RunSetup& run,
                        const train::Checkpoint& point, const comm::Communicator& world, const core::Logger& log,
                        const StopRequest& stop);

/// track.* (Study 3): Hutch++ trace, top and most negative eigenvalues, log pseudo-determinants
/// (top-k and SLQ), cosine similarity of H and C. Headline: trace and its error, extremes, ...
Headline track_analysis(io::ParallelH5File& file, const std::string& group, const RunSetup& run,
                        const train::Checkpoint& point, const comm::Communicator& world, const core::Logger& log,
                        const StopRequest& stop);

/// Declares the track.* section.
void add_track_keys(core::Schema& schema);

/// Declares the fluct.* section (window, recording, statistics, output).
void add_fluct_keys(core::Schema& schema);

/// The names measure.analyses accepts, and the analysis of a name (nullptr when unknown).
const std::vector<std::string>& analysis_names();
Analysis find_analysis(const std::string& name);

}  // namespace hesscov::apps
