#pragma once
// The direct (matrix) form of Study 2's exact fluctuations, as SCIENCE.md writes it, for any real
// type: a reference and a demonstration, not the oracle. With x = ηλ, D = [[1+β−x, −β], [1, 0]],
// e1 = (1, 0)ᵀ,
//   E = D (D^M + (I − D) M − I) (I − D)⁻² / (M(M−1)) · e1e1ᵀ,
//   F = 1/((1−β)(2(1+β)−x)) · [[(1+β)/x, 2β(x−1−β)/x], [2, 2(x−2)]],
//   (σ²_θ, σ²_v)ᵀ = η²σ² F (e1 − (E + Eᵀ) e1).
// It is exact in exact arithmetic (M ≥ 2, stationary domain of theory_epoch.hpp), but
// D^M + (I−D)M − I cancels to O((Mx)²) and F's 1/x then cancels e1 − (E+Eᵀ)e1 to O(x): the
// relative rounding error grows like ε/x³. In double it is already wrong in the second digit at
// λ/λ_cross = 1e-4 (docs/theory.md); use theory::epoch_fluctuations, and instantiate this with an
// extended type (long double, __float128, a double-quad type) only to check it.
//
// Real needs +, −, ×, ÷, unary −, and construction from double. Header-only; no checks on the
// domain (the caller passes a stationary setting with M ≥ 2).
#include "backend/types.hpp"

namespace hesscov::stats::theory {

/// σ²_θ and σ²_v of the direct formula, in the caller's real type.
template <class Real>
struct DirectFluctuations {
  Real sigma2_theta;
  Real sigma2_v;
};

/// A 2×2 matrix of Real, and its product (the direct formula's only matrix operations).
template <class Real>
struct Matrix2 {
  Real a, b, c, d;  // [[a, b], [c, d]]
};

template <class Real>
Matrix2<Real> multiply2(const Matrix2<Real>& l, const Matrix2<Real>& r) {
  return {l.a * r.a + l.b * r.c, l.a * r.b + l.b * r.d, l.c * r.a + l.d * r.c, l.c * r.b + l.d * r.d};
}

/// SCIENCE.md's E/F formula evaluated in Real throughout (η, β, λ, σ² converted to Real first).
template <class Real>
DirectFluctuations<Real> epoch_fluctuations_direct(Real eta, Real beta, index batches, Real lambda, Real sigma2) {
  const Real one(1.0), zero(0.0), two(2.0), m(static_cast<double>(batches));
  const Real x = eta * lambda;
  const Matrix2<Real> d_matrix{one + beta - x, zero - beta, one, zero};
  Matrix2<Real> power{one, zero, zero, one}, square = d_matrix;
  for (index e = batches; e > 0; e /= 2) {  // D^M by repeated squaring
    if (e % 2 == 1) power = multiply2(power, square);
    square = multiply2(square, square);
  }
  const Matrix2<Real> i_minus_d{one - d_matrix.a, zero - d_matrix.b, zero - d_matrix.c, one - d_matrix.d};
  const Real det = i_minus_d.a * i_minus_d.d - i_minus_d.b * i_minus_d.c;
  const Matrix2<Real> inverse{i_minus_d.d / det, (zero - i_minus_d.b) / det, (zero - i_minus_d.c) / det,
                              i_minus_d.a / det};
  const Matrix2<Real> middle{power.a + i_minus_d.a * m - one, power.b + i_minus_d.b * m,
                             power.c + i_minus_d.c * m, power.d + i_minus_d.d * m - one};
  const Matrix2<Real> full = multiply2(multiply2(d_matrix, middle), multiply2(inverse, inverse));
  const Real pairs = m * (m - one);
  // E = full/(M(M−1)) · e1e1ᵀ keeps full's first column: E = [[e00, 0], [e10, 0]], so
  // (E + Eᵀ)e1 = (2 e00, e10).
  const Real e00 = full.a / pairs, e10 = full.c / pairs;
  const Real r0 = one - two * e00, r1 = zero - e10;
  const Real scale = one / ((one - beta) * (two * (one + beta) - x));
  const Real f00 = scale * (one + beta) / x, f01 = scale * two * beta * (x - one - beta) / x;
  const Real f10 = scale * two, f11 = scale * two * (x - two);
  const Real noise = eta * eta * sigma2;
  return {noise * (f00 * r0 + f01 * r1), noise * (f10 * r0 + f11 * r1)};
}

}  // namespace hesscov::stats::theory
