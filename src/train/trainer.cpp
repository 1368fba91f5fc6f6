#include "train/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "backend/common/vector_kernels.hpp"
#include "backend/for_each.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"

namespace hesscov::train {
namespace {

bool all_finite(const std::vector<double>& values) {
  return std::all_of(values.begin(), values.end(), [](double x) { return std::isfinite(x); });
}

bool listed(const std::vector<index>& list, index value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

Trainer::Trainer(const nn::Model& model, const comm::Communicator& comm, TrainSettings settings, Shard shard,
                 const core::Logger& log)
    : model_(model), comm_(comm), settings_(std::move(settings)), shard_(std::move(shard)), log_(log),
      global_count_(comm.allreduce_sum(shard_.count)),
      sampler_(settings_.sampling, global_count_, settings_.batch_size, settings_.seed),
      workspace_(model, settings_.batch_size),
      evaluator_(model, comm, shard_.inputs, shard_.targets, std::max<index>(settings_.batch_size, 256)),
      params_(model.backend_ptr(), model.num_params()),
      batch_inputs_(model.backend_ptr(), settings_.batch_size * model.in_features()),
      batch_targets_(model.backend_ptr(), settings_.batch_size * model.out_features()),
      gradient_(model.backend_ptr(), model.num_params()) {}

void Trainer::add_test_data(Shard test) {
  test_evaluator_ = std::make_unique<nn::DatasetEvaluator>(model_, comm_, test.inputs, test.targets,
                                                           std::max<index>(settings_.batch_size, 256));
}

bool Trainer::step(Checkpoint& state, Sgd& sgd) {
  const std::vector<index> batch = sampler_.batch(state.step);
  const index in = model_.in_features(), classes = model_.out_features();
  std::vector<double> inputs, targets;
  const core::CounterRng noise(settings_.seed, "label_noise");
  for (size_t j = 0; j < batch.size(); ++j) {
    const index row = batch[j] - shard_.begin;
    if (row < 0 || row >= shard_.count) continue;  // another rank holds this sample
    inputs.insert(inputs.end(), shard_.inputs.begin() + row * in, shard_.inputs.begin() + (row + 1) * in);
    for (index k = 0; k < classes; ++k) {
      double target = shard_.targets[static_cast<size_t>(row * classes + k)];
      if (settings_.label_noise > 0.0)  // fresh noise per use of a sample, the same on any rank count
        target += settings_.label_noise *
                  noise.normal(static_cast<std::uint64_t>((state.step * settings_.batch_size + static_cast<index>(j)) * classes + k));
      targets.push_back(target);
    }
  }
  backend::for_each(model_.backend(), model_.num_params(), backend::kernels::Fill{gradient_.data(), 0.0});
  const auto local = static_cast<index>(inputs.size()) / in;
  if (local > 0) {
    model_.backend().copy_from_host(batch_inputs_.data(), inputs.data(), inputs.size() * sizeof(double));
    model_.backend().copy_from_host(batch_targets_.data(), targets.data(), targets.size() * sizeof(double));
    model_.gradient(workspace_, params_.data(), {batch_inputs_.data(), batch_targets_.data(), local},
                    nn::ParamSubset::all(model_.layout()), nullptr, 1.0 / static_cast<double>(batch.size()),
                    gradient_.data());
  }
  std::vector<double> gradient = gradient_.to_host();
  comm_.allreduce_sum(gradient.data(), static_cast<index>(gradient.size()));
  if (!all_finite(gradient)) return false;
  if (settings_.perturb) settings_.perturb(state.step, state.params, gradient);
  std::vector<double> before;
  if (settings_.on_step) before = state.params;
  sgd.step(state.params, gradient, settings_.schedule.rate(state.step / sampler_.steps_per_epoch()));
  params_.from_host(state.params);
  if (settings_.on_step) settings_.on_step(state.step, before, gradient, state.params);
  ++state.step;
  state.epoch = state.step / sampler_.steps_per_epoch();
  return true;
}

void Trainer::evaluate(Checkpoint& state, double seconds, index steps_taken, index steps_left) {
  evaluator_.set_parameters(state.params);
  Evaluation evaluation;
  evaluation.step = state.step;
  evaluation.epoch = state.epoch;
  // The rate of the last step taken (step state.step - 1), also when evaluating mid-epoch.
  evaluation.learning_rate = settings_.schedule.rate(std::max<index>(state.step - 1, 0) / sampler_.steps_per_epoch());
  evaluation.train_loss = state.train_loss = evaluator_.mean_loss();
  evaluation.train_accuracy = state.train_accuracy = evaluator_.accuracy();
  std::string test_text;
  if (test_evaluator_) {
    test_evaluator_->set_parameters(state.params);
    evaluation.test_loss = state.test_loss = test_evaluator_->mean_loss();
    evaluation.test_accuracy = state.test_accuracy = test_evaluator_->accuracy();
    char text[96];
    std::snprintf(text, sizeof text, "  test loss %.6f  accuracy %.4f", state.test_loss, state.test_accuracy);
    test_text = text;
  }
  evaluation.seconds = seconds;
  state.history.push_back(evaluation);
  const double eta_seconds =
      seconds / static_cast<double>(std::max<index>(steps_taken, 1)) * static_cast<double>(steps_left);
  char line[384];
  std::snprintf(line, sizeof line, "epoch %lld/%lld  step %lld  lr %.4g  train loss %.6f  accuracy %.4f%s  (%s, ETA %s)",
                static_cast<long long>(state.epoch), static_cast<long long>(settings_.epochs),
                static_cast<long long>(state.step), evaluation.learning_rate, state.train_loss, state.train_accuracy,
                test_text.c_str(), core::format_seconds(seconds).c_str(), core::format_seconds(eta_seconds).c_str());
  log_.info(line);
}

void Trainer::save(const Checkpoint& state, const std::string& name) const {
  if (settings_.checkpoint_dir.empty()) return;
  const std::string path = settings_.checkpoint_dir + "/" + name + ".h5";
  if (comm_.rank() == 0) write_checkpoint(path, state);
  comm_.barrier();
  log_.info("checkpoint " + path + " (step " + std::to_string(state.step) + ", " + state.status + ")");
}

index Trainer::total_steps() const {
  const index total = settings_.epochs * sampler_.steps_per_epoch();
  return settings_.stop_after_steps >= 0 ? std::min(total, settings_.stop_after_steps) : total;
}

Checkpoint Trainer::run(Checkpoint state, const std::string& config_text, index until_step) {
  HC_CHECK(static_cast<index>(state.params.size()) == model_.num_params(), core::DimensionMismatch,
           "the starting point has " + std::to_string(state.params.size()) + " parameters, the model " +
               std::to_string(model_.num_params()));
  state.config = config_text;
  state.seed = settings_.seed;
  state.status = "running";
  Sgd sgd(settings_.momentum, settings_.weight_decay, model_.num_params());
  if (!state.velocity.empty()) sgd.set_velocity(state.velocity);
  params_.from_host(state.params);
  const index total = total_steps();
  const index last = until_step >= 0 ? std::min(total, until_step) : total;
  const auto start = std::chrono::steady_clock::now();
  const index first_step = state.step;
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  if (state.step == 0 && listed(settings_.checkpoint_epochs, 0)) save(state, "step-0");
  while (state.step < last) {
    if (!step(state, sgd)) {
      state.status = "diverged: non-finite gradient at step " + std::to_string(state.step);
      break;
    }
    state.velocity = sgd.velocity();
    const bool epoch_end = state.step % sampler_.steps_per_epoch() == 0;
    if ((epoch_end && state.epoch % settings_.eval_every == 0) || state.step == last) {
      evaluate(state, elapsed(), state.step - first_step, total - state.step);
      if (!std::isfinite(state.train_loss)) {
        state.status = "diverged: non-finite training loss after step " + std::to_string(state.step);
        break;
      }
    }
    if ((epoch_end && listed(settings_.checkpoint_epochs, state.epoch)) || listed(settings_.checkpoint_steps, state.step))
      save(state, "step-" + std::to_string(state.step));
    if (settings_.should_stop && state.step < last && settings_.should_stop(state.step)) {
      state.status = "interrupted";
      break;
    }
  }
  state.velocity = sgd.velocity();
  if (state.status == "running" && state.step >= total) state.status = "completed";
  if (state.status == "running") return state;  // more to do: the caller continues from here
  if (state.status != "completed") log_.info("training stopped: " + state.status + " at step " + std::to_string(state.step));
  save(state, "final");
  return state;
}

}  // namespace hesscov::train
