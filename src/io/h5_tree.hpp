#pragma once
// The union of the object trees of several HDF5 files, written into one open file: either as a
// "view" of external links into the sources, or as a self-contained copy. One recursive walker
// serves both modes; they differ only in what happens to an object that a single source holds.
#include <string>
#include <vector>

#include "io/parallel_h5.hpp"

namespace hesscov::io {

enum class OverlayMode {
  link,  ///< an object held by one source becomes an external link into it
  copy,  ///< an object held by one source is copied in full (datatype, shape, creation list, attributes)
};

/// Writes into `destination` the union of the trees of `sources` (file paths, walked in the given
/// order, each opened read-only with the MPI-IO driver on destination.comm()):
///  - a group present in several sources becomes a real group whose attributes are the union of
///    theirs; the root group is such a group, merged into the destination's root;
///  - an object (group or dataset) present in one source only becomes, in link mode, an external
///    link whose file name is the source's path relative to the destination file's folder, and, in
///    copy mode, a full copy (rows split over the ranks, see copy_dataset);
///  - the same attribute name on one group in two sources, a dataset present in two sources, or a
///    group in one and a dataset in another, is an IoError naming both files and the object.
/// Soft and external links inside sources, and named datatypes, are an IoError (a view must never
/// point at something that is not there). On error the destination is left half-written; write it
/// through an AtomicFile so that nothing half-written ever appears under a final name.
///
/// Relative external links: HDF5 1.10.8 resolves a relative target name by trying, in order, the
/// folders of HDF5_EXT_PREFIX, the link-access property H5Pset_elink_prefix, the folder of the file
/// holding the link, and last the name as is (relative to the working directory). So a plain
/// relative name ("<id>.partial/meta.h5", no "./" needed) resolves against the view's folder from
/// any working directory, in C and in h5py alike, and the view stays valid when the run folder is
/// moved. Do not set HDF5_EXT_PREFIX when reading runs; if a segment were missing, the
/// working-directory fallback could open an unrelated file of the same relative name.
/// Collective over destination.comm().
void overlay(ParallelH5File& destination, const std::vector<std::string>& sources, OverlayMode mode);

}  // namespace hesscov::io
