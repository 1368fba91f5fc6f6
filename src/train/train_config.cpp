#include "train/train_config.hpp"

namespace hesscov::train {

void add_train_keys(core::Schema& schema) {
  schema.add_int("train.epochs", 0, "SGD epochs before the analyses (0: analyse the initial point)", {.min = 0});
  schema.add_int("train.batch_size", 64, "minibatch size S", {.min = 1});
  schema.add_double("train.lr", 0.1, "learning rate eta (of the first epoch)", {.min = 0.0, .min_exclusive = true});
  schema.add_double("train.momentum", 0.0, "heavy-ball momentum beta: m <- beta m + g, theta <- theta - eta m",
                    {.min = 0.0, .max = 1.0, .max_exclusive = true});
  schema.add_double("train.weight_decay", 0.0, "L2 coefficient added to the gradient (weight_decay * theta)",
                    {.min = 0.0});
  schema.add_choice("train.sampling", "epoch", {"epoch", "replacement"},
                    "epoch: a fresh permutation per epoch (without replacement); replacement: iid batches");
  schema.add_choice("train.schedule", "constant", {"constant", "exponential", "step"},
                    "learning rate per epoch e: lr, lr*decay^e, or lr*decay^floor(e/step_epochs)");
  schema.add_double("train.decay", 1.0, "decay factor of the schedule", {.min = 0.0, .min_exclusive = true});
  schema.add_int("train.step_epochs", 1, "epochs between decays of the step schedule", {.min = 1});
  schema.add_int("train.decay_epochs", 0,
                 "the schedule decays for this many epochs, then keeps that rate (0: decays for ever)", {.min = 0});
  schema.add_double("train.label_noise", 0.0, "std of Gaussian noise added to the targets at each use (regression)",
                    {.min = 0.0});
  schema.add_bool("train.evaluate_test", false,
                  "also report loss and accuracy on the test split (same classes and normalisation)");
  schema.add_int("train.eval_every", 1, "epochs between evaluations of training loss and accuracy", {.min = 1});
  schema.add_int_list("train.checkpoints", {}, "write a checkpoint after these epochs (0: the initial point)",
                      {.min = 0});
  schema.add_int_list("train.checkpoint_steps", {}, "and after these global steps", {.min = 1});
  schema.add_string("train.output", "results/run", "folder of the checkpoints (step-<k>.h5, final.h5)");
  schema.add_string("train.resume", "", "checkpoint to resume from (\"\": start at the seeded initial point)");
}

TrainSettings train_settings(const core::Config& config, index global_count, std::uint64_t seed) {
  TrainSettings settings;
  settings.epochs = config.get_int("train.epochs");
  settings.batch_size = config.get_int("train.batch_size");
  settings.sampling = parse_sampling(config.get_string("train.sampling"));
  if (settings.batch_size > global_count && settings.sampling == Sampling::epoch)
    throw config.error("train.batch_size", "at most the " + std::to_string(global_count) +
                                               " training samples (epoch sampling)");
  settings.schedule = {parse_schedule(config.get_string("train.schedule")), config.get_double("train.lr"),
                       config.get_double("train.decay"), config.get_int("train.step_epochs"),
                       config.get_int("train.decay_epochs")};
  settings.momentum = config.get_double("train.momentum");
  settings.weight_decay = config.get_double("train.weight_decay");
  settings.label_noise = config.get_double("train.label_noise");
  settings.seed = seed;
  settings.eval_every = config.get_int("train.eval_every");
  settings.checkpoint_epochs = config.get_int_list("train.checkpoints");
  settings.checkpoint_steps = config.get_int_list("train.checkpoint_steps");
  settings.checkpoint_dir = config.get_string("train.output");
  return settings;
}

}  // namespace hesscov::train
