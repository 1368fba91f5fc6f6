#pragma once
// What `hesscov sweep --dry-run` reports for each run before any work: its sizes, and what its
// eigen-extractions will ask of memory and products, from the config and the data set alone.
#include <map>
#include <string>

#include "backend/types.hpp"
#include "core/config.hpp"

namespace hesscov::apps {

struct RunResources {
  index params = 0;          ///< P, parameters of the model
  index block = 0;           ///< n, coordinates of eig.blocks (the operator's size)
  index samples = 0;         ///< N, training samples
  index steps = 0;           ///< SGD steps of the whole run
  index points = 0;          ///< measure points (analyses run at each)
  index solves = 0;          ///< eigensolves per measure point
  index ncv = 0;             ///< SLEPc basis columns (eig.ncv, or SLEPc's default for eig.nev/eig.mpd)
  double basis_bytes = 0.0;  ///< per rank: the Krylov basis and the kept eigenvectors, (ncv + nev) n / ranks
  double dense_bytes = 0.0;  ///< per rank: align's replicated k x k matrices (C_V, correlations, baselines, AWD)
  index products_low = 0, products_high = 0;  ///< operator products per measure point: ncv to 6 nev per solve
};

/// Loads data sets (once per distinct data section, through `cache`) and builds the model on the
/// CPU to size a run of `ranks` ranks. Local; may take a few seconds per data set.
class ResourceEstimator {
 public:
  RunResources estimate(const core::Config& config, int ranks);

 private:
  struct DataShape {
    index count = 0, channels = 1, height = 1, width = 1;
    int classes = 0;
  };
  std::map<std::string, DataShape> shapes_;  ///< by the data section's canonical text
};

}  // namespace hesscov::apps
