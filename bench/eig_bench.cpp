#include "bench/eig_bench.hpp"

#include <mpi.h>
#include <petscmat.h>
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "bench/command_line.hpp"
#include "bench/record.hpp"
#include "operators/petsc_check.hpp"
#include "operators/petsc_handles.hpp"
#include "spectral/eigen_solver.hpp"

namespace hesscov::bench {
namespace {

constexpr const char* kHelp =
    "usage: hesscov bench eig [options] [SLEPc options]\n"
    "\n"
    "The eigensolver's own cost: the top --nev eigenpairs of diag(lambda_1, ..., lambda_n) with\n"
    "lambda_i = i^-decay, applied matrix-free (a product costs n multiplications) and distributed\n"
    "over the MPI ranks, solved by the same code as `hesscov eig`. Reported: pairs converged,\n"
    "products, EPSSolve seconds split into products, basis work (orthogonalisation and restarts) and\n"
    "the projected problem (PETSc's event log, rank 0), the largest relative eigenvalue error against\n"
    "the exact lambda_i and the orthogonality loss of the eigenvectors.\n"
    "\n"
    "options (--name value or --name=value):\n"
    "  --n N         dimension (default 42200: the 784-50-50-10 MLP's parameters)\n"
    "  --nev K1,K2   eigenpairs wanted, one solve each (default 1000)\n"
    "  --solvers S   SLEPc EPS types to compare, one solve each per K, e.g. krylovschur,lobpcg\n"
    "                (default: the -eps_type in effect, krylovschur)\n"
    "  --record PATH also write the record PATH (HDF5) and its .json twin (docs/performance.md);\n"
    "                rows <solver>_nev<K> with the split below and the peak resident memory per rank\n"
    "  --decay A     power-law exponent of the spectrum (default 1)\n"
    "  --tol T       residual tolerance, ||A v - lambda v|| <= T |lambda| (default 1e-10, as hesscov eig)\n"
    "  --ncv M       basis size (default: SLEPc's)\n"
    "  --mpd M       maximum projected dimension (default: SLEPc's)\n"
    "  --json        print one JSON object per solve on stdout instead of the report\n"
    "Every SLEPc option applies, e.g. -eps_type lobpcg, -eps_krylovschur_locking 0,\n"
    "-bv_type vecs, -bv_orthog_refine always, -bv_orthog_block svqb, -log_view.\n"
    "\n"
    "examples:\n"
    "  hesscov bench eig --nev 1000 --mpd 300\n"
    "  hesscov bench eig --nev 1000 --json -bv_orthog_type mgs\n";

struct Options {
  index n = 42200;
  std::vector<index> nevs{1000};
  std::vector<std::string> solvers;  ///< empty: the -eps_type in effect
  std::string record;
  double decay = 1.0;
  double tol = 1e-10;
  index ncv = -1;
  index mpd = -1;
  bool json = false;
};

Options parse_options(const std::vector<std::string>& words) {
  const auto parsed = parse_command_line(
      words, {.valued = {"--n", "--nev", "--solvers", "--decay", "--tol", "--ncv", "--mpd", "--record"},
              .flags = {"--json"}, .petsc_options = true});
  Options options;
  options.n = parsed.positive("--n", options.n);
  if (const auto nevs = parsed.value("--nev")) options.nevs = parse_positive_list("--nev", *nevs);
  if (const auto solvers = parsed.value("--solvers")) options.solvers = split_list("--solvers", *solvers);
  options.record = parsed.value("--record").value_or("");
  options.decay = parsed.positive_real("--decay", options.decay);
  options.tol = parsed.positive_real("--tol", options.tol);
  options.ncv = parsed.positive("--ncv", -1);
  options.mpd = parsed.positive("--mpd", -1);
  options.json = parsed.flag("--json");
  for (const index nev : options.nevs)
    if (nev > options.n) throw UsageError{"option --nev must not exceed --n"};
  return options;
}

double exact_eigenvalue(index i, double decay) { return std::pow(static_cast<double>(i + 1), -decay); }

/// y = diag(lambda) x, counting the products.
struct DiagonalOperator {
  operators::PetscVec diagonal;
  long long products = 0;
};

PetscErrorCode multiply_diagonal(Mat mat, Vec x, Vec y) {
  DiagonalOperator* op = nullptr;
  PetscFunctionBeginUser;
  PetscCall(MatShellGetContext(mat, &op));
  ++op->products;
  PetscCall(VecPointwiseMult(y, op->diagonal.get(), x));
  PetscFunctionReturn(0);
}

operators::PetscMat make_operator(DiagonalOperator& op, const Options& options) {
  const auto n = static_cast<PetscInt>(options.n);
  HC_PETSC(VecCreateMPI(MPI_COMM_WORLD, PETSC_DECIDE, n, op.diagonal.out()));
  PetscInt first = 0, last = 0;
  HC_PETSC(VecGetOwnershipRange(op.diagonal.get(), &first, &last));
  PetscScalar* values = nullptr;
  HC_PETSC(VecGetArrayWrite(op.diagonal.get(), &values));
  for (PetscInt i = first; i < last; ++i) values[i - first] = exact_eigenvalue(i, options.decay);
  HC_PETSC(VecRestoreArrayWrite(op.diagonal.get(), &values));
  operators::PetscMat mat;
  HC_PETSC(MatCreateShell(MPI_COMM_WORLD, last - first, last - first, n, n, &op, mat.out()));
  HC_PETSC(MatShellSetOperation(mat.get(), MATOP_MULT, reinterpret_cast<void (*)(void)>(multiply_diagonal)));
  HC_PETSC(MatSetOption(mat.get(), MAT_SYMMETRIC, PETSC_TRUE));
  return mat;
}

double worst_relative_error(const std::vector<double>& values, double decay) {
  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end(), std::greater<>());
  double worst = 0.0;
  for (size_t i = 0; i < sorted.size(); ++i) {
    const double exact = exact_eigenvalue(static_cast<index>(i), decay);
    worst = std::max(worst, std::abs(sorted[i] - exact) / exact);
  }
  return worst;
}

/// One solve of the comparison: its settings, result and costs.
struct Solve {
  index nev = 0;
  spectral::EigenResult result;
  long long products = 0;
  double error = 0.0;
  double peak_rss_bytes = 0.0;  ///< largest resident set of any rank so far (getrusage)
};

double peak_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  double bytes = static_cast<double>(usage.ru_maxrss) * 1024.0;  // Linux: kilobytes
  HC_MPI(MPI_Allreduce(MPI_IN_PLACE, &bytes, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD));
  return bytes;
}

