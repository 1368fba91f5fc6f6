#pragma once
// What every job command does first: read and validate the config, load the data, shard it, and
// build the model on the chosen backend; then, for commands that train, run SGD.
#include <memory>
#include <string>
#include <vector>

#include "comm/communicator.hpp"
#include "core/config.hpp"
#include "core/log.hpp"
#include "data/dataset.hpp"
#include "nn/model.hpp"
#include "train/checkpoint.hpp"
#include "train/trainer.hpp"

namespace hesscov::apps {

/// Every key a job config may hold: seed, device, data.*, model.*, train.*, probe.*.
core::Schema job_schema();

struct RunSetup {
  core::Config config;
  data::Dataset dataset;
  comm::Range shard;  ///< this rank's samples [begin, end)
  std::shared_ptr<const backend::Backend> backend;
  std::unique_ptr<nn::Model> model;
  std::uint64_t seed = 0;
  /// The targets every product and the training see, [count x classes] for all samples (global
  /// rows): the data set's (one-hot labels or regression targets), label-smoothed per
  /// model.label_smoothing.
  std::vector<double> targets;
  /// This rank's rows of the inputs and of `targets`.
  [[nodiscard]] std::vector<double> shard_inputs() const;
  [[nodiscard]] std::vector<double> shard_targets() const;
};

/// The targets a loss sees for `dataset` under `config` (model.label_smoothing applied to
/// classification targets). Local.
std::vector<double> loss_targets(const core::Config& config, const data::Dataset& dataset);

/// args = {CONFIG, key=value..., PETSc options}: the config file with the key=value overrides
/// applied (PETSc/SLEPc -options and their values are left to PETSc's options database). Local.
core::Config load_job_config(const std::vector<std::string>& args, const core::Schema& schema);

/// args = {CONFIG, key=value...}. Collective over `world`.
RunSetup prepare_run(const std::vector<std::string>& args, const core::Schema& schema,
                     const comm::Communicator& world, const core::Logger& log);
/// The same from a validated config: logs it, loads and shards the data, builds the model.
/// Collective over `world`.
RunSetup prepare_run(core::Config config, const comm::Communicator& world, const core::Logger& log);

/// The trainer of a run, with its test data when train.evaluate_test is set. `run`, `world` and
/// `log` must outlive it. Collective.
train::Trainer make_trainer(const RunSetup& run, const comm::Communicator& world, const core::Logger& log,
                            train::TrainSettings settings);

/// The point training starts from: the seeded initial parameters, or train.resume's checkpoint
/// (checked against the model, the seed and the samples; ConfigError naming train.resume). Local.
train::Checkpoint starting_point(const RunSetup& run, const core::Logger& log);

/// Trains per the train section from the seeded initial point or train.resume; with
/// train.epochs = 0 returns the initial point untouched. Collective.
train::Checkpoint train_model(const RunSetup& run, const comm::Communicator& world, const core::Logger& log);

/// "usage: hesscov <command> CONFIG.yaml [key=value ...]" handling shared by the job commands:
/// prints the schema for --help (returns 0), a usage line for bad arguments (returns 2), or -1
/// when the arguments are a config path and overrides.
int handle_job_usage(const std::string& command, const std::vector<std::string>& args, const core::Schema& schema);

/// The body of a job command after training: gets the run, the trained point, the world and the log.
using AfterTraining = void (*)(const RunSetup&, const train::Checkpoint&, const comm::Communicator&,
                               const core::Logger&);

/// A job command: usage handling, config, data, model, training, then `after`. Returns the exit
/// code. Collective over MPI_COMM_WORLD.
/// `extra_keys` declares the command's own config section (nullptr: none).
int run_trained(const std::string& command, const std::vector<std::string>& args, AfterTraining after,
                void (*extra_keys)(core::Schema&) = nullptr);

}  // namespace hesscov::apps
