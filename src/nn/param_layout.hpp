#pragma once
// Every parameter of a model lives in one flat fp64 vector; the layout names its blocks
// ("fc2.weight": shape {out, in}, offset, size). A ParamSubset picks some blocks and defines the
// coordinates of restricted vectors: the chosen blocks concatenated in layout order.
#include <string>
#include <vector>

#include "backend/types.hpp"

namespace hesscov::nn {

struct ParamBlock {
  std::string name;          ///< "<layer>.<param>", e.g. "fc1.weight"
  std::vector<index> shape;  ///< row-major, e.g. {out_features, in_features}
  index offset = 0;          ///< first element in the flat parameter vector
  index size = 0;            ///< product of shape
};

class ParamLayout {
 public:
  /// Appends a block after the existing ones and returns its position in blocks().
  index add(std::string name, std::vector<index> shape);
  [[nodiscard]] const std::vector<ParamBlock>& blocks() const noexcept { return blocks_; }
  [[nodiscard]] index size() const noexcept { return size_; }
  /// Position of the block called `name`; throws core::Error listing the valid names otherwise.
  [[nodiscard]] index find(const std::string& name) const;

 private:
  std::vector<ParamBlock> blocks_;
  index size_ = 0;
};

class ParamSubset {
 public:
  /// Every block of `layout`: restricted vectors are full parameter vectors.
  static ParamSubset all(const ParamLayout& layout);
  /// The named blocks (any order given; coordinates follow layout order). Throws core::Error naming
  /// an unknown block and listing the valid ones; an empty list is an error too.
  static ParamSubset of(const ParamLayout& layout, const std::vector<std::string>& names);

  /// Number of coordinates: the sum of the chosen blocks' sizes.
  [[nodiscard]] index size() const noexcept { return size_; }
  /// Offset of layout block `block` inside a restricted vector, or -1 when it is not chosen.
  [[nodiscard]] index offset_of(index block) const { return offsets_.at(static_cast<size_t>(block)); }
  [[nodiscard]] bool contains(index block) const { return offset_of(block) >= 0; }
  [[nodiscard]] const std::vector<std::string>& names() const noexcept { return names_; }

  /// Host helpers: the chosen coordinates of a full vector, and a full vector (zeros elsewhere)
  /// from restricted coordinates.
  [[nodiscard]] std::vector<double> restrict(const ParamLayout& layout,
                                             const std::vector<double>& full) const;
  [[nodiscard]] std::vector<double> embed(const ParamLayout& layout,
                                          const std::vector<double>& restricted) const;

 private:
  std::vector<index> offsets_;
  std::vector<std::string> names_;
  index size_ = 0;
};

}  // namespace hesscov::nn
