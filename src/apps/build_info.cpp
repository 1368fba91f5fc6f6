#include "apps/build_info.hpp"

#include <dlfcn.h>
#include <hdf5.h>
#include <link.h>
#include <mpi.h>
#include <petscsys.h>
#include <slepcsys.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>

#include "backend/backend.hpp"
#include "core/build_config.hpp"
#include "operators/petsc_check.hpp"

namespace hesscov::apps {
namespace {

std::string mpi_library() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int length = 0;
  HC_MPI(MPI_Get_library_version(text, &length));
  std::string version(text, static_cast<size_t>(length));
  version = version.substr(0, version.find_first_of("\n,"));
  int major = 0, minor = 0;
  HC_MPI(MPI_Get_version(&major, &minor));
  return version + " (MPI " + std::to_string(major) + "." + std::to_string(minor) + ")";
}

std::string petsc_version() {
  char text[256] = {};
  HC_PETSC(PetscGetVersion(text, sizeof text));
  std::string version = text;
  return version.substr(0, version.find_last_not_of(" \n") + 1);
}

std::string slepc_version() {
  char text[256] = {};
  HC_PETSC(SlepcGetVersion(text, sizeof text));
  return text;
}

std::string scalar_type() {
#if defined(PETSC_USE_COMPLEX)
  std::string kind = "complex";
#else
  std::string kind = "real";
#endif
#if defined(PETSC_USE_REAL_DOUBLE)
  return kind + " double (" + std::to_string(sizeof(PetscScalar)) + " bytes)";
#else
  return kind + " non-double (" + std::to_string(sizeof(PetscScalar)) + " bytes)";
#endif
}

int collect_library(dl_phdr_info* info, size_t, void* data) {
  auto* found = static_cast<std::set<std::string>*>(data);
  const std::string path = info->dlpi_name != nullptr ? info->dlpi_name : "";
  const std::string name = std::filesystem::path(path).filename().string();
  // The BLAS/LAPACK that Debian's alternatives resolve (ours and PETSc64's 64-bit-integer ones).
  if (name.rfind("libblas", 0) == 0 || name.rfind("liblapack", 0) == 0) {
    std::error_code error;
    const auto real = std::filesystem::canonical(path, error);
    found->insert(name + " -> " + (error ? path : real.string()));
  }
  return 0;
}

/// The CPU's flags line of /proc/cpuinfo ("" where there is none).
std::string cpu_flags() {
  std::ifstream info("/proc/cpuinfo");
  for (std::string line; std::getline(info, line);)
    if (line.rfind("flags", 0) == 0) return line + " ";
  return "";
}

/// A warning when OpenBLAS's DYNAMIC_ARCH chose kernels without AVX2 on a CPU that has it: a guest
/// whose CPUID hides the model gets the generic "Prescott" SSE3 kernels, several times slower for
/// every GEMM of the products (docs/performance.md "OpenBLAS core type"). "" otherwise.
std::string openblas_core_advice() {
  using CoreFunction = const char* (*)();
  const auto corename = reinterpret_cast<CoreFunction>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  if (corename == nullptr) return "";
  const std::string core = corename(), flags = cpu_flags();
  if (flags.find(" avx2 ") == std::string::npos) return "";
  for (const char* fast : {"haswell", "skylakex", "cooperlake", "sapphirerapids", "zen"}) {
    std::string lower = core;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.find(fast) != std::string::npos) return "";
  }
  const bool avx512 = flags.find(" avx512f ") != std::string::npos;
  const std::string suggestion = !avx512 ? "Haswell" : flags.find(" avx512_bf16 ") != std::string::npos ? "Cooperlake" : "SkylakeX";
  return "OpenBLAS uses its " + core + " kernels although the CPU has AVX2" + (avx512 ? std::string(" and AVX-512") : std::string()) +
         ": export OPENBLAS_CORETYPE=" + suggestion + " (docs/performance.md, \"OpenBLAS core type\")";
}

/// The BLAS/LAPACK shared objects actually loaded (ours and PETSc's 64-bit-integer ones), resolved
/// through Debian's alternatives, plus OpenBLAS's own configuration string when it is loaded.
std::string loaded_blas(std::vector<std::string>& warnings) {
  std::set<std::string> libraries;
  dl_iterate_phdr(collect_library, &libraries);
  std::string text;
  for (const auto& library : libraries) {
    text += (text.empty() ? "" : "; ") + library;
    if (library.find("openblas") == std::string::npos)
      warnings.push_back("BLAS/LAPACK library is not OpenBLAS (about 5x slower for SLEPc): " + library +
                         "; run scripts/install-deps.sh");
  }
  using ConfigFunction = const char* (*)();
  if (auto config = reinterpret_cast<ConfigFunction>(dlsym(RTLD_DEFAULT, "openblas_get_config")))
    text = std::string(config()) + " | " + text;
  if (const std::string advice = openblas_core_advice(); !advice.empty()) warnings.push_back(advice);
  return text.empty() ? "none loaded" : text;
}

std::string hdf5_version() {
  unsigned major = 0, minor = 0, release = 0;
  H5get_libversion(&major, &minor, &release);
  std::string text = std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(release);
#if defined(H5_HAVE_PARALLEL)
  return text + ", parallel (MPI-IO)";
#else
  return text + ", serial only";
#endif
}

std::string cuda_status() {
#if defined(HESSCOV_HAVE_CUDA)
  return std::string("yes (nvcc ") + core::build::kCudaCompiler + ", sm_" +
         core::build::kCudaArchitectures + "), devices visible: " +
         std::to_string(backend::cuda_device_count());
#else
  return "no (built without nvcc)";
#endif
}

}  // namespace

std::string version_line() {
  return std::string("hesscov ") + core::build::kVersion + " (git " + core::build::kGitRevision + ")";
}

std::vector<std::pair<std::string, std::string>> collect_build_info(std::vector<std::string>& warnings) {
  std::vector<std::pair<std::string, std::string>> rows = {
      {"version", version_line()},
      {"build", std::string(core::build::kBuildType) + ", " + core::build::kCompiler},
      {"MPI", mpi_library()},
      {"PETSc", petsc_version()},
      {"SLEPc", slepc_version()},
      {"scalar", scalar_type()},
      {"index", std::to_string(8 * sizeof(PetscInt)) + "-bit PetscInt, " +
                    std::to_string(8 * sizeof(PetscBLASInt)) + "-bit PetscBLASInt"},
      {"BLAS", loaded_blas(warnings)},
      {"HDF5", hdf5_version()},
      {"CUDA", cuda_status()},
      {"NCCL", "no (not built)"},
  };
  if (sizeof(PetscInt) != 8)
    warnings.push_back("PETSc uses 32-bit indices: bases of n*ncv > 2^31 entries overflow");
  return rows;
}

}  // namespace hesscov::apps
