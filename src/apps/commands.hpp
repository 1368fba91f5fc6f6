#pragma once
// Subcommands of `hesscov`. Each returns the process exit code.
#include <string>
#include <utility>
#include <vector>

namespace hesscov::apps {

/// Entry point of the command: picks the subcommand from args[0]; initialises MPI and
/// PETSc/SLEPc (owned guards, destroyed last) for the subcommands that need them; turns an escaped
/// exception into a message on stderr and exit code 1 (2 for usage errors).
/// Subcommands that live outside the library (the benchmarks of bench/), by name.
using ExtraCommands = std::vector<std::pair<std::string, int (*)(const std::vector<std::string>&)>>;
int dispatch(int argc, char** argv, const std::vector<std::string>& args, const ExtraCommands& extra = {});

/// `hesscov info`: the build (MPI, PETSc/SLEPc, scalar, index size, BLAS, HDF5, CUDA).
int run_info();

/// `hesscov run CONFIG.yaml [key=value ...]`: train per the config (if train.epochs > 0), then
/// probe the loss, gradient and curvature products at the resulting point (docs/usage.md).
int run_job(const std::vector<std::string>& args);

/// `hesscov eig CONFIG.yaml [key=value ...]`: eigenpairs of H, GGN or C to HDF5 (docs/spectral.md).
int eig_job(const std::vector<std::string>& args);

/// `hesscov align CONFIG.yaml [key=value ...]`: Study 1 (stats/) at the trained point or checkpoints.
int align_job(const std::vector<std::string>& args);

/// `hesscov sweep SPEC.yaml [key=value ...] [--group-size N] [--array-index I --array-count N]
/// [--dry-run]`: a sweep of runs with crash-safe archives and resume (docs/usage.md). Returns 75
/// when a signal stopped it (resumable).
int sweep_job(const std::vector<std::string>& args);

/// `hesscov index DIR`: (re)builds DIR/index.h5 from the run archives in DIR/runs.
int index_job(const std::vector<std::string>& args);

/// `hesscov fluct CONFIG.yaml [key=value ...]`: Study 2's fluctuation window (docs/fluctuations.md).
int fluct_job(const std::vector<std::string>& args);

/// `hesscov track CONFIG.yaml [key=value ...]`: the config as a one-run sweep with the track
/// analysis at every measure point (Study 3; docs/trace.md). Returns 75 when stopped by a signal.
int track_job(const std::vector<std::string>& args);

/// `hesscov train CONFIG.yaml [key=value ...]`: SGD with checkpoints (docs/training.md).
int train_job(const std::vector<std::string>& args);

/// `hesscov theory <name> [--options] [--json]`: the closed forms of SCIENCE.md (stats/theory_*,
/// docs/theory.md). Needs neither MPI nor PETSc: dispatched before they are initialised.
int theory_job(const std::vector<std::string>& args);

}  // namespace hesscov::apps
