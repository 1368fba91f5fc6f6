#pragma once
// The crash-safe HDF5 archive of one run (written collectively by the run's communicator):
//
//   <runs_dir>/<id>.h5         the run file. While the run is in progress, a small "view": the
//                              run's root attributes plus external links into the committed
//                              segments, so that h5py opens a half-done run like a finished one.
//                              At the end, the merged, self-contained archive.
//   <runs_dir>/<id>.partial/   the committed segments <name>.h5, each written to <name>.h5.tmp and
//                              renamed into place when complete. Removed after the merge.
//
// Root attribute "archive" of the run file says which it is: "view" or "merged". A segment's tree
// mirrors where its objects land in the run file (segment "step-100" holds
// /checkpoints/step_100/params, "meta" holds /config and root attributes, ...). Every file that
// ever appears under a final name was completely written, closed and fsync'ed first, so a kill at
// any moment leaves committed segments and the last view intact; the next RunArchive of the same
// run removes the stale .tmp files. One writer per run id at a time (the communicator's ranks).
#include <mpi.h>

#include <string>
#include <vector>

#include "io/atomic_file.hpp"
#include "io/attributes.hpp"

namespace hesscov::io {

enum class RunFileKind { absent, view, merged };

class RunArchive {
 public:
  /// Creates runs_dir and <id>.partial/ when needed; removes stale *.tmp files left by a killed
  /// writer (in the partial folder, and <id>.h5.tmp). Does not touch committed files, except a
  /// partial folder left beside an already merged run file (a kill between the merge's rename and
  /// the folder's removal), which it removes. `comm` must outlive the object. Collective over comm.
  RunArchive(std::string runs_dir, std::string run_id, MPI_Comm comm);

  /// <runs_dir>/<id>.h5
  [[nodiscard]] const std::string& run_file() const noexcept { return run_file_; }
  /// <runs_dir>/<id>.partial
  [[nodiscard]] const std::string& partial_dir() const noexcept { return partial_dir_; }
  /// What the run file is now, from its root attribute "archive" (absent when there is no file).
  /// A run file without a valid "archive" attribute is an IoError. Local (serial read).
  [[nodiscard]] RunFileKind kind() const;
  /// Root attribute `name` (a string) of the run file; "" when the file or the attribute is absent.
  /// Local (serial read).
  [[nodiscard]] std::string root_string(const std::string& name) const;
  /// Names of the committed segments (file names without ".h5"), sorted; empty when none. Local.
  [[nodiscard]] std::vector<std::string> segments() const;
  [[nodiscard]] bool has_segment(const std::string& name) const;
  /// <partial_dir>/<name>.h5 (whether or not it exists). Local.
  [[nodiscard]] std::string segment_path(const std::string& name) const;

  /// A new segment `name` (no '/', not empty, not starting with '.'), written collectively under
  /// <name>.h5.tmp and renamed into place by its commit() (replacing a committed segment of the
  /// same name). StateError once the run is merged. Collective.
  [[nodiscard]] AtomicFile begin_segment(const std::string& name);
  /// Removes the committed segment `name` (one that a later segment supersedes, such as the state
  /// kept at a stop request). Publish a view afterwards: the last one may link into it. Collective.
  void remove_segment(const std::string& name);

  /// Rewrites the run file as a view: overlay(link) of all committed segments, then `root`
  /// (replacing same-named root attributes of the segments) and archive="view". Atomic (tmp +
  /// rename). StateError once the run is merged. Collective.
  void publish_view(const Attributes& root);
  /// Merges every committed segment into a self-contained run file (overlay(copy) into
  /// <id>.h5.tmp, then `root` and archive="merged"), renames it over the view, then removes the
  /// partial folder. A kill at any point leaves either the old view with all its segments, or the
  /// merged file. StateError once the run is merged. Collective.
  void finalize(const Attributes& root);

 private:
  /// kind() as rank 0 sees it, on every rank (one reader of the run file; one answer). Collective.
  [[nodiscard]] RunFileKind agreed_kind() const;
  /// segments() as rank 0 lists them, on every rank. Collective.
  [[nodiscard]] std::vector<std::string> agreed_segment_paths() const;
  void require_unmerged(const std::string& action) const;
  void write_run_file(const Attributes& root, bool merge);
  std::string runs_dir_, run_id_, run_file_, partial_dir_;
  MPI_Comm comm_;
};

}  // namespace hesscov::io
