#pragma once
// The record every `hesscov bench` suite can write (--record PATH): an HDF5 file (format
// "hesscov-bench-1") and a JSON file beside it (PATH with the extension .json) holding the same
// numbers, for the analysis package (python3 -m analysis bench) and for collecting the records of
// a cluster sweep into one folder. Layout (docs/performance.md "Records"):
//   root attributes  format, schema_version, suite, created (UTC), software, command, hostname,
//                    cpu, cores (logical CPUs of the node), ranks, gpus (CUDA devices visible to
//                    rank 0), precision (fp64), blas_threads, and the suite's parameters;
//   /row_names       the rows in order (fixed-length strings);
//   /rows/<name>     one group per measurement, its numbers as scalar attributes (seconds, FLOPs,
//                    bytes, rates, ranks, ...).
// JSON: {"format", "suite", every root attribute, "rows": [{"name": ..., values...}, ...]}.
#include <string>
#include <vector>

#include "comm/communicator.hpp"
#include "io/attributes.hpp"

namespace hesscov::bench {

struct RecordRow {
  std::string name;    ///< unique within the record; letters, digits, '_', '-', '.'
  io::Attributes values;
};

struct Record {
  std::string suite;             ///< "products", "eig", "scaling", "io"
  std::string command;           ///< "hesscov bench <suite> <words...>"
  io::Attributes parameters;     ///< the suite's options as run
  std::vector<RecordRow> rows;
};

/// The machine, build and run fields every record carries (the root attributes above but the
/// suite's parameters). Collective over `world` (the rank count); the same on every rank.
io::Attributes record_environment(const comm::Communicator& world);

/// Writes `record` to `path` (HDF5, collectively over `world`) and its JSON twin (rank 0), each
/// first under a temporary name and renamed into place. core::IoError naming the file when it
/// cannot be written. Collective.
void write_record(const Record& record, const std::string& path, const comm::Communicator& world);

/// The JSON twin's path: `path` with its extension replaced by .json (appended when it has none).
std::string json_path(const std::string& path);

/// `record` (with `environment`) as one JSON object on one line. Local.
std::string record_json(const Record& record, const io::Attributes& environment);

/// The number (fp64 or int64) or text of attribute `name` in `values`; core::Error when absent.
double number_of(const io::Attributes& values, const std::string& name);
std::string text_of(const io::Attributes& values, const std::string& name);

/// OpenBLAS threads per process (1 for another BLAS), looked up at run time like `hesscov info`.
int blas_threads();

/// "hesscov bench <suite> <words...>" for Record::command.
std::string bench_command(const std::string& suite, const std::vector<std::string>& words);

}  // namespace hesscov::bench
