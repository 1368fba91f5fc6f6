#pragma once
// What this binary was built with and what it loaded at run time, for `hesscov info`, logs and
// (later) archive attributes.
#include <string>
#include <utility>
#include <vector>

namespace hesscov::apps {

/// (label, value) rows in display order. Local (no communication); safe before PETSc is
/// initialised. `warnings` gets a line for each problem found (reference BLAS loaded, ...).
std::vector<std::pair<std::string, std::string>> collect_build_info(std::vector<std::string>& warnings);

/// "hesscov 0.1.0 (git <rev>)".
std::string version_line();

}  // namespace hesscov::apps
