#include "apps/commands.hpp"

#include <mpi.h>
#include <slepcsys.h>

#include <cstdio>
#include <cstring>
#include <optional>

#include "apps/build_info.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "operators/petsc_check.hpp"

namespace hesscov::apps {
namespace {

constexpr const char* kUsage =
    "usage: hesscov <command> [arguments] [PETSc/SLEPc options]\n"
    "\n"
    "commands:\n"
    "  run CONFIG.yaml [key=value ...]   train, then probe loss and curvature (inputs/quickstart.yaml)\n"
    "  train CONFIG.yaml [key=value ...] SGD training with checkpoints\n"
    "  eig CONFIG.yaml [key=value ...]   eigenpairs of H, GGN or C (SLEPc or LAPACK) to HDF5\n"
    "  align CONFIG.yaml [key=value ...] noise covariance in the Hessian eigenbasis: C_V, correlations,\n"
    "                                    baselines, power laws, AWD, per-sample spectra (Study 1)\n"
    "  fluct CONFIG.yaml [key=value ...] train, then record a window of SGD along the top Hessian\n"
    "                                    eigenvectors: weight, velocity and noise fluctuations (Study 2)\n"
    "  track CONFIG.yaml [key=value ...] curvature along training (trace, extreme eigenvalues, log\n"
    "                                    pseudo-determinant, cosine of H and C) at the measure points\n"
    "  sweep SPEC.yaml [options]         a grid of runs x seeds over groups of ranks, crash-safe archives,\n"
    "                                    resume by re-running (sweep --help)\n"
    "  index DIR                         (re)build a sweep's index archive DIR/index.h5\n"
    "  bench products|eig [options]      time the products, or the eigensolver's own cost (bench --help)\n"
    "  theory <name> [options] [--json] closed forms of SCIENCE.md: epoch noise, stationary covariances,\n"
    "                                    trace drift (theory --help)\n"
    "  run --help, train --help, ...     every config key with its type, default and meaning\n"
    "  info                              the build: MPI, PETSc/SLEPc, scalar, index size, BLAS,\n"
    "                                    HDF5, CUDA\n"
    "  --version                         the version and git revision\n"
    "  --help                            this text\n";

/// MPI_Init/MPI_Finalize (owned by main's call chain, constructed first, destroyed last).
class MpiGuard {
 public:
  MpiGuard(int& argc, char**& argv) {
    int provided = 0;
    HC_MPI(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided));
  }
  MpiGuard(const MpiGuard&) = delete;
  MpiGuard& operator=(const MpiGuard&) = delete;
  ~MpiGuard() { MPI_Finalize(); }
};

/// SlepcInitialize/SlepcFinalize; PETSc and SLEPc options on the command line pass through.
class PetscGuard {
 public:
  PetscGuard(int& argc, char**& argv) { HC_PETSC(SlepcInitialize(&argc, &argv, nullptr, nullptr)); }
  PetscGuard(const PetscGuard&) = delete;
  PetscGuard& operator=(const PetscGuard&) = delete;
  ~PetscGuard() { SlepcFinalize(); }
};

int world_rank() {
  int initialized = 0, rank = 0;
  MPI_Initialized(&initialized);
  if (initialized) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

int run_command(const std::vector<std::string>& args, const ExtraCommands& extra) {
  const std::string& command = args[0];
  if (command == "info") return run_info();
  if (command == "run") return run_job({args.begin() + 1, args.end()});
  if (command == "train") return train_job({args.begin() + 1, args.end()});
  if (command == "eig") return eig_job({args.begin() + 1, args.end()});
  if (command == "align") return align_job({args.begin() + 1, args.end()});
  if (command == "fluct") return fluct_job({args.begin() + 1, args.end()});
  if (command == "track") return track_job({args.begin() + 1, args.end()});
  if (command == "sweep") return sweep_job({args.begin() + 1, args.end()});
  if (command == "index") return index_job({args.begin() + 1, args.end()});
  for (const auto& [name, run] : extra)
    if (command == name) return run({args.begin() + 1, args.end()});
  std::fprintf(stderr, "hesscov: unknown command '%s'\n\n%s", command.c_str(), kUsage);
  return 2;
}

}  // namespace

int run_info() {
  std::vector<std::string> warnings;
  const auto rows = collect_build_info(warnings);
  if (world_rank() != 0) return 0;
  for (const auto& [label, value] : rows) std::printf("%-8s %s\n", (label + ":").c_str(), value.c_str());
  for (const auto& warning : warnings) std::printf("warning: %s\n", warning.c_str());
  return 0;
}

int dispatch(int argc, char** argv, const std::vector<std::string>& args, const ExtraCommands& extra) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version") {
    std::printf("%s\n", version_line().c_str());
    return 0;
  }
  if (args[0] == "theory") return theory_job({args.begin() + 1, args.end()});  // no MPI/PETSc needed
  try {
    MpiGuard mpi(argc, argv);
    std::optional<PetscGuard> petsc;
    petsc.emplace(argc, argv);
    try {
      return run_command(args, extra);
    } catch (const core::ConfigError& error) {
      std::fprintf(stderr, "hesscov: configuration error: %s\n", error.what());
    } catch (const core::Error& error) {
      std::fprintf(stderr, "hesscov: error on rank %d: %s\n  [raised at %s]\n", world_rank(),
                   error.what(), error.where().c_str());
    } catch (const std::exception& error) {
      std::fprintf(stderr, "hesscov: error on rank %d: %s\n", world_rank(), error.what());
    }
    // A failure on one rank must not leave the others waiting in a collective.
    int size = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size > 1) MPI_Abort(MPI_COMM_WORLD, 1);
    return 1;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "hesscov: could not initialise MPI/PETSc: %s\n", error.what());
    return 1;
  }
}

}  // namespace hesscov::apps
