#pragma once
// What a sweep run writes about itself into its archive (docs/archive-format.md): the metadata
// segment (provenance, the resolved config, the data set's identity and sample indices, the
// parameter layout, the run's place in the sweep) and one training-state group per checkpoint.
#include <string>
#include <utility>
#include <vector>

#include "apps/run_setup.hpp"
#include "io/attributes.hpp"
#include "io/parallel_h5.hpp"
#include "train/checkpoint.hpp"

namespace hesscov::apps {

inline constexpr const char* kRunFormat = "hesscov-run";
inline constexpr std::int64_t kRunSchemaVersion = 1;

/// Who a run is in its sweep.
struct RunIdentity {
  std::string id;              ///< run id (hash of `canonical`)
  std::int64_t number = 0;     ///< position in the expanded sweep
  std::string canonical;       ///< the canonical config text the id hashes
  std::vector<std::pair<std::string, std::string>> assignments;  ///< grid values and seed (flow YAML)
  std::string spec;            ///< the sweep spec's path
  std::string description;     ///< the spec's description
};

/// The metadata segment: root attributes (format, schema_version, run_id, number, software,
/// created, mpi_size, spec), /build, /config (YAML text, canonical text, one typed attribute per
/// key), /dataset (identity, sample indices, labels), /layout and /summary (the run's grid values).
/// Collective.
void write_run_metadata(io::ParallelH5File& file, const RunSetup& run, const RunIdentity& identity,
                        const comm::Communicator& comm);

/// The training state at a checkpoint, as group `group`: params, velocity, the evaluation history
/// and the step's metrics. `kind` says why it was kept: "checkpoint" (planned), "interrupt" (a
/// stop request; superseded by the next checkpoint) or "diverged". Collective.
void write_training_state(io::ParallelH5File& file, const std::string& group, const train::Checkpoint& state,
                          const std::string& kind, const comm::Communicator& comm);

/// The state written by write_training_state, read back from `path` (serial read on each rank).
train::Checkpoint read_training_state(const std::string& path, const std::string& group);

/// "/checkpoints/step_<k>", the group of step k's training state in a run archive.
std::string checkpoint_group(index step);

/// Headline numbers as attributes of `<group>/headline`. Collective.
void write_headline(io::ParallelH5File& file, const std::string& group,
                    const std::vector<std::pair<std::string, double>>& headline);
/// The headline attributes of `<group>/headline` in the file at `path` (serial read).
io::Attributes read_headline(const std::string& path, const std::string& group);

}  // namespace hesscov::apps
