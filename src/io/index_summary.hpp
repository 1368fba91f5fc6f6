#pragma once
// io-internal: what the index keeps of one run file, and the /summary table written from it.
#include <hdf5.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "io/attributes.hpp"

namespace hesscov::io {

struct RunRecord {
  std::string run_id, status, file, archive;  ///< file: relative to the sweep folder ("runs/a.h5")
  std::optional<std::int64_t> number;         ///< root attribute "number", the sort key
  std::map<std::string, AttributeValue> summary;  ///< scalar attributes of the run's /summary group
};

/// Reads the record of the run file at `path` (`relative` is its name in the index). IoError when
/// the file cannot be opened or lacks run_id, status or archive. Local.
RunRecord read_run_record(const std::string& path, const std::string& relative);

/// Writes `records` (already in table order) as the compound dataset /summary of the open serial
/// file `file` (named `file_name` in messages), with its "columns" attribute. Local.
void write_summary(hid_t file, const std::string& file_name, const std::vector<RunRecord>& records);

}  // namespace hesscov::io
