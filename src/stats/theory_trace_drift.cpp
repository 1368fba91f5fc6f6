#include "stats/theory_trace_drift.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "core/error.hpp"
#include "stats/theory_dense.hpp"

namespace hesscov::stats::theory {
namespace {

}  // namespace

double valley_trace(double t3, double t4) { return 2.0 * std::abs(t3 + t4) + 2.0 * std::abs(t3 + 2.0 * t4); }

TraceDrift valley_trace_drift(double eta, double kappa, double t3, double t4) {
  HC_CHECK(std::isfinite(eta) && eta > 0.0, core::Error, "valley_trace_drift: learning rate eta = " + dense::number_text(eta) + " must be > 0");
  HC_CHECK(std::isfinite(kappa) && kappa >= 0.0, core::Error, "valley_trace_drift: kappa = " + dense::number_text(kappa) + " must be >= 0");
  HC_CHECK(std::isfinite(t3) && std::isfinite(t4) && t3 + t4 != 0.0 && t3 + 2.0 * t4 != 0.0, core::Error,
           "valley_trace_drift: point (t3, t4) = (" + dense::number_text(t3) + ", " + dense::number_text(t4) +
               ") is on a kink (t3 + t4 = 0 or t3 + 2 t4 = 0) where the Hessian is not defined");
  TraceDrift drift;
  drift.lambda1 = 2.0 * std::abs(t3 + t4);
  drift.lambda2 = 2.0 * std::abs(t3 + 2.0 * t4);
  drift.trace = drift.lambda1 + drift.lambda2;
  HC_CHECK(eta * drift.lambda1 < 2.0 && eta * drift.lambda2 < 2.0, core::Error,
           "valley_trace_drift: eta*lambda = " + dense::number_text(eta * std::max(drift.lambda1, drift.lambda2)) +
               " >= 2: the stiff coordinates t1, t2 diverge (lambda1 = " + dense::number_text(drift.lambda1) +
               ", lambda2 = " + dense::number_text(drift.lambda2) + ")");
  const double s1 = t3 + t4 > 0.0 ? 1.0 : -1.0, s2 = t3 + 2.0 * t4 > 0.0 ? 1.0 : -1.0, s = s1 * s2;
  const double grad3 = 2.0 * s1 + 2.0 * s2, grad4 = 2.0 * s1 + 4.0 * s2;
  drift.flat_gradient_norm2 = grad3 * grad3 + grad4 * grad4;
  const double scale = eta * eta * kappa;
  drift.finite_eta = -scale * ((4.0 + 6.0 * s) / (2.0 - eta * drift.lambda1) + (10.0 + 6.0 * s) / (2.0 - eta * drift.lambda2));
  drift.leading_order = -0.25 * scale * drift.flat_gradient_norm2;
  return drift;
}

}  // namespace hesscov::stats::theory
