#include "io/run_archive.hpp"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "core/error.hpp"
#include "io/collective.hpp"
#include "io/h5_file.hpp"
#include "io/h5_tree.hpp"

namespace hesscov::io {
namespace fs = std::filesystem;
namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void remove_or_throw(const fs::path& path, bool recursive) {
  std::error_code error;
  if (recursive)
    fs::remove_all(path, error);
  else
    fs::remove(path, error);
  if (error) throw core::IoError(path.string(), "cannot remove: " + error.message());
}

/// Removes the *.tmp files directly inside `folder`: what a killed writer left half-written.
void remove_stale_temporaries(const fs::path& folder) {
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(folder, error))
    if (ends_with(entry.path().filename().string(), ".tmp")) remove_or_throw(entry.path(), false);
  if (error) throw core::IoError(folder.string(), "cannot list the folder: " + error.message());
}

}  // namespace

RunArchive::RunArchive(std::string runs_dir, std::string run_id, MPI_Comm comm)
    : runs_dir_(std::move(runs_dir)),
      run_id_(std::move(run_id)),
      run_file_((fs::path(runs_dir_) / (run_id_ + ".h5")).string()),
      partial_dir_((fs::path(runs_dir_) / (run_id_ + ".partial")).string()),
      comm_(comm) {
  if (run_id_.empty() || run_id_.find('/') != std::string::npos || run_id_.front() == '.')
    throw core::IoError(run_file_,
                        "a run id must be a file name (no '/', not starting with '.'), got '" + run_id_ + "'");
  on_rank0(comm_, run_file_, [&] {
    std::error_code error;
    fs::create_directories(runs_dir_, error);
    if (error) throw core::IoError(runs_dir_, "cannot create the folder: " + error.message());
    remove_or_throw(run_file_ + ".tmp", false);
    if (kind() == RunFileKind::merged) {
      remove_or_throw(partial_dir_, true);  // the merge completed; its segments are redundant
      return;
    }
    fs::create_directories(partial_dir_, error);
    if (error) throw core::IoError(partial_dir_, "cannot create the folder: " + error.message());
    remove_stale_temporaries(partial_dir_);
  });
}

RunFileKind RunArchive::kind() const {
  if (!fs::exists(run_file_)) return RunFileKind::absent;
  const std::string archive = root_string("archive");
  if (archive == "view") return RunFileKind::view;
  if (archive == "merged") return RunFileKind::merged;
  throw core::IoError(run_file_, "not a hesscov run file (root attribute 'archive' is '" + archive +
                                     "', expected 'view' or 'merged')");
}

std::string RunArchive::root_string(const std::string& name) const {
  if (!fs::exists(run_file_)) return "";
  const H5File file = H5File::open_read(run_file_);
  return file.has_attribute(name) ? file.read_string(name) : "";
}

std::vector<std::string> RunArchive::segments() const {
  std::vector<std::string> names;
  std::error_code error;
  if (!fs::is_directory(partial_dir_)) return names;
  for (const auto& entry : fs::directory_iterator(partial_dir_, error)) {
    const std::string file = entry.path().filename().string();
    if (entry.is_regular_file() && ends_with(file, ".h5")) names.push_back(file.substr(0, file.size() - 3));
  }
  if (error) throw core::IoError(partial_dir_, "cannot list the folder: " + error.message());
  std::sort(names.begin(), names.end());
  return names;
}

bool RunArchive::has_segment(const std::string& name) const { return fs::is_regular_file(segment_path(name)); }

std::string RunArchive::segment_path(const std::string& name) const {
  return (fs::path(partial_dir_) / (name + ".h5")).string();
}

RunFileKind RunArchive::agreed_kind() const {
  int kind_code = 0;
  on_rank0(comm_, run_file_, [&] { kind_code = static_cast<int>(kind()); });
  HC_MPI(MPI_Bcast(&kind_code, 1, MPI_INT, 0, comm_));
  return static_cast<RunFileKind>(kind_code);
}

std::vector<std::string> RunArchive::agreed_segment_paths() const {
  std::string listing;
  on_rank0(comm_, partial_dir_, [&] {
    for (const auto& name : segments()) listing += segment_path(name) + "\n";
  });
  std::vector<std::string> paths;
  std::istringstream lines(broadcast_from_rank0(comm_, listing));
  for (std::string line; std::getline(lines, line);) paths.push_back(line);
  return paths;
}

void RunArchive::require_unmerged(const std::string& action) const {
  // Once merged, the segments are gone: a new view or merge would silently drop the run's data.
  HC_CHECK(agreed_kind() != RunFileKind::merged, core::StateError,
           run_file_ + ": cannot " + action + ", the run is already merged");
}

AtomicFile RunArchive::begin_segment(const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos || name.front() == '.')
    throw core::IoError(partial_dir_,
                        "'" + name + "' is not a segment name (a file name: no '/', not starting with '.')");
  require_unmerged("begin segment " + name);
  return AtomicFile::create(segment_path(name), comm_);
}

void RunArchive::remove_segment(const std::string& name) {
  require_unmerged("remove segment " + name);
  on_rank0(comm_, segment_path(name), [&] { remove_or_throw(segment_path(name), false); });
}

void RunArchive::write_run_file(const Attributes& root, bool merge) {
  AtomicFile run = AtomicFile::create(run_file_, comm_);
  overlay(run.file(), agreed_segment_paths(), merge ? OverlayMode::copy : OverlayMode::link);
  write_attributes(run.file(), "/", root);
  write_attributes(run.file(), "/", {{"archive", std::string(merge ? "merged" : "view")}});
  run.commit();
}

void RunArchive::publish_view(const Attributes& root) {
  require_unmerged("publish a view");
  write_run_file(root, false);
}

void RunArchive::finalize(const Attributes& root) {
  require_unmerged("finalize");
  write_run_file(root, true);
  on_rank0(comm_, partial_dir_, [&] { remove_or_throw(partial_dir_, true); });
}

}  // namespace hesscov::io
