#include "io/index_archive.hpp"

#include <algorithm>
#include <filesystem>
#include <map>

#include "core/error.hpp"
#include "core/log.hpp"
#include "io/atomic_file.hpp"
#include "io/h5_check.hpp"
#include "io/h5_file.hpp"
#include "io/index_summary.hpp"

namespace hesscov::io {
namespace fs = std::filesystem;
namespace {

constexpr const char* kBuiltIn[] = {"format", "schema_version", "created", "runs", "merged", "views", "unreadable",
                                    "unreadable_reasons"};


std::string join_lines(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += (text.empty() ? "" : "\n") + line;
  return text;
}

/// The run files under their final names (never *.tmp), by file name.
std::vector<std::string> run_files(const fs::path& runs) {
  std::vector<std::string> names;
  std::error_code error;
  if (!fs::is_directory(runs)) return names;
  for (const auto& entry : fs::directory_iterator(runs, error)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && name.size() > 3 && name.ends_with(".h5")) names.push_back(name);
  }
  if (error) throw core::IoError(runs.string(), "cannot list the folder: " + error.message());
  std::sort(names.begin(), names.end());
  return names;
}

bool plain_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos;
}

/// Reads every run file; the unreadable ones go to the report with the reason.
std::vector<RunRecord> read_runs(const fs::path& sweep, IndexReport& report) {
  std::vector<RunRecord> records;
  std::map<std::string, std::string> file_of_run;
  for (const auto& name : run_files(sweep / "runs")) {
    const std::string relative = "runs/" + name;
    try {
      RunRecord record = read_run_record((sweep / relative).string(), relative);
      if (!plain_name(record.run_id))
        throw core::IoError(relative, "run_id '" + record.run_id + "' is not a plain name");
      const auto [first, fresh] = file_of_run.emplace(record.run_id, relative);
      if (!fresh) throw core::IoError(relative, "run_id '" + record.run_id + "' is also the id of " + first->second);
      records.push_back(std::move(record));
    } catch (const core::Error& error) {
      report.unreadable.push_back(relative);
      std::string reason = error.what();
      std::replace(reason.begin(), reason.end(), '\n', ' ');
      report.reasons.push_back(reason);
    }
  }
  // Table order: by "number" where runs have one (those without go last), then by run id.
  std::sort(records.begin(), records.end(), [](const RunRecord& a, const RunRecord& b) {
    if (a.number.has_value() != b.number.has_value()) return a.number.has_value();
    if (a.number != b.number) return *a.number < *b.number;
    return a.run_id < b.run_id;
  });
  return records;
}

void write_index(const std::string& path, const std::vector<RunRecord>& records, const IndexReport& report,
                 const Attributes& root) {
  H5File file = H5File::create(path);
  file.write_attribute("format", std::string("hesscov-index"));
  file.write_attribute("schema_version", std::int64_t{1});
  file.write_attribute("created", core::utc_now());
  file.write_attribute("runs", static_cast<std::int64_t>(report.runs));
  file.write_attribute("merged", static_cast<std::int64_t>(report.merged));
  file.write_attribute("views", static_cast<std::int64_t>(report.views));
  file.write_attribute("unreadable", join_lines(report.unreadable));
  file.write_attribute("unreadable_reasons", join_lines(report.reasons));
  for (const auto& [name, value] : root) std::visit([&](const auto& v) { file.write_attribute(name, v); }, value);
  Id<H5Gclose> runs(checked(H5Gcreate2(file.id(), "runs", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), path,
                            "cannot create group /runs"));
  for (const auto& record : records)
    checked(H5Lcreate_external(record.file.c_str(), "/", runs.get(), record.run_id.c_str(), H5P_DEFAULT, H5P_DEFAULT),
            path, "cannot create the external link /runs/" + record.run_id);
  write_summary(file.id(), path, records);
  file.close();
}

}  // namespace

IndexReport build_index(const std::string& sweep_dir, const Attributes& root) {
  const fs::path sweep(sweep_dir);
  const std::string index_path = (sweep / "index.h5").string(), temporary = index_path + ".tmp";
  for (const auto& [name, value] : root)
    if (std::find(std::begin(kBuiltIn), std::end(kBuiltIn), name) != std::end(kBuiltIn))
      throw core::IoError(index_path, "root attribute '" + name + "' is reserved by the index");
  IndexReport report;
  const auto records = read_runs(sweep, report);
  report.runs = static_cast<index>(records.size());
  report.merged = std::count_if(records.begin(), records.end(), [](const auto& r) { return r.archive == "merged"; });
  report.views = report.runs - report.merged;
  std::error_code error;
  fs::create_directories(sweep, error);
  if (error) throw core::IoError(sweep_dir, "cannot create the folder: " + error.message());
  try {
    write_index(temporary, records, report, root);
    durable_rename(temporary, index_path);
  } catch (...) {
    fs::remove(temporary, error);  // never leave a half-written index behind
    throw;
  }
  return report;
}

}  // namespace hesscov::io
