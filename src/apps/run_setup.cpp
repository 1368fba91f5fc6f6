#include "apps/run_setup.hpp"

#include <cstdio>

#include "apps/build_info.hpp"
#include "apps/analyses.hpp"
#include "apps/designed_noise.hpp"
#include "apps/valley_path.hpp"
#include "apps/measure.hpp"
#include "backend/backend.hpp"
#include "data/data_config.hpp"
#include "nn/model_config.hpp"
#include "train/train_config.hpp"

namespace hesscov::apps {

core::Schema job_schema() {
  core::Schema schema;
  schema.add_int("seed", 1, "root seed: initial parameters (stream init/<block>), batches, label noise, probes",
                 {.min = 0});
  schema.add_choice("device", "cpu", {"cpu", "cuda"},
                    "backend for the products (cuda: the first visible GPU of each rank)");
  data::add_data_keys(schema);
  nn::add_model_keys(schema);
  train::add_train_keys(schema);
  schema.add_int("probe.batch_size", 1000, "samples per batch in every probe product (bounds memory)", {.min = 1});
  add_measure_keys(schema);
  add_fluct_keys(schema);
  add_track_keys(schema);
  add_designed_noise_keys(schema);
  add_valley_keys(schema);
  schema.add_string_list("probe.blocks", {"fc2.weight"},
                         "parameter blocks for the restricted products (together one subspace); [] skips them");
  return schema;
}

int handle_job_usage(const std::string& command, const std::vector<std::string>& args, const core::Schema& schema) {
  const std::string usage = "usage: hesscov " + command + " CONFIG.yaml [key=value ...]";
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::printf("%s\n\nconfig keys:\n%s", usage.c_str(), schema.help().c_str());
    return 0;
  }
  if (args.empty() || args[0].find('=') != std::string::npos) {
    std::fprintf(stderr, "%s   (hesscov %s --help lists the keys)\n", usage.c_str(), command.c_str());
    return 2;
  }
  return -1;
}

core::Config load_job_config(const std::vector<std::string>& args, const core::Schema& schema) {
  core::Config config = core::Config::load_file(args[0], schema);
  for (size_t i = 1; i < args.size(); ++i) {
    // PETSc/SLEPc options (-eps_nev 100, -log_view) pass through to PETSc's options database;
    // an option's value is the next word when it is neither an option nor a key=value override.
    const bool option = args[i].starts_with("-");
    const bool option_value = !option && i > 1 && args[i - 1].starts_with("-") && args[i].find('=') == std::string::npos;
    if (!option && !option_value) config.set_override(args[i]);
  }
  return config;
}

RunSetup prepare_run(const std::vector<std::string>& args, const core::Schema& schema,
                     const comm::Communicator& world, const core::Logger& log) {
  return prepare_run(load_job_config(args, schema), world, log);
}

RunSetup prepare_run(core::Config config, const comm::Communicator& world, const core::Logger& log) {
  log.info(version_line() + ", " + std::to_string(world.size()) + " MPI rank(s)");
  log.info("config " + config.file() + ", effective values:\n" + config.to_yaml());

  data::Dataset dataset = data::load_dataset(config);
  const auto shard = comm::block_partition(dataset.count, world.rank(), world.size());
  log.info("data: " + dataset.name + ", samples: " + std::to_string(dataset.count) + ", features: " +
           std::to_string(dataset.features) + ", classes: " + std::to_string(dataset.num_classes) + ", about " +
           std::to_string(shard.size()) + " per rank");
  auto backend = backend::make_backend(config.get_string("device"), 0);
  auto model = nn::make_model(backend, config, {dataset.channels, dataset.height, dataset.width},
                              dataset.num_classes);
  log.info("model on " + backend->name() + ", parameters: " + std::to_string(model->num_params()) + "\n" +
           model->summary());
  const auto seed = static_cast<std::uint64_t>(config.get_int("seed"));
  std::vector<double> targets = loss_targets(config, dataset);
  return {std::move(config), std::move(dataset), shard, std::move(backend), std::move(model), seed, std::move(targets)};
}

