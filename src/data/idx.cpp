#include "data/idx.hpp"

#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "core/error.hpp"

namespace hesscov::data {
namespace {

using core::IoError;

// Guards against absurd headers: 2^34 bytes (16 GiB) is far beyond any IDX data set.
constexpr std::int64_t kMaxBytes = std::int64_t{1} << 34;

std::vector<std::uint8_t> read_raw(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path, "cannot open the file (missing or unreadable)");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::uint8_t> gunzip(const std::vector<std::uint8_t>& packed, const std::string& path) {
  z_stream stream{};
  // 16 + MAX_WBITS: accept the gzip wrapper only.
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) throw IoError(path, "zlib could not be initialised");
  std::unique_ptr<z_stream, decltype(&inflateEnd)> guard(&stream, inflateEnd);
  stream.next_in = const_cast<Bytef*>(packed.data());
  stream.avail_in = static_cast<uInt>(packed.size());
  std::vector<std::uint8_t> out;
  std::uint8_t chunk[1 << 16];
  int status = Z_OK;
  while (status != Z_STREAM_END) {
    stream.next_out = chunk;
    stream.avail_out = sizeof chunk;
    status = inflate(&stream, Z_NO_FLUSH);
    if (status == Z_BUF_ERROR) throw IoError(path, "truncated gzip stream (ended before its end marker)");
    if (status != Z_OK && status != Z_STREAM_END)
      throw IoError(path, std::string("corrupt gzip stream: ") + (stream.msg ? stream.msg : zError(status)));
    out.insert(out.end(), chunk, chunk + (sizeof chunk - stream.avail_out));
    if (status == Z_OK && stream.avail_in == 0 && stream.avail_out != 0)
      throw IoError(path, "truncated gzip stream (ended before its end marker)");
    if (static_cast<std::int64_t>(out.size()) > kMaxBytes) throw IoError(path, "decompressed size exceeds 16 GiB");
  }
  return out;
}

std::string hex(std::uint8_t byte) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%02x", byte);
  return text;
}

}  // namespace

IdxArray read_idx(const std::string& path) {
  std::vector<std::uint8_t> bytes = read_raw(path);
  if (bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b) bytes = gunzip(bytes, path);
  if (bytes.size() < 4) throw IoError(path, "truncated IDX header: " + std::to_string(bytes.size()) + " bytes");
  if (bytes[0] != 0 || bytes[1] != 0)
    throw IoError(path, "not an IDX file: magic starts " + hex(bytes[0]) + " " + hex(bytes[1]) + ", expected 0x00 0x00");
  if (bytes[2] != 0x08)
    throw IoError(path, "IDX element type " + hex(bytes[2]) + " is not supported; expected 0x08 (unsigned byte)");
  const int ndim = bytes[3];
  if (ndim < 1 || ndim > 4) throw IoError(path, "IDX file with " + std::to_string(ndim) + " dimensions; expected 1 to 4");
  const std::size_t header = 4 + 4 * static_cast<std::size_t>(ndim);
  if (bytes.size() < header)
    throw IoError(path, "truncated IDX header: expected " + std::to_string(header) + " bytes, file holds " +
                            std::to_string(bytes.size()));
  IdxArray array{path, {}, {}};
  std::int64_t count = 1;
  for (int d = 0; d < ndim; ++d) {
    const std::uint8_t* p = bytes.data() + 4 + 4 * d;
    const std::int64_t extent = (std::int64_t{p[0]} << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
    array.shape.push_back(extent);
    count *= extent;
    if (count > kMaxBytes) throw IoError(path, "IDX extents describe more than 16 GiB of data");
  }
  const auto held = static_cast<std::int64_t>(bytes.size() - header);
  if (held < count)
    throw IoError(path, "truncated IDX data: expected " + std::to_string(count) + " data bytes, file holds " +
                            std::to_string(held));
  if (held > count)
    throw IoError(path, std::to_string(held - count) + " unexpected bytes after the " + std::to_string(count) +
                            " data bytes of the IDX array");
  array.values.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
  return array;
}

LabelledImages read_idx_pair(const std::string& images_path, const std::string& labels_path) {
  IdxArray images = read_idx(images_path);
  IdxArray labels = read_idx(labels_path);
  if (images.shape.size() != 3)
    throw IoError(images_path, "expected 3-D images [count x rows x cols], found " +
                                   std::to_string(images.shape.size()) + " dimensions");
  if (labels.shape.size() != 1)
    throw IoError(labels_path, "expected 1-D labels, found " + std::to_string(labels.shape.size()) + " dimensions");
  if (images.shape[0] != labels.shape[0])
    throw IoError(images_path, "holds " + std::to_string(images.shape[0]) + " images but " + labels_path +
                                   " holds " + std::to_string(labels.shape[0]) + " labels");
  return {images_path, labels_path, images.shape[0], images.shape[1], images.shape[2],
          std::move(images.values), std::move(labels.values)};
}

}  // namespace hesscov::data
