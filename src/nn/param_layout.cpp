#include "nn/param_layout.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace hesscov::nn {
namespace {

std::string joined_names(const ParamLayout& layout) {
  std::string text;
  for (const auto& block : layout.blocks()) text += (text.empty() ? "" : ", ") + block.name;
  return text;
}

}  // namespace

index ParamLayout::add(std::string name, std::vector<index> shape) {
  index count = 1;
  for (index extent : shape) {
    HC_CHECK(extent > 0, core::DimensionMismatch, "parameter block '" + name + "' has a zero extent");
    count *= extent;
  }
  blocks_.push_back({std::move(name), std::move(shape), size_, count});
  size_ += count;
  return static_cast<index>(blocks_.size()) - 1;
}

index ParamLayout::find(const std::string& name) const {
  for (size_t b = 0; b < blocks_.size(); ++b)
    if (blocks_[b].name == name) return static_cast<index>(b);
  throw core::Error("unknown parameter block '" + name + "'; the model has: " + joined_names(*this));
}

ParamSubset ParamSubset::all(const ParamLayout& layout) {
  ParamSubset subset;
  for (const auto& block : layout.blocks()) {
    subset.offsets_.push_back(block.offset);
    subset.names_.push_back(block.name);
  }
  subset.size_ = layout.size();
  return subset;
}

ParamSubset ParamSubset::of(const ParamLayout& layout, const std::vector<std::string>& names) {
  HC_CHECK(!names.empty(), core::Error,
           "an empty list of parameter blocks; the model has: " + joined_names(layout));
  std::vector<bool> chosen(layout.blocks().size(), false);
  for (const auto& name : names) chosen[static_cast<size_t>(layout.find(name))] = true;
  ParamSubset subset;
  for (size_t b = 0; b < chosen.size(); ++b) {
    subset.offsets_.push_back(chosen[b] ? subset.size_ : -1);
    if (!chosen[b]) continue;
    subset.names_.push_back(layout.blocks()[b].name);
    subset.size_ += layout.blocks()[b].size;
  }
  return subset;
}

std::vector<double> ParamSubset::restrict(const ParamLayout& layout,
                                          const std::vector<double>& full) const {
  HC_CHECK(static_cast<index>(full.size()) == layout.size(), core::DimensionMismatch,
           "restrict: vector of " + std::to_string(full.size()) + " entries, layout has " +
               std::to_string(layout.size()));
  std::vector<double> restricted(static_cast<size_t>(size_));
  for (size_t b = 0; b < layout.blocks().size(); ++b) {
    const auto& block = layout.blocks()[b];
    if (offsets_[b] < 0) continue;
    std::copy_n(full.begin() + block.offset, block.size, restricted.begin() + offsets_[b]);
  }
  return restricted;
}

std::vector<double> ParamSubset::embed(const ParamLayout& layout,
                                       const std::vector<double>& restricted) const {
  HC_CHECK(static_cast<index>(restricted.size()) == size_, core::DimensionMismatch,
           "embed: vector of " + std::to_string(restricted.size()) + " entries, subset has " +
               std::to_string(size_));
  std::vector<double> full(static_cast<size_t>(layout.size()), 0.0);
  for (size_t b = 0; b < layout.blocks().size(); ++b) {
    const auto& block = layout.blocks()[b];
    if (offsets_[b] < 0) continue;
    std::copy_n(restricted.begin() + offsets_[b], block.size, full.begin() + block.offset);
  }
  return full;
}

}  // namespace hesscov::nn
