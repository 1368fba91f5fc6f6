#pragma once
// CIFAR-10 in its "binary version" (cifar-10-batches-bin): data_batch_1.bin .. data_batch_5.bin
// for training and test_batch.bin for testing. Each file is a sequence of 3073-byte records: one
// label byte (0-9), then 3072 pixel bytes, the 32x32 red plane, then green, then blue (channel-
// major, rows top to bottom). The official files hold 10000 records each; any positive multiple of
// 3073 bytes is accepted so that tests can use small files.
#include <cstdint>
#include <string>

#include "data/dataset.hpp"

namespace hesscov::data {

/// Bytes in one CIFAR-10 record: 1 label byte + 3 x 32 x 32 pixel bytes.
inline constexpr std::int64_t kCifar10RecordBytes = 1 + 3 * 32 * 32;

/// Loads the CIFAR-10 split `split` ("train": data_batch_1..5.bin concatenated in that order;
/// "test": test_batch.bin) from `directory` into host memory (the full train split takes
/// 50000 x 3072 doubles, about 1.2 GB). channels = 3, height = width = 32, features = 3072,
/// num_classes = 10, inputs = pixel / 255 in [0, 1]; indices[n] = n, the record's position in the
/// concatenated files of the split; name = `name` + ":" + split.
/// Throws core::IoError naming the file for a missing or unreadable file, a file that is empty or
/// whose size is not a multiple of 3073 bytes (truncated), and a label byte above 9 (naming the
/// record); core::IoError naming the folder when `directory` does not exist; core::Error for a
/// split other than "train" or "test". Local (no communication): every rank may call it.
Dataset load_cifar10(const std::string& directory, const std::string& split, const std::string& name);

}  // namespace hesscov::data
