#pragma once
// A small RAII layer over HDF5 (STYLE.md: h5::Id for every handle, every call checked): enough
// for serial files of named fp64 vectors and scalar/string attributes on the root group, such as
// training checkpoints. Errors are core::IoError naming the file, the object and HDF5's message.
#include <hdf5.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace hesscov::io {

/// Owns one HDF5 identifier and closes it with `Close` (H5Fclose, H5Dclose, ...). Move-only.
template <herr_t (*Close)(hid_t)>
class Id {
 public:
  Id() = default;
  explicit Id(hid_t id) : id_(id) {}
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  Id(Id&& other) noexcept : id_(other.id_) { other.id_ = H5I_INVALID_HID; }
  Id& operator=(Id&& other) noexcept {
    std::swap(id_, other.id_);
    return *this;
  }
  ~Id() {
    if (id_ >= 0) Close(id_);  // destructors never throw
  }
  [[nodiscard]] hid_t get() const noexcept { return id_; }
  /// Gives up ownership: returns the identifier, which the caller must close, and holds none.
  [[nodiscard]] hid_t release() noexcept { return std::exchange(id_, H5I_INVALID_HID); }

 private:
  hid_t id_ = H5I_INVALID_HID;
};

class H5File {
 public:
  /// Creates (truncating) `path` for writing.
  static H5File create(const std::string& path);
  /// Opens an existing file read-only.
  static H5File open_read(const std::string& path);

  [[nodiscard]] const std::string& path() const noexcept { return path_; }

  /// A 1-D fp64 dataset `name` at the root.
  void write_vector(const std::string& name, const std::vector<double>& values);
  [[nodiscard]] std::vector<double> read_vector(const std::string& name) const;
  /// A 1-D int64 dataset `name` at the root (sample indices, counts).
  void write_index_vector(const std::string& name, const std::vector<std::int64_t>& values);
  [[nodiscard]] std::vector<std::int64_t> read_index_vector(const std::string& name) const;
  /// True when a link `name` exists (a dataset or a group; "a/b/c" needs a and a/b to exist).
  [[nodiscard]] bool has_dataset(const std::string& name) const;
  /// A 2-D fp64 dataset, row-major, with its shape.
  struct Matrix {
    std::int64_t rows = 0, cols = 0;
    std::vector<double> values;
  };
  [[nodiscard]] Matrix read_matrix(const std::string& name) const;

  void write_attribute(const std::string& name, double value);
  void write_attribute(const std::string& name, std::int64_t value);
  void write_attribute(const std::string& name, const std::string& value);
  /// Readers take a root attribute's name, or "object/path@name" for one on a group or dataset.
  [[nodiscard]] double read_double(const std::string& name) const;
  [[nodiscard]] std::int64_t read_int(const std::string& name) const;
  [[nodiscard]] std::string read_string(const std::string& name) const;
  [[nodiscard]] bool has_attribute(const std::string& name) const;  ///< also "object@name"

  /// Flushes and closes (also done by the destructor, which cannot report failures).
  void close();
  /// The HDF5 file identifier, for io-internal code that needs HDF5 calls this class does not wrap
  /// (links, compound tables). Owned by this object; valid until close().
  [[nodiscard]] hid_t id() const noexcept { return file_.get(); }

 private:
  H5File(std::string path, hid_t id);
  void write_array(const std::string& name, hid_t file_type, hid_t memory_type, const void* data, hsize_t count);
  void read_array(const std::string& name, hid_t memory_type, void* data, hsize_t expected) const;
  [[nodiscard]] hsize_t extent_of(const std::string& name) const;
  std::string path_;
  Id<H5Fclose> file_;
};

}  // namespace hesscov::io
