#include "data/data_config.hpp"

#include <filesystem>

namespace hesscov::data {

void add_data_keys(core::Schema& schema) {
  schema.add_string("data.path", "/usr/share/datasets/fashion-mnist",
                    "folder holding <split>-images-idx3-ubyte[.gz] and <split>-labels-idx1-ubyte[.gz] (MNIST format)");
  schema.add_choice("data.split", "train", {"train", "t10k"}, "which IDX pair to read");
  schema.add_int("data.limit", 0, "use the first N samples (0: all)", {.min = 0});
}

Dataset load_dataset(const core::Config& config) {
  const std::string folder = config.get_string("data.path");
  const std::string name = std::filesystem::path(folder).filename().string();
  Dataset dataset = load_idx_dataset(folder, config.get_string("data.split"), name);
  const std::int64_t limit = config.get_int("data.limit");
  if (limit == 0) return dataset;
  if (limit > dataset.count)
    throw config.error("data.limit", "at most the " + std::to_string(dataset.count) + " samples of " + dataset.name);
  return take_first(dataset, limit);
}

}  // namespace hesscov::data
