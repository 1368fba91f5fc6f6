#include "stats/theory_trace_drift.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <string>

#include "core/error.hpp"
#include "stats/theory_dense.hpp"

namespace hesscov::stats::theory {
namespace {

/// λ and ∇λ = (∂/∂t3, ∂/∂t4) of one stiff coordinate.
struct Curvature {
  double value, d3, d4;
};

/// The two curvatures of `toy` at (t3, t4), from the closed forms in the header (written out here
/// independently of nn/toy_valley, which the tests check against this).
std::array<Curvature, 2> curvatures(int toy, double t3, double t4) {
  if (toy == 1) {
    const double s1 = t3 + t4 > 0.0 ? 1.0 : -1.0, s2 = t3 + 2.0 * t4 > 0.0 ? 1.0 : -1.0;
    return {Curvature{2.0 * std::abs(t3 + t4), 2.0 * s1, 2.0 * s1}, Curvature{2.0 * std::abs(t3 + 2.0 * t4), 2.0 * s2, 4.0 * s2}};
  }
  const double bowl = std::exp(-(t3 * t3 + t4 * t4)), d = t3 - t4, ridge = std::exp(-d * d);
  return {Curvature{8.0 - 4.0 * bowl, 8.0 * bowl * t3, 8.0 * bowl * t4},
          Curvature{2.0 * ridge, -4.0 * d * ridge, 4.0 * d * ridge}};
}

}  // namespace

double valley_trace(double t3, double t4) { return 2.0 * std::abs(t3 + t4) + 2.0 * std::abs(t3 + 2.0 * t4); }

ValleyDrift valley_drift(int toy, double eta, double scale, double power, double t3, double t4) {
  HC_CHECK(toy == 1 || toy == 2, core::Error, "valley_drift: toy " + std::to_string(toy) + " (expected 1 or 2)");
  HC_CHECK(std::isfinite(eta) && eta > 0.0, core::Error, "valley_drift: learning rate eta = " + dense::number_text(eta) + " must be > 0");
  HC_CHECK(std::isfinite(scale) && scale >= 0.0, core::Error, "valley_drift: noise scale (kappa) = " + dense::number_text(scale) + " must be >= 0");
  HC_CHECK(std::isfinite(power), core::Error, "valley_drift: noise power must be finite");
  HC_CHECK(std::isfinite(t3) && std::isfinite(t4) && (toy == 2 || (t3 + t4 != 0.0 && t3 + 2.0 * t4 != 0.0)), core::Error,
           "valley_drift: point (t3, t4) = (" + dense::number_text(t3) + ", " + dense::number_text(t4) +
               (toy == 1 ? ") is on a kink (t3 + t4 = 0 or t3 + 2 t4 = 0) where the Hessian is not defined" : ") is not finite"));
  const auto [c1, c2] = curvatures(toy, t3, t4);
  ValleyDrift drift;
  drift.lambda1 = c1.value, drift.lambda2 = c2.value;
  HC_CHECK(eta * drift.lambda1 < 2.0 && eta * drift.lambda2 < 2.0, core::Error,
           "valley_drift: eta*lambda = " + dense::number_text(eta * std::max(drift.lambda1, drift.lambda2)) +
               " >= 2: the stiff coordinates t1, t2 diverge (lambda1 = " + dense::number_text(drift.lambda1) +
               ", lambda2 = " + dense::number_text(drift.lambda2) + ")");
  drift.trace = c1.value + c2.value;
  drift.log_det = std::log(c1.value) + std::log(c2.value);
  const double trace3 = c1.d3 + c2.d3, trace4 = c1.d4 + c2.d4;
  const double log3 = c1.d3 / c1.value + c2.d3 / c2.value, log4 = c1.d4 / c1.value + c2.d4 / c2.value;
  double* variance[2] = {&drift.variance1, &drift.variance2};
  for (int i = 0; i < 2; ++i) {
    const Curvature& c = i == 0 ? c1 : c2;
    // E t² = η c/(λ(2 − ηλ)); the leading order is its factor 2/(2 − ηλ) smaller.
    const double leading = 0.5 * eta * scale * std::pow(c.value, power) / c.value, finite = leading * 2.0 / (2.0 - eta * c.value);
    *variance[i] = finite;
    const double along_trace = -0.5 * eta * (c.d3 * trace3 + c.d4 * trace4);
    const double along_log_det = -0.5 * eta * (c.d3 * log3 + c.d4 * log4);
    drift.trace_rate += finite * along_trace, drift.trace_rate_leading += leading * along_trace;
    drift.log_det_rate += finite * along_log_det, drift.log_det_rate_leading += leading * along_log_det;
  }
  return drift;
}

TraceDrift valley_trace_drift(double eta, double kappa, double t3, double t4) {
  const ValleyDrift general = valley_drift(1, eta, kappa, 1.0, t3, t4);
  TraceDrift drift;
  drift.lambda1 = general.lambda1, drift.lambda2 = general.lambda2, drift.trace = general.trace;
  const double s1 = t3 + t4 > 0.0 ? 1.0 : -1.0, s2 = t3 + 2.0 * t4 > 0.0 ? 1.0 : -1.0;
  const double grad3 = 2.0 * s1 + 2.0 * s2, grad4 = 2.0 * s1 + 4.0 * s2;
  drift.flat_gradient_norm2 = grad3 * grad3 + grad4 * grad4;
  drift.finite_eta = general.trace_rate;
  drift.leading_order = general.trace_rate_leading;
  return drift;
}

}  // namespace hesscov::stats::theory
