#pragma once
// The train section of a config: declared keys and the settings they describe.
#include "core/config.hpp"
#include "train/trainer.hpp"

namespace hesscov::train {

/// Declares train.* (epochs, batch_size, lr, momentum, weight_decay, sampling, schedule, decay,
/// step_epochs, label_noise, eval_every, checkpoints, checkpoint_steps, output, resume).
void add_train_keys(core::Schema& schema);

/// Settings for a data set of `global_count` samples; a batch larger than the data set is a
/// ConfigError naming train.batch_size. `seed` is the run's root seed.
TrainSettings train_settings(const core::Config& config, index global_count, std::uint64_t seed);

}  // namespace hesscov::train
