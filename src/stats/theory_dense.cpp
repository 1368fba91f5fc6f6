#include "stats/theory_dense.hpp"

#include <cstdio>

#include <algorithm>
#include <climits>
#include <cmath>

#include "core/error.hpp"

extern "C" void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w,
                        double* work, const int* lwork, int* iwork, const int* liwork, int* info);
extern "C" void dgesv_(const int* n, const int* nrhs, double* a, const int* lda, int* ipiv, double* b,
                       const int* ldb, int* info);
extern "C" void dgeev_(const char* jobvl, const char* jobvr, const int* n, double* a, const int* lda, double* wr,
                       double* wi, double* vl, const int* ldvl, double* vr, const int* ldvr, double* work,
                       const int* lwork, int* info);

namespace hesscov::stats::theory::dense {
namespace {

using std::size_t;

size_t at(index i, index j, index n) { return static_cast<size_t>(i * n + j); }

int lapack_size(index n) {
  HC_CHECK(n > 0 && n < INT_MAX / 2, core::DimensionMismatch,
           "theory: matrix size " + std::to_string(n) + " outside LAPACK's int range");
  return static_cast<int>(n);
}

}  // namespace

std::string number_text(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.17g", value);
  return buffer;
}

void check_square(const Matrix& m, index n, const std::string& what) {
  HC_CHECK(n >= 1 && static_cast<index>(m.size()) == n * n, core::DimensionMismatch,
           what + ": " + std::to_string(m.size()) + " entries, expected " + std::to_string(n) + "x" +
               std::to_string(n));
}

void check_symmetric(const Matrix& m, index n, const std::string& what) {
  check_square(m, n, what);
  double scale = 0.0;
  for (double v : m) {
    HC_CHECK(std::isfinite(v), core::Error, what + ": entry " + std::to_string(v) + " is not finite");
    scale = std::max(scale, std::abs(v));
  }
  for (index i = 0; i < n; ++i)
    for (index j = i + 1; j < n; ++j)
      HC_CHECK(std::abs(m[at(i, j, n)] - m[at(j, i, n)]) <= 1e-12 * scale + 1e-300, core::Error,
               what + ": not symmetric, entry (" + std::to_string(i + 1) + "," + std::to_string(j + 1) + ") = " +
                   std::to_string(m[at(i, j, n)]) + " but (" + std::to_string(j + 1) + "," +
                   std::to_string(i + 1) + ") = " + std::to_string(m[at(j, i, n)]));
}

Matrix identity(index n) {
  Matrix m(static_cast<size_t>(n * n), 0.0);
  for (index i = 0; i < n; ++i) m[at(i, i, n)] = 1.0;
  return m;
}

Matrix multiply(const Matrix& a, const Matrix& b, index n) {
  Matrix c(static_cast<size_t>(n * n), 0.0);
  for (index i = 0; i < n; ++i)
    for (index l = 0; l < n; ++l) {
      const double ail = a[at(i, l, n)];
      for (index j = 0; j < n; ++j) c[at(i, j, n)] += ail * b[at(l, j, n)];
    }
  return c;
}

Matrix transpose(const Matrix& a, index n) {
  Matrix t(a.size());
  for (index i = 0; i < n; ++i)
    for (index j = 0; j < n; ++j) t[at(j, i, n)] = a[at(i, j, n)];
  return t;
}

Matrix to_basis(const Matrix& x, const Matrix& u, index n) { return multiply(transpose(u, n), multiply(x, u, n), n); }

Matrix from_basis(const Matrix& x, const Matrix& u, index n) { return multiply(u, multiply(x, transpose(u, n), n), n); }

Matrix symmetrized(const Matrix& a, index n) {
  Matrix s(a.size());
  for (index i = 0; i < n; ++i)
    for (index j = 0; j < n; ++j) s[at(i, j, n)] = 0.5 * (a[at(i, j, n)] + a[at(j, i, n)]);
  return s;
}

double trace(const Matrix& a, index n) {
  double sum = 0.0;
  for (index i = 0; i < n; ++i) sum += a[at(i, i, n)];
  return sum;
}

SymmetricEigen symmetric_eigen(const Matrix& a, index n) {
  check_square(a, n, "symmetric_eigen");
  const int size = lapack_size(n), minus_one = -1;
  // A symmetric row-major matrix is its own column-major transpose: LAPACK reads it as is.
  Matrix work_matrix = a;
  SymmetricEigen eigen{std::vector<double>(static_cast<size_t>(n)), {}};
  double work_query = 0.0;
  int iwork_query = 0, info = 0;
  dsyevd_("V", "U", &size, work_matrix.data(), &size, eigen.values.data(), &work_query, &minus_one, &iwork_query,
          &minus_one, &info);
  std::vector<double> work(static_cast<size_t>(std::max(work_query, 1.0)));
  std::vector<int> iwork(static_cast<size_t>(std::max(iwork_query, 1)));
  const int lwork = static_cast<int>(work.size()), liwork = static_cast<int>(iwork.size());
  dsyevd_("V", "U", &size, work_matrix.data(), &size, eigen.values.data(), work.data(), &lwork, iwork.data(),
          &liwork, &info);
  HC_CHECK(info == 0, core::Error, "symmetric_eigen: LAPACK dsyevd failed with info = " + std::to_string(info));
  // Column-major eigenvectors (vector j at offset j*n) into row-major U with vectors as columns.
  eigen.vectors = transpose(work_matrix, n);
  return eigen;
}

Matrix spectral_function(const SymmetricEigen& eigen, index n, double (*f)(double)) {
  Matrix diagonal(static_cast<size_t>(n * n), 0.0);
  for (index i = 0; i < n; ++i) diagonal[at(i, i, n)] = f(eigen.values[static_cast<size_t>(i)]);
  return from_basis(diagonal, eigen.vectors, n);
}

std::vector<double> solve(const Matrix& a, const std::vector<double>& b, index n, const std::string& what) {
  check_square(a, n, what);
  HC_CHECK(static_cast<index>(b.size()) == n, core::DimensionMismatch,
           what + ": right-hand side has " + std::to_string(b.size()) + " entries, expected " + std::to_string(n));
  const int size = lapack_size(n), one = 1;
  Matrix column_major = transpose(a, n);
  std::vector<double> x = b;
  std::vector<int> pivots(static_cast<size_t>(n));
  int info = 0;
  dgesv_(&size, &one, column_major.data(), &size, pivots.data(), x.data(), &size, &info);
  HC_CHECK(info == 0, core::Error,
           what + ": the linear system is singular (LAPACK dgesv info = " + std::to_string(info) + ")");
  return x;
}

double spectral_radius(const Matrix& a, index n) {
  check_square(a, n, "spectral_radius");
  const int size = lapack_size(n), one = 1, minus_one = -1;
  Matrix column_major = transpose(a, n);
  std::vector<double> real(static_cast<size_t>(n)), imaginary(static_cast<size_t>(n));
  double dummy = 0.0, work_query = 0.0;
  int info = 0;
  dgeev_("N", "N", &size, column_major.data(), &size, real.data(), imaginary.data(), &dummy, &one, &dummy, &one,
         &work_query, &minus_one, &info);
  std::vector<double> work(static_cast<size_t>(std::max(work_query, 1.0)));
  const int lwork = static_cast<int>(work.size());
  dgeev_("N", "N", &size, column_major.data(), &size, real.data(), imaginary.data(), &dummy, &one, &dummy, &one,
         work.data(), &lwork, &info);
  HC_CHECK(info == 0, core::Error, "spectral_radius: LAPACK dgeev failed with info = " + std::to_string(info));
  double radius = 0.0;
  for (size_t i = 0; i < real.size(); ++i) radius = std::max(radius, std::hypot(real[i], imaginary[i]));
  return radius;
}

}  // namespace hesscov::stats::theory::dense