void print_report(const Options& options, const Solve& solve, int ranks) {
  const auto& result = solve.result;
  const auto& t = result.timings;
  if (options.json) {
    std::printf(
        "{\"n\":%lld,\"nev\":%lld,\"decay\":%g,\"tol\":%g,\"ranks\":%d,\"solver\":\"%s\",\"converged\":%zu,"
        "\"iterations\":%lld,\"products\":%lld,\"solve_s\":%.4f,\"products_s\":%.4f,\"basis_s\":%.4f,"
        "\"orthogonalize_columns_s\":%.4f,\"orthogonalize_blocks_s\":%.4f,\"projected_s\":%.4f,"
        "\"max_relative_error\":%.3e,\"orthogonality_loss\":%.3e,\"peak_rss_bytes\":%.0f}\n",
        static_cast<long long>(options.n), static_cast<long long>(solve.nev), options.decay, options.tol, ranks,
        result.solver.c_str(), result.values.size(), static_cast<long long>(result.iterations), solve.products, t.solve,
        t.products, t.basis, t.orthogonalize_columns, t.orthogonalize_blocks, t.projected, solve.error, result.orthogonality,
        solve.peak_rss_bytes);
    return;
  }
  std::printf("diagonal operator, n = %lld, lambda_i = i^-%g, %d rank(s); %s, tol %g\n",
              static_cast<long long>(options.n), options.decay, ranks, result.solver.c_str(), options.tol);
  std::printf("converged        %zu / %lld in %lld iterations (restarts)\n", result.values.size(),
              static_cast<long long>(solve.nev), static_cast<long long>(result.iterations));
  std::printf("products         %lld (in EPSSolve: %lld)\n", solve.products, t.product_calls);
  std::printf("EPSSolve         %.2f s\n", t.solve);
  std::printf("  products       %.2f s\n", t.products);
  std::printf("  basis work     %.2f s (column orthogonalisation %.2f s, block orthogonalisation %.2f s)\n", t.basis,
              t.orthogonalize_columns, t.orthogonalize_blocks);
  std::printf("  projected      %.2f s\n", t.projected);
  std::printf("eigenvalues      max relative error %.2e against the exact lambda_i\n", solve.error);
  std::printf("eigenvectors     orthogonality loss %.2e\n", result.orthogonality);
  std::printf("memory           peak resident set %.1f MiB (largest rank)\n\n", solve.peak_rss_bytes / (1024.0 * 1024.0));
}

