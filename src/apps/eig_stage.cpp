// The eigen-extraction stage shared by `hesscov eig` and `hesscov align`: its config keys, the
// operator's evaluator over the run's shard, one SLEPc (or dense) solve, and its HDF5 record.
#include "apps/eig_stage.hpp"

#include <chrono>
#include <cstdio>

#include "core/build_config.hpp"
#include "data/dataset.hpp"
#include "io/h5_file.hpp"
#include "operators/petsc_check.hpp"

namespace hesscov::apps {

void add_eig_keys(core::Schema& schema) {
  schema.add_choice("eig.operator", "hessian", {"hessian", "ggn", "covariance"}, "which operator");
  schema.add_string_list("eig.blocks", {}, "parameter blocks of the restricted operator ([]: all parameters)");
  schema.add_int("eig.nev", 20, "eigenpairs wanted at each end", {.min = 1});
  schema.add_choice("eig.which", "largest", {"largest", "smallest", "both"},
                    "algebraically largest, smallest (most negative), or both as two solves");
  schema.add_int("eig.ncv", 0, "SLEPc basis size (0: SLEPc's default)", {.min = 0});
  schema.add_int("eig.mpd", 0, "maximum projected dimension, bounds memory for large nev (0: default)", {.min = 0});
  schema.add_int("eig.max_it", 1000, "SLEPc restarts before giving up (keeps the pairs converged so far)", {.min = 1});
  schema.add_double("eig.tol", 1e-10, "residual tolerance", {.min = 0.0, .min_exclusive = true});
  schema.add_choice("eig.method", "slepc", {"slepc", "dense"},
                    "slepc: matrix-free Krylov; dense: assemble column by column and use LAPACK (small blocks)");
  schema.add_choice("eig.covariance", "centered", {"centered", "uncentered"}, "C with or without the mean term");
  schema.add_int("eig.minibatch", 0, "scale C to minibatches of this size S (0: C itself)", {.min = 0});
  schema.add_bool("eig.replacement", false, "minibatch scaling for sampling with replacement (C/S)");
  schema.add_int("eig.batch_size", 1000, "samples per batch inside every product", {.min = 1});
  schema.add_bool("eig.vectors", true, "write the eigenvectors ([k x n] per end)");
  schema.add_string("eig.extend_from", "",
                    "an earlier eig output of the same operator: its eigenvectors deflate this solve, which "
                    "then finds the next eig.nev pairs (\"\": none)");
  schema.add_int("eig.trace_probes", 0, "Hutch++ trace estimate with this many products (0: none)", {.min = 0});
  schema.add_int("eig.slq_probes", 0, "spectral density by SLQ with this many probes (0: none)", {.min = 0});
  schema.add_int("eig.slq_steps", 80, "Lanczos steps per SLQ probe", {.min = 2});
  schema.add_string("eig.checkpoint", "", "analyse this checkpoint's parameters (\"\": train per the config first)");
  schema.add_string("eig.output", "results/eig.h5", "HDF5 file of the results");
}

io::ParallelH5File create_archive(const std::string& path, const std::string& format, const core::Config& config,
                                  const comm::Communicator& world) {
  io::ParallelH5File file = io::ParallelH5File::create(path, world.get());
  file.write_attribute("/", "format", format);
  file.write_attribute("/", "software",
                       std::string("hesscov ") + core::build::kVersion + " (git " + core::build::kGitRevision + ")");
  file.write_attribute("/", "config", config.to_yaml());
  file.write_attribute("/", "mpi_size", static_cast<std::int64_t>(world.size()));
  return file;
}

nn::ParamSubset subset_of(const RunSetup& run, const std::string& key) {
  const auto blocks = run.config.get_string_list(key);
  try {
    return blocks.empty() ? nn::ParamSubset::all(run.model->layout()) : nn::ParamSubset::of(run.model->layout(), blocks);
  } catch (const core::Error& error) {
    throw run.config.error(key, std::string("names of parameter blocks (") + error.what() + ")");
  }
}

nn::DatasetEvaluator shard_evaluator(const RunSetup& run, const comm::Communicator& world, index batch_size) {
  return nn::DatasetEvaluator(*run.model, world, run.shard_inputs(), run.shard_targets(), batch_size);
}

train::Checkpoint checkpoint_of(const RunSetup& run, const std::string& path, const std::string& key) {
  train::Checkpoint point = train::read_checkpoint(path);
  if (static_cast<index>(point.params.size()) != run.model->num_params())
    throw run.config.error(key, "a checkpoint of this model (" + std::to_string(run.model->num_params()) +
                                    " parameters); " + path + " holds " + std::to_string(point.params.size()));
  return point;
}

/// The eigenvectors of `end` in an earlier eig output, as the columns of a dense Mat distributed
/// like the operator's vectors (for EPSSetDeflationSpace). An empty Mat when none are asked for.
namespace {

operators::PetscMat deflation_space(const core::Config& config, const operators::CurvatureOperator& op,
                                    const std::string& end) {
  operators::PetscMat space;
  const std::string path = config.get_string("eig.extend_from");
  if (path.empty()) return space;
  const io::H5File file = io::H5File::open_read(path);
  const std::string name = "eig/" + config.get_string("eig.operator") + "/" + end + "/vectors";
  if (!file.has_dataset(name)) throw config.error("eig.extend_from", "an eig output holding /" + name);
  const auto vectors = file.read_matrix(name);
  if (vectors.cols != op.size())
    throw config.error("eig.extend_from", "eigenvectors of length " + std::to_string(op.size()) + " (the file's are " +
                                              std::to_string(vectors.cols) + ")");
  PetscInt first = 0, last = 0;
  HC_PETSC(MatGetOwnershipRange(op.mat(), &first, &last));
  HC_PETSC(MatCreateDense(PetscObjectComm(reinterpret_cast<PetscObject>(op.mat())), last - first, PETSC_DECIDE,
                          static_cast<PetscInt>(op.size()), static_cast<PetscInt>(vectors.rows), nullptr, space.out()));
  PetscScalar* local = nullptr;  // column-major [local rows x k]
  HC_PETSC(MatDenseGetArrayWrite(space.get(), &local));
  for (std::int64_t j = 0; j < vectors.rows; ++j)
    for (PetscInt i = first; i < last; ++i)
      local[j * (last - first) + (i - first)] = vectors.values[static_cast<size_t>(j * vectors.cols + i)];
  HC_PETSC(MatDenseRestoreArrayWrite(space.get(), &local));
  HC_PETSC(MatAssemblyBegin(space.get(), MAT_FINAL_ASSEMBLY));
  HC_PETSC(MatAssemblyEnd(space.get(), MAT_FINAL_ASSEMBLY));
  return space;
}

}  // namespace

void throw_if_stopped(const StopRequest& stop, const std::string& what) {
  if (stop && stop()) throw core::Interrupted(what + " was interrupted by a stop request (a preemption signal)");
}

void write_solver_options(io::ParallelH5File& file, const std::string& group, const core::Config& config) {
  for (const char* key : {"eig.operator", "eig.which", "eig.method", "eig.covariance"})
    file.write_attribute(group, key, config.get_string(key));
  file.write_attribute(group, "eig.blocks", config.value_text("eig.blocks"));
  for (const char* key : {"eig.nev", "eig.ncv", "eig.mpd", "eig.max_it", "eig.minibatch"})
    file.write_attribute(group, key, static_cast<std::int64_t>(config.get_int(key)));
  file.write_attribute(group, "eig.tol", config.get_double("eig.tol"));
  char* options = nullptr;  // the PETSc options database: -eps_*, -bv_* given on the command line
  HC_PETSC(PetscOptionsGetAll(nullptr, &options));
  file.write_attribute(group, "petsc_options", std::string(options != nullptr ? options : ""));
  HC_PETSC(PetscFree(options));
}

spectral::EigenResult extract(operators::CurvatureOperator& op, const core::Config& config, spectral::Which which,
                              const core::Logger& log, const StopRequest& stop) {
  const index nev = std::min<index>(config.get_int("eig.nev"), op.size());
  if (config.get_string("eig.method") == "dense") {
    const auto start = std::chrono::steady_clock::now();
    const auto dense = spectral::dense_symmetric_eigen(spectral::assemble_dense(op.mat()), op.size(), false);
    spectral::EigenResult result;
    for (index i = 0; i < nev; ++i)
      result.values.push_back(which == spectral::Which::largest ? dense.values[static_cast<size_t>(op.size() - 1 - i)]
                                                                : dense.values[static_cast<size_t>(i)]);
    result.requested = nev;
    result.solver = "lapack-dsyevd";
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
  }
  spectral::EigenRequest request;
  request.nev = nev;
  request.which = which;
  request.ncv = config.get_int("eig.ncv") > 0 ? config.get_int("eig.ncv") : -1;
  request.mpd = config.get_int("eig.mpd") > 0 ? config.get_int("eig.mpd") : -1;
  request.tol = config.get_double("eig.tol");
  request.max_it = config.get_int("eig.max_it");
  request.prefix = which == spectral::Which::largest ? "" : "bottom_";
  const operators::PetscMat deflation =
      deflation_space(config, op, which == spectral::Which::largest ? "largest" : "smallest");
  request.deflation = deflation.get();
  request.should_stop = stop;
  const index products_before = op.products();
  auto last_report = std::chrono::steady_clock::now();
  auto result = spectral::solve_eigenproblem(op.mat(), request, [&](index converged, index wanted, index iteration) {
    const auto now = std::chrono::steady_clock::now();
    if (std::chrono::duration<double>(now - last_report).count() < 2.0) return;
    last_report = now;
    log.info("  iteration " + std::to_string(iteration) + ": " + std::to_string(converged) + "/" +
             std::to_string(wanted) + " converged, " + std::to_string(op.products() - products_before) + " products");
  });
  if (result.interrupted) throw core::Interrupted("the eigensolve was interrupted by a stop request after " +
                                                  std::to_string(op.products() - products_before) + " products");
  return result;
}

void write_end(io::ParallelH5File& file, const std::string& group, const spectral::EigenResult& result,
               const operators::CurvatureOperator& op, bool vectors) {
  file.create_groups(group);
  file.write_replicated(group + "/values", result.values);
  if (!result.residuals.empty()) file.write_replicated(group + "/residuals", result.residuals);
  if (!result.absolute_residuals.empty()) file.write_replicated(group + "/absolute_residuals", result.absolute_residuals);
  // Eigenvalues of H or the GGN are second derivatives of the mean loss; those of C are squared
  // gradients (loss per parameter unit, squared).
  const bool covariance = op.spec().kind == operators::OperatorKind::covariance;
  file.write_attribute(group + "/values", "units", covariance ? "loss^2/parameter^2" : "loss/parameter^2");
  if (!result.residuals.empty()) file.write_attribute(group + "/residuals", "units", "1 (||A v - lambda v|| / |lambda|)");
  if (!result.absolute_residuals.empty())
    file.write_attribute(group + "/absolute_residuals", "units", covariance ? "loss^2/parameter^2" : "loss/parameter^2");
  file.write_attribute(group, "operator", operators::to_string(op.spec().kind));
  file.write_attribute(group, "solver", result.solver);
  file.write_attribute(group, "iterations", static_cast<std::int64_t>(result.iterations));
  file.write_attribute(group, "requested", static_cast<std::int64_t>(result.requested));
  file.write_attribute(group, "converged", static_cast<std::int64_t>(result.values.size()));
  file.write_attribute(group, "orthogonality_loss", result.orthogonality);
  file.write_attribute(group, "seconds", result.seconds);
  file.write_attribute(group, "spectral_scale", result.spectral_scale);
  // Rank 0's split of EPSSolve (PETSc's event log): zero for the dense path.
  file.write_attribute(group, "solve_seconds", result.timings.solve);
  file.write_attribute(group, "solve_product_seconds", result.timings.products);
  file.write_attribute(group, "solve_basis_seconds", result.timings.basis);
  file.write_attribute(group, "solve_orthogonalize_seconds",
                       result.timings.orthogonalize_columns + result.timings.orthogonalize_blocks);
  file.write_attribute(group, "solve_projected_seconds", result.timings.projected);
  if (!vectors || result.vectors.empty()) return;
  PetscInt first = 0, last = 0;
  HC_PETSC(VecGetOwnershipRange(result.vectors.front().get(), &first, &last));
  const auto rows = static_cast<std::int64_t>(result.vectors.size()), local = static_cast<std::int64_t>(last - first);
  std::vector<double> slice(static_cast<size_t>(rows * local));
  for (std::int64_t r = 0; r < rows; ++r) {
    const PetscScalar* values = nullptr;
    HC_PETSC(VecGetArrayRead(result.vectors[static_cast<size_t>(r)].get(), &values));
    std::copy(values, values + local, slice.begin() + r * local);
    HC_PETSC(VecRestoreArrayRead(result.vectors[static_cast<size_t>(r)].get(), &values));
  }
  file.write_column_slices(group + "/vectors", rows, op.size(), first, local, slice);
  file.write_attribute(group + "/vectors", "units", "1 (unit eigenvectors, one per row, in the block's coordinates)");
}

/// The eigenvectors as a frame distributed like the operator's vectors.
stats::Frame frame_of(const spectral::EigenResult& result, index dimension) {
  PetscInt first = 0, last = 0;
  HC_CHECK(!result.vectors.empty(), core::Error, "no eigenvectors converged");
  HC_PETSC(VecGetOwnershipRange(result.vectors.front().get(), &first, &last));
  auto frame = stats::empty_frame(dimension, static_cast<index>(result.vectors.size()), first, last - first);
  for (size_t j = 0; j < result.vectors.size(); ++j) {
    const PetscScalar* values = nullptr;
    HC_PETSC(VecGetArrayRead(result.vectors[j].get(), &values));
    std::copy(values, values + (last - first), frame.local.begin() + static_cast<std::ptrdiff_t>(j) * (last - first));
    HC_PETSC(VecRestoreArrayRead(result.vectors[j].get(), &values));
  }
  return frame;
}

void report(const std::string& end, const spectral::EigenResult& result, const core::Logger& log) {
  char line[256];
  std::snprintf(line, sizeof line, "%s: %zu/%lld converged by %s in %s, orthogonality loss %.2e", end.c_str(),
                result.values.size(), static_cast<long long>(result.requested), result.solver.c_str(),
                core::format_seconds(result.seconds).c_str(), result.orthogonality);
  log.info(line);
  if (result.timings.solve > 0.0) {
    const auto& t = result.timings;
    std::snprintf(line, sizeof line, "  EPSSolve %.1f s: products %.1f s, basis work %.1f s (orthogonalisation %.1f s), "
                  "projected problem %.1f s", t.solve, t.products, t.basis, t.orthogonalize_columns + t.orthogonalize_blocks,
                  t.projected);
    log.info(line);
  }
  for (size_t i = 0; i < result.values.size() && i < 5; ++i) {
    std::snprintf(line, sizeof line, "  lambda_%zu = %+.10e   residual %.2e", i + 1, result.values[i],
                  i < result.residuals.size() ? result.residuals[i] : 0.0);
    log.info(line);
  }
}

}  // namespace hesscov::apps
