#include "bench/eig_bench.hpp"

#include <mpi.h>
#include <petscmat.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "bench/command_line.hpp"
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
    "  --nev K       eigenpairs wanted (default 1000)\n"
    "  --decay A     power-law exponent of the spectrum (default 1)\n"
    "  --tol T       residual tolerance, ||A v - lambda v|| <= T |lambda| (default 1e-10, as hesscov eig)\n"
    "  --ncv M       basis size (default: SLEPc's)\n"
    "  --mpd M       maximum projected dimension (default: SLEPc's)\n"
    "  --json        print one JSON object on stdout instead of the report\n"
    "Every SLEPc option applies, e.g. -eps_type lobpcg, -eps_krylovschur_locking 0,\n"
    "-bv_type vecs, -bv_orthog_refine always, -bv_orthog_block svqb, -log_view.\n"
    "\n"
    "examples:\n"
    "  hesscov bench eig --nev 1000 --mpd 300\n"
    "  hesscov bench eig --nev 1000 --json -bv_orthog_type mgs\n";

struct Options {
  index n = 42200;
  index nev = 1000;
  double decay = 1.0;
  double tol = 1e-10;
  index ncv = -1;
  index mpd = -1;
  bool json = false;
};

Options parse_options(const std::vector<std::string>& words) {
  const auto parsed = parse_command_line(
      words, {.valued = {"--n", "--nev", "--decay", "--tol", "--ncv", "--mpd"}, .flags = {"--json"}, .petsc_options = true});
  Options options;
  options.n = parsed.positive("--n", options.n);
  options.nev = parsed.positive("--nev", options.nev);
  options.decay = parsed.positive_real("--decay", options.decay);
  options.tol = parsed.positive_real("--tol", options.tol);
  options.ncv = parsed.positive("--ncv", -1);
  options.mpd = parsed.positive("--mpd", -1);
  options.json = parsed.flag("--json");
  if (options.nev > options.n) throw UsageError{"option --nev must not exceed --n"};
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

void print_report(const Options& options, const spectral::EigenResult& result, long long products, int ranks,
                  double error) {
  const auto& t = result.timings;
  if (options.json) {
    std::printf(
        "{\"n\":%lld,\"nev\":%lld,\"decay\":%g,\"tol\":%g,\"ranks\":%d,\"solver\":\"%s\",\"converged\":%zu,"
        "\"iterations\":%lld,\"products\":%lld,\"solve_s\":%.4f,\"products_s\":%.4f,\"basis_s\":%.4f,"
        "\"orthogonalize_columns_s\":%.4f,\"orthogonalize_blocks_s\":%.4f,\"projected_s\":%.4f,"
        "\"max_relative_error\":%.3e,\"orthogonality_loss\":%.3e}\n",
        static_cast<long long>(options.n), static_cast<long long>(options.nev), options.decay, options.tol, ranks,
        result.solver.c_str(), result.values.size(), static_cast<long long>(result.iterations), products, t.solve,
        t.products, t.basis, t.orthogonalize_columns, t.orthogonalize_blocks, t.projected, error, result.orthogonality);
    return;
  }
  std::printf("diagonal operator, n = %lld, lambda_i = i^-%g, %d rank(s); %s, tol %g\n",
              static_cast<long long>(options.n), options.decay, ranks, result.solver.c_str(), options.tol);
  std::printf("converged        %zu / %lld in %lld iterations (restarts)\n", result.values.size(),
              static_cast<long long>(options.nev), static_cast<long long>(result.iterations));
  std::printf("products         %lld (in EPSSolve: %lld)\n", products, t.product_calls);
  std::printf("EPSSolve         %.2f s\n", t.solve);
  std::printf("  products       %.2f s\n", t.products);
  std::printf("  basis work     %.2f s (column orthogonalisation %.2f s, block orthogonalisation %.2f s)\n", t.basis,
              t.orthogonalize_columns, t.orthogonalize_blocks);
  std::printf("  projected      %.2f s\n", t.projected);
  std::printf("eigenvalues      max relative error %.2e against the exact lambda_i\n", error);
  std::printf("eigenvectors     orthogonality loss %.2e\n", result.orthogonality);
}

}  // namespace

const char* eig_help() { return kHelp; }

int eig_bench(const std::vector<std::string>& words) {
  const Options options = parse_options(words);
  DiagonalOperator op;
  const auto mat = make_operator(op, options);
  spectral::EigenRequest request;
  request.nev = options.nev;
  request.tol = options.tol;
  request.ncv = options.ncv;
  request.mpd = options.mpd;
  const auto result = spectral::solve_eigenproblem(mat.get(), request);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  const double error = worst_relative_error(result.values, options.decay);
  if (rank == 0) print_report(options, result, op.products, ranks, error);
  std::fflush(stdout);
  return 0;
}

}  // namespace hesscov::bench
