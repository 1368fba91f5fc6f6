#pragma once
// `hesscov bench collect DIR`: one archive of every benchmark record below DIR. DIR/records.h5
// (format "hesscov-bench-collection-1") holds an external link /records/<name> per record file
// (<name>: its path relative to DIR, '/' written as '__', without .h5) and root attributes
// `records` (the count) and `files` (one path per line), so h5py opens a cluster sweep's records
// as one file. Written through a temporary name and renamed; rank 0 does the work.
#include <string>
#include <vector>

namespace hesscov::bench {

const char* collect_help();

int collect_bench(const std::vector<std::string>& words);

}  // namespace hesscov::bench
