#pragma once
// A sweep spec: a YAML file naming a base job config, the values to vary, the seeds, and where
// the sweep's results go. load_sweep_spec validates all of it (every value against the job
// schema) before any work starts; expand() (sweep/expansion.hpp) turns it into the list of runs.
//
//   description: free text                  # optional
//   base: ../quickstart.yaml                # required: a job config file, RELATIVE TO THIS
//                                           #   SPEC'S FOLDER (or absolute), or an inline mapping
//                                           #   of config keys (nested sections or dotted keys)
//   set:                                    # optional: applied to the base for every run
//     train.epochs: 5                       #   dotted config key -> value
//   grid:                                   # optional: one cartesian product of axes
//     train.lr: [0.1, 0.01]                 #   axis: dotted config key -> non-empty list of values
//     model.loss: [cross_entropy, mse]
//     zip:                                  #   axes whose keys vary together: a list of mappings,
//       - data.classes: [[0, 1, 2], [0, 1, 2, 3, 4, 5]]   # each key -> list, the lists of one
//         model.mlp: [[784, 50, 50, 3], [784, 50, 50, 6]] # mapping equally long; one mapping is
//                                                         # one axis
//   grids: [{...}, {...}]                   # instead of grid: a union of several products
//   seeds: 4                                # optional: a count n (seeds 1..n) or a list of
//                                           #   distinct non-negative integers; assigns `seed`
//   output: results/sweeps/x                # required: the sweep's folder, relative to the
//                                           #   working directory; created and probed on load
//   group_size: 2                           # optional (default 1): MPI ranks per run
//
// Keys inside set, grid and zip are dotted config keys of the schema ("train.lr"), never section
// names. Without grid/grids the sweep is one product with no axes (the base alone, times the
// seeds); without seeds each grid point runs once with the base's own seed. Resolution order of
// each run: base, then set, then command-line overrides, then the run's axis values, then seed.
#include <cstdint>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/schema.hpp"

namespace hesscov::sweep {

/// One config value the spec assigns, kept as parsed so every run validates it like a file
/// value, with the place it was written for error messages.
struct SpecValue {
  std::string key;       ///< dotted config key, "train.lr"
  YAML::Node value;      ///< the value as parsed; never modified after loading
  std::string location;  ///< where it was written: "set.train.epochs", "grids[1].zip[0].model.mlp[2]"
};

/// One axis of a product: its points in document order. A point assigns one key (a plain axis)
/// or every key of a zip mapping, in the mapping's order.
struct SweepAxis {
  std::vector<std::vector<SpecValue>> points;
};

/// One cartesian product: its axes in document order (the first varies slowest).
struct SweepGrid {
  std::vector<SweepAxis> axes;
};

/// A validated sweep spec. Holds no reference to the schema it was checked against; pass the
/// same schema to base_config() and expand().
class SweepSpec {
 public:
  /// The spec file as given to load_sweep_spec; ConfigErrors about the spec name it.
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  /// The spec's description ("" when absent).
  [[nodiscard]] const std::string& description() const noexcept { return description_; }
  /// The sweep's folder, relative to the working directory as written; it exists and is writable.
  [[nodiscard]] const std::string& output() const noexcept { return output_; }
  /// MPI ranks per run (>= 1).
  [[nodiscard]] std::int64_t group_size() const noexcept { return group_size_; }
  /// The spec file's text, exactly as read (for the archive).
  [[nodiscard]] const std::string& text() const noexcept { return text_; }
  /// The base config's YAML: the base file's text as read, or the inline mapping re-emitted.
  [[nodiscard]] const std::string& base_text() const noexcept { return base_text_; }
  /// The base file as resolved against the spec's folder, or the spec path for an inline base.
  [[nodiscard]] const std::string& base_file() const noexcept { return base_file_; }
  /// Every key any axis assigns, in order of first appearance over all grids, then "seed" when
  /// the spec gives seeds.
  [[nodiscard]] const std::vector<std::string>& varied_keys() const noexcept { return varied_keys_; }
  /// The products, in document order (one empty product when the spec has no grid/grids).
  [[nodiscard]] const std::vector<SweepGrid>& grids() const noexcept { return grids_; }
  /// The seeds in order; empty when the spec gives none (each run keeps the resolved `seed`).
  [[nodiscard]] const std::vector<std::int64_t>& seeds() const noexcept { return seeds_; }
  /// A fresh config of the base, then `set`, then the command-line overrides, validated against
  /// `schema` (the one the spec was loaded with). The Config points at `schema`, which must
  /// outlive it.
  [[nodiscard]] core::Config base_config(const core::Schema& schema) const;

 private:
  friend SweepSpec load_sweep_spec(const std::string&, const core::Schema&, const std::vector<std::string>&);

  std::string path_, description_, output_, text_, base_text_, base_file_;
  std::string base_where_;  ///< "base." for an inline base (error locations), "" for a file
  YAML::Node base_;
  std::int64_t group_size_ = 1;
  std::vector<SpecValue> set_;
  std::vector<std::string> overrides_;
  std::vector<SweepGrid> grids_;
  std::vector<std::int64_t> seeds_;
  std::vector<std::string> varied_keys_;
};

/// Reads and validates the sweep spec at `path` against `schema` (the job schema), with
/// command-line `overrides` ("key=value", applied after the spec's set; their errors name
/// "<command line>"). Checks every key and value of the spec before returning: an unknown or
/// misspelt key, a wrong type, range or choice, an empty axis, zip lists of unequal length, a key
/// given twice in one grid, bad seeds or group_size, a missing base. Errors are ConfigErrors
/// naming the spec file and the location ("grid.train.lr[1]", "grids[2].zip[0].model.mlp",
/// "seeds"); a missing spec or base file or a YAML syntax error is an IoError naming the file.
/// Side effect: creates the output folder and writes and removes a probe file in it (an IoError
/// naming the folder and the OS reason when that fails). Local; call it on one rank or all.
SweepSpec load_sweep_spec(const std::string& path, const core::Schema& schema,
                          const std::vector<std::string>& overrides = {});

}  // namespace hesscov::sweep
