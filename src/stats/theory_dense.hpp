#pragma once
// Small dense linear algebra for the theory oracle (theory_*.hpp): square row-major matrices in
// `std::vector<double>` of length n*n, on the host, owned by the caller. LAPACK does the symmetric
// eigendecompositions, general solves and general eigenvalues; everything else is plain loops,
// because the oracle's matrices are small (a few hundred rows at most) and exactness, not speed,
// is the point. Bad input throws core::DimensionMismatch (sizes) or core::Error (values).
#include <string>
#include <vector>

#include "backend/types.hpp"

namespace hesscov::stats::theory::dense {

using Matrix = std::vector<double>;

/// `value` with 17 significant digits, for error messages that must show it exactly. Local.
std::string number_text(double value);

/// Throws core::DimensionMismatch naming `what` unless m has n*n entries (n ≥ 1).
void check_square(const Matrix& m, index n, const std::string& what);

/// Throws core::Error naming `what` and the worst pair unless |m_ij − m_ji| ≤ 1e-12·max|m| + 1e-300.
void check_symmetric(const Matrix& m, index n, const std::string& what);

/// The n×n identity.
[[nodiscard]] Matrix identity(index n);

/// A·B for n×n A and B.
[[nodiscard]] Matrix multiply(const Matrix& a, const Matrix& b, index n);

/// Aᵀ.
[[nodiscard]] Matrix transpose(const Matrix& a, index n);

/// Uᵀ X U (congruence into the basis whose vectors are the columns of U).
[[nodiscard]] Matrix to_basis(const Matrix& x, const Matrix& u, index n);

/// U X Uᵀ (back from that basis).
[[nodiscard]] Matrix from_basis(const Matrix& x, const Matrix& u, index n);

/// (A + Aᵀ)/2, to remove rounding asymmetry from a result that is symmetric in exact arithmetic.
[[nodiscard]] Matrix symmetrized(const Matrix& a, index n);

/// Σ_i a_ii.
[[nodiscard]] double trace(const Matrix& a, index n);

/// Eigendecomposition A = U diag(values) Uᵀ of a symmetric A (LAPACK dsyevd): values ascending,
/// U orthogonal, row-major with the eigenvectors as its columns.
struct SymmetricEigen {
  std::vector<double> values;
  Matrix vectors;
};
[[nodiscard]] SymmetricEigen symmetric_eigen(const Matrix& a, index n);

/// U f(values) Uᵀ for f applied to each eigenvalue (e.g. the square root of an SPD matrix).
[[nodiscard]] Matrix spectral_function(const SymmetricEigen& eigen, index n, double (*f)(double));

/// x solving A x = b for a general n×n A (LAPACK dgesv, partial pivoting). Throws core::Error
/// naming `what` when A is exactly singular.
[[nodiscard]] std::vector<double> solve(const Matrix& a, const std::vector<double>& b, index n,
                                        const std::string& what);

/// max |eigenvalue| of a general n×n A (LAPACK dgeev, eigenvalues only).
[[nodiscard]] double spectral_radius(const Matrix& a, index n);

}  // namespace hesscov::stats::theory::dense
