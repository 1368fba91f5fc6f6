#pragma once
// The IDX format of MNIST and Fashion-MNIST: magic 0x00 0x00 0x08 NDIM (unsigned bytes), NDIM
// big-endian uint32 extents, then the bytes row-major. Files may be gzip-compressed.
#include <cstdint>
#include <string>
#include <vector>

namespace hesscov::data {

/// Content of one IDX file of unsigned bytes (host memory, owned).
struct IdxArray {
  std::string path;
  std::vector<std::int64_t> shape;
  std::vector<std::uint8_t> values;
};

/// Reads a raw or gzip-compressed IDX file (gzip is recognised by its 1f 8b magic bytes, not by
/// the file name). Throws core::IoError naming the file for: a missing or unreadable file, a
/// corrupt gzip stream, a wrong magic number or element type, 0 or more than 4 dimensions, a
/// truncated header or data ("expected N data bytes, file holds M"), or bytes after the data.
IdxArray read_idx(const std::string& path);

/// Images [count x rows x cols] and labels [count] read from an IDX pair.
struct LabelledImages {
  std::string images_path, labels_path;
  std::int64_t count = 0, rows = 0, cols = 0;
  std::vector<std::uint8_t> pixels;  ///< count * rows * cols
  std::vector<std::uint8_t> labels;  ///< count
};

/// Reads both files and checks that the images are 3-D, the labels 1-D, and that their counts
/// agree (an IoError naming both files otherwise).
LabelledImages read_idx_pair(const std::string& images_path, const std::string& labels_path);

}  // namespace hesscov::data
