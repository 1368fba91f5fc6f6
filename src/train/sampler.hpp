#pragma once
// Which training samples form minibatch k. A batch is a list of *global* sample indices, a pure
// function of (seed, step): every rank derives the same batches without communication, the run is
// independent of the rank count, and resuming at step k needs no sampler state beyond k.
#include <cstdint>
#include <string>
#include <vector>

#include "backend/types.hpp"

namespace hesscov::train {

enum class Sampling {
  epoch,        ///< without replacement: a fresh permutation per epoch, each sample once per epoch
  replacement,  ///< with replacement: every index iid uniform over the data set
};

/// Parses "epoch" | "replacement"; core::Error naming the value otherwise.
Sampling parse_sampling(const std::string& name);

class BatchSampler {
 public:
  /// N = `samples`, S = `batch_size` (1 <= S <= N). An epoch has ceil(N/S) steps; with epoch
  /// sampling the last batch of an epoch holds the N mod S remaining samples when S does not
  /// divide N.
  BatchSampler(Sampling sampling, index samples, index batch_size, std::uint64_t seed);
  // (S may exceed N with replacement sampling.)

  [[nodiscard]] index steps_per_epoch() const noexcept { return steps_per_epoch_; }
  /// Global indices of the batch at global step `step` (0-based, counted from the run's start).
  [[nodiscard]] std::vector<index> batch(index step) const;
  /// The permutation of epoch `epoch` (epoch sampling): position -> sample index.
  [[nodiscard]] std::vector<index> permutation(index epoch) const;

 private:
  Sampling sampling_;
  index samples_, batch_size_, steps_per_epoch_;
  std::uint64_t seed_;
  mutable index cached_epoch_ = -1;  // the permutation of one epoch is reused by its steps
  mutable std::vector<index> cached_order_;
};

}  // namespace hesscov::train
