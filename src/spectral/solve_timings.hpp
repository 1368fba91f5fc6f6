#pragma once
// Where an eigensolve spends its time, read from PETSc's event log: products, orthogonalisation
// and restarts of the basis, and the projected (dense) problem. The issue that motivates it: with
// thousands of eigenpairs the solver's own basis work can outweigh the products.
#include <map>
#include <string>

namespace hesscov::spectral {

/// Seconds (and calls) spent in PETSc/SLEPc events between two snapshots, on this rank.
struct SolveTimings {
  double solve = 0.0;            ///< EPSSolve
  double products = 0.0;         ///< MatMult inside the solve (the operator's products)
  double orthogonalize_columns = 0.0;  ///< BVOrthogonalizeV: column Gram-Schmidt of Krylov methods, with its dots and axpys
  double orthogonalize_blocks = 0.0;   ///< BVOrthogonalize: block orthogonalisation (LOBPCG and other block methods)
  double projected = 0.0;        ///< DSSolve, DSVectors, DSOther (the small dense problem)
  double basis = 0.0;            ///< solve - products - projected: orthogonalisation, restart updates, the rest
  long long product_calls = 0;   ///< MatMult calls inside the solve
};

/// Cumulative event times at one moment. Constructing the first snapshot turns PETSc's default
/// event log on if -log_view (or similar) has not already: its overhead is a clock read per event.
class EventSnapshot {
 public:
  EventSnapshot();
  /// The events' deltas from `earlier` to this snapshot.
  SolveTimings since(const EventSnapshot& earlier) const;

 private:
  struct Totals {
    double seconds = 0.0;
    long long calls = 0;
  };
  std::map<std::string, Totals> events_;
};

}  // namespace hesscov::spectral
