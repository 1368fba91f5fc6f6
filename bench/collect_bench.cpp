#include "bench/collect_bench.hpp"

#include <hdf5.h>
#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "bench/command_line.hpp"
#include "core/log.hpp"
#include "io/atomic_file.hpp"
#include "io/collective.hpp"
#include "io/h5_check.hpp"
#include "io/h5_file.hpp"

namespace hesscov::bench {
namespace {

namespace fs = std::filesystem;

constexpr const char* kHelp =
    "usage: hesscov bench collect DIR\n"
    "\n"
    "Collects every benchmark record (a *.h5 file whose root attribute format is hesscov-bench-1)\n"
    "below DIR into DIR/records.h5: an external link /records/<name> per record, <name> its path\n"
    "relative to DIR with '/' as '__' and without .h5; root attributes records (count) and files.\n"
    "The job scripts run it after their suites (jobs/lib/bench.sh).\n";

bool is_record(const fs::path& path) {
  if (path.extension() != ".h5" || path.filename() == "records.h5") return false;
  try {
    const io::H5File file = io::H5File::open_read(path.string());
    return file.has_attribute("format") && file.read_string("format") == "hesscov-bench-1";
  } catch (const core::Error&) {
    return false;  // not HDF5, or not readable: not a record
  }
}

void collect(const fs::path& dir) {
  std::vector<fs::path> records;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.is_regular_file() && is_record(entry.path())) records.push_back(fs::relative(entry.path(), dir));
  std::sort(records.begin(), records.end());
  const std::string path = (dir / "records.h5").string(), temporary = path + ".tmp";
  {
    io::H5File file = io::H5File::create(temporary);
    file.write_attribute("format", std::string("hesscov-bench-collection-1"));
    file.write_attribute("created", core::utc_now());
    file.write_attribute("records", static_cast<std::int64_t>(records.size()));
    std::string files;
    for (const auto& record : records) files += record.string() + "\n";
    file.write_attribute("files", files);
    const hid_t group = io::checked(H5Gcreate2(file.id(), "records", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), temporary,
                                    "cannot create group /records");
    for (const auto& record : records) {
      std::string name;
      for (const char c : (record.parent_path() / record.stem()).string()) name += c == '/' ? std::string("__") : std::string(1, c);
      const herr_t status = H5Lcreate_external(record.string().c_str(), "/", group, name.c_str(), H5P_DEFAULT, H5P_DEFAULT);
      if (status < 0) {
        H5Gclose(group);
        io::checked(status, temporary, "cannot link " + record.string());
      }
    }
    H5Gclose(group);
    file.close();
  }
  io::durable_rename(temporary, path);
  std::printf("hesscov bench collect: %zu record(s) linked in %s\n", records.size(), path.c_str());
}

}  // namespace

const char* collect_help() { return kHelp; }

int collect_bench(const std::vector<std::string>& words) {
  if (words.size() != 1 || words[0].starts_with("-")) throw UsageError{"collect expects one folder: hesscov bench collect DIR"};
  const fs::path dir(words[0]);
  if (!fs::is_directory(dir)) throw UsageError{"collect: '" + words[0] + "' is not a folder"};
  io::on_rank0(MPI_COMM_WORLD, (dir / "records.h5").string(), [&] { collect(dir); });
  std::fflush(stdout);
  return 0;
}

}  // namespace hesscov::bench
