#pragma once
// The index of a sweep: one small HDF5 file, <sweep_dir>/index.h5, that links every readable run
// file of <sweep_dir>/runs/ and tabulates the runs' summaries, so that post-processing opens one
// file. Rebuilt from scratch each time (atomically: tmp + rename), never edited in place.
//
// Layout of index.h5:
//   root attributes  format="hesscov-index", schema_version=1 (int64), created (ISO 8601 UTC,
//                    "2025-01-31T12:00:00Z"), runs, merged, views (int64), unreadable and
//                    unreadable_reasons (strings, one line per unreadable run file), then `root`.
//   /runs/<run_id>   external link to "runs/<file>.h5", object "/", per readable run.
//   /summary         1-D compound dataset, one row per readable run, sorted by the run's root int64
//                    attribute "number" (runs without one last), then by run id. Fields: run_id,
//                    status, file (relative path), archive, all fixed-length strings; then one field
//                    per scalar attribute name found on any run's "/summary" group, in name order
//                    (names may contain dots): fp64 when every run that has it stores a number
//                    (integers converted), else a fixed-length string; a run lacking it gets NaN
//                    or "". Attribute "columns": the field names, a 1-D fixed-length string array.
#include <string>
#include <vector>

#include "backend/types.hpp"
#include "io/attributes.hpp"

namespace hesscov::io {

struct IndexReport {
  index runs = 0, merged = 0, views = 0;  ///< readable runs linked, and how many are merged / views
  std::vector<std::string> unreadable;    ///< run files left out, as "runs/<file>", sorted
  std::vector<std::string> reasons;       ///< why, one line per entry of `unreadable`
};

/// Scans <sweep_dir>/runs/*.h5 (final names only, never *.tmp), reads each run file read-only
/// (serial driver), and writes <sweep_dir>/index.h5 atomically as laid out above. A run file that
/// cannot be opened, lacks a string root attribute run_id, status or archive ("view" | "merged"),
/// has a run_id that is not a plain name, or repeats another file's run_id, is listed as
/// unreadable and not linked: the index never points at garbage. Zero runs give an index with an
/// empty table. A `root` attribute with a built-in name is an IoError. LOCAL: call on one rank,
/// with no other writer of the same index.
IndexReport build_index(const std::string& sweep_dir, const Attributes& root);

}  // namespace hesscov::io