std::vector<double> loss_targets(const core::Config& config, const data::Dataset& dataset) {
  std::vector<double> targets = data::targets_of(dataset);
  const double smoothing = config.get_double("model.label_smoothing");
  if (smoothing == 0.0) return targets;
  if (!dataset.targets.empty())
    throw config.error("model.label_smoothing", "0 for regression data (" + dataset.name + " has no classes)");
  nn::smooth_targets(targets, dataset.num_classes, smoothing);
  return targets;
}

std::vector<double> RunSetup::shard_inputs() const {
  return data::rows(dataset.inputs, dataset.features, shard.begin, shard.end);
}

std::vector<double> RunSetup::shard_targets() const {
  return data::rows(targets, dataset.num_classes, shard.begin, shard.end);
}

train::Checkpoint starting_point(const RunSetup& run, const core::Logger& log) {
  const auto& config = run.config;
  train::Checkpoint start;
  const std::string resume = config.get_string("train.resume");
  if (resume.empty()) {
    start.params = run.model->initial_parameters(run.seed);
  } else {
    start = train::read_checkpoint(resume);
    if (static_cast<index>(start.params.size()) != run.model->num_params())
      throw config.error("train.resume", "a checkpoint of this model (" + std::to_string(run.model->num_params()) +
                                             " parameters; the file holds " + std::to_string(start.params.size()) + ")");
    if (start.seed != run.seed)
      throw config.error("train.resume", "a checkpoint written with seed " + std::to_string(run.seed) +
                                             " (the file has seed " + std::to_string(start.seed) + ")");
    if (!start.sample_indices.empty() && start.sample_indices != run.dataset.indices)
      throw config.error("train.resume", "a checkpoint trained on the same samples (its sample_indices differ from "
                                         "the data configured now)");
    log.info("resuming from " + resume + " at step " + std::to_string(start.step));
  }
  start.sample_indices = run.dataset.indices;
  start.seed = run.seed;
  return start;
}

train::Checkpoint train_model(const RunSetup& run, const comm::Communicator& world, const core::Logger& log) {
  const auto& config = run.config;
  train::Checkpoint start = starting_point(run, log);
  if (config.get_int("train.epochs") == 0) return start;
  train::Trainer trainer = make_trainer(run, world, log, train::train_settings(config, run.dataset.count, run.seed));
  log.info("training: " + std::to_string(config.get_int("train.epochs")) + " epochs of " +
           std::to_string(trainer.steps_per_epoch()) + " steps");
  return trainer.run(std::move(start), config.to_yaml());
}

train::Trainer make_trainer(const RunSetup& run, const comm::Communicator& world, const core::Logger& log,
                            train::TrainSettings settings) {
  const auto& config = run.config;
  const index classes = run.dataset.num_classes;
  train::Shard shard{run.shard_inputs(), run.shard_targets(), run.shard.begin, run.shard.size()};
  if (config.get_string("train.noise.kind") == "designed" && !settings.perturb) {
    // Shared ownership: the noise lives as long as the trainer's settings that call it.
    auto noise = std::make_shared<DesignedNoise>(run, world, log);
    settings.perturb = [noise](index step, const std::vector<double>& params, std::vector<double>& gradient) {
      (*noise)(step, params, gradient);
    };
  }
  train::Trainer trainer(*run.model, world, std::move(settings), std::move(shard), log);
  if (config.get_bool("train.evaluate_test")) {
    const data::Dataset test = data::load_test_dataset(config, run.dataset);
    const auto range = comm::block_partition(test.count, world.rank(), world.size());
    log.info("test data: " + test.name + ", samples: " + std::to_string(test.count));
    trainer.add_test_data({data::rows(test.inputs, test.features, range.begin, range.end),
                           data::rows(loss_targets(config, test), classes, range.begin, range.end), range.begin,
                           range.size()});
  }
  return trainer;
}

int run_trained(const std::string& command, const std::vector<std::string>& args, AfterTraining after,
                void (*extra_keys)(core::Schema&)) {
  core::Schema schema = job_schema();
  if (extra_keys != nullptr) extra_keys(schema);
  if (const int code = handle_job_usage(command, args, schema); code >= 0) return code;
  const comm::Communicator world = comm::Communicator::borrow(MPI_COMM_WORLD);
  const core::Logger log(world.rank());
  const RunSetup run = prepare_run(args, schema, world, log);
  after(run, train_model(run, world, log), world, log);
  return 0;
}

}  // namespace hesscov::apps