RecordRow record_row(const Solve& solve) {
  const auto& t = solve.result.timings;
  return {solve.result.solver + "_nev" + std::to_string(solve.nev),
          {{"solver", solve.result.solver},
           {"nev", static_cast<std::int64_t>(solve.nev)},
           {"converged", static_cast<std::int64_t>(solve.result.values.size())},
           {"iterations", static_cast<std::int64_t>(solve.result.iterations)},
           {"products", static_cast<std::int64_t>(solve.products)},
           {"solve_s", t.solve},
           {"products_s", t.products},
           {"basis_s", t.basis},
           {"orthogonalize_columns_s", t.orthogonalize_columns},
           {"orthogonalize_blocks_s", t.orthogonalize_blocks},
           {"projected_s", t.projected},
           {"max_relative_error", solve.error},
           {"orthogonality_loss", solve.result.orthogonality},
           {"peak_rss_bytes", solve.peak_rss_bytes}}};
}

/// The top `nev` of the operator with the -eps_type in effect.
Solve solve_once(const Options& options, index nev) {
  DiagonalOperator op;
  const auto mat = make_operator(op, options);
  spectral::EigenRequest request;
  request.nev = nev;
  request.tol = options.tol;
  request.ncv = options.ncv;
  request.mpd = options.mpd;
  Solve solve;
  solve.nev = nev;
  solve.result = spectral::solve_eigenproblem(mat.get(), request);
  solve.products = op.products;
  solve.error = worst_relative_error(solve.result.values, options.decay);
  solve.peak_rss_bytes = peak_rss_bytes();
  return solve;
}

}  // namespace

const char* eig_help() { return kHelp; }

int eig_bench(const std::vector<std::string>& words) {
  const Options options = parse_options(words);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  // Each --solvers entry becomes -eps_type for its solves; the user's own -eps_type comes back after.
  char given[256] = {};
  PetscBool has_given = PETSC_FALSE;
  HC_PETSC(PetscOptionsGetString(nullptr, nullptr, "-eps_type", given, sizeof given, &has_given));
  const std::vector<std::string> solvers = options.solvers.empty() ? std::vector<std::string>{""} : options.solvers;
  Record record{"eig", bench_command("eig", words),
                {{"n", static_cast<std::int64_t>(options.n)},
                 {"decay", options.decay},
                 {"tol", options.tol},
                 {"ncv", static_cast<std::int64_t>(options.ncv)},
                 {"mpd", static_cast<std::int64_t>(options.mpd)}},
                {}};
  (void)solve_once(options, 1);  // warm-up: the first solve of a process pays one-time setup
  for (const auto& solver : solvers) {
    if (!solver.empty()) HC_PETSC(PetscOptionsSetValue(nullptr, "-eps_type", solver.c_str()));
    for (const index nev : options.nevs) {
      const Solve solve = solve_once(options, nev);
      if (rank == 0) print_report(options, solve, ranks);
      std::fflush(stdout);
      record.rows.push_back(record_row(solve));
    }
  }
  if (has_given)
    HC_PETSC(PetscOptionsSetValue(nullptr, "-eps_type", given));
  else if (!options.solvers.empty())
    HC_PETSC(PetscOptionsClearValue(nullptr, "-eps_type"));
  if (!options.record.empty()) write_record(record, options.record, comm::Communicator::borrow(MPI_COMM_WORLD));
  return 0;
}

}  // namespace hesscov::bench
