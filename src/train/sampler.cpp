#include "train/sampler.hpp"

#include <string>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace hesscov::train {

Sampling parse_sampling(const std::string& name) {
  if (name == "epoch") return Sampling::epoch;
  if (name == "replacement") return Sampling::replacement;
  throw core::Error("unknown sampling '" + name + "': expected epoch or replacement");
}

BatchSampler::BatchSampler(Sampling sampling, index samples, index batch_size, std::uint64_t seed)
    : sampling_(sampling), samples_(samples), batch_size_(batch_size),
      steps_per_epoch_((samples + batch_size - 1) / std::max<index>(batch_size, 1)), seed_(seed) {
  HC_CHECK(samples > 0, core::DimensionMismatch, "cannot sample batches from an empty data set");
  // Without replacement a batch cannot hold more samples than there are; with replacement it can.
  HC_CHECK(batch_size > 0 && (batch_size <= samples || sampling == Sampling::replacement),
           core::DimensionMismatch,
           "batch size " + std::to_string(batch_size) + " is not in 1.." + std::to_string(samples));
}

std::vector<index> BatchSampler::permutation(index epoch) const {
  // Fisher-Yates driven by a counter stream per epoch; the tiny modulo bias of bits % (i+1) is
  // below 2^-40 for any data set that fits in memory.
  const core::CounterRng rng(seed_, "sampling/epoch/" + std::to_string(epoch));
  std::vector<index> order(static_cast<size_t>(samples_));
  for (index i = 0; i < samples_; ++i) order[static_cast<size_t>(i)] = i;
  for (index i = samples_ - 1; i > 0; --i) {
    const auto j = static_cast<index>(rng.bits(static_cast<std::uint64_t>(i)) % static_cast<std::uint64_t>(i + 1));
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
  }
  return order;
}

std::vector<index> BatchSampler::batch(index step) const {
  if (sampling_ == Sampling::replacement) {
    const core::CounterRng rng(seed_, "sampling/replacement");
    std::vector<index> indices(static_cast<size_t>(batch_size_));
    for (index j = 0; j < batch_size_; ++j)
      indices[static_cast<size_t>(j)] = static_cast<index>(
          rng.bits(static_cast<std::uint64_t>(step * batch_size_ + j)) % static_cast<std::uint64_t>(samples_));
    return indices;
  }
  const index epoch = step / steps_per_epoch_, position = step % steps_per_epoch_;
  if (epoch != cached_epoch_) {
    cached_order_ = permutation(epoch);
    cached_epoch_ = epoch;
  }
  const std::vector<index>& order = cached_order_;
  const index begin = position * batch_size_, end = std::min(samples_, begin + batch_size_);
  return {order.begin() + begin, order.begin() + end};
}

}  // namespace hesscov::train
