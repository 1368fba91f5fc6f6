#pragma once
// The data section of a config: declared keys and the data set they describe.
#include "core/config.hpp"
#include "data/dataset.hpp"

namespace hesscov::data {

/// Declares data.path, data.split and data.limit.
void add_data_keys(core::Schema& schema);

/// Loads the configured IDX data set (every rank reads the files; each keeps its shard later).
/// Errors name the folder or file, or data.limit when it exceeds the samples available.
Dataset load_dataset(const core::Config& config);

}  // namespace hesscov::data
