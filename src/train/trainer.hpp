#pragma once
// Data-parallel SGD: parameters are replicated, samples are sharded. A minibatch is a list of
// global sample indices (BatchSampler); each rank computes the gradient sum over the batch's
// samples it holds, the sums are added across ranks, and every rank applies the same update. The
// trajectory therefore does not depend on the number of ranks beyond summation order.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "comm/communicator.hpp"
#include "core/log.hpp"
#include "nn/dataset_evaluator.hpp"
#include "train/checkpoint.hpp"
#include "train/sampler.hpp"
#include "train/sgd.hpp"

namespace hesscov::train {

struct TrainSettings {
  index epochs = 0;
  index batch_size = 64;
  Sampling sampling = Sampling::epoch;
  Schedule schedule;
  double momentum = 0.0;
  double weight_decay = 0.0;          ///< L2 coefficient: adds weight_decay * theta to the gradient
  double label_noise = 0.0;           ///< std of Gaussian noise added to the targets of each use of a sample
  std::uint64_t seed = 0;             ///< sampling and label-noise streams
  index eval_every = 1;               ///< epochs between evaluations of the training loss/accuracy
  std::vector<index> checkpoint_epochs;  ///< write a checkpoint after these epochs (0: the start)
  std::vector<index> checkpoint_steps;   ///< and after these global steps
  std::string checkpoint_dir;         ///< "" writes none but the return value
  index stop_after_steps = -1;        ///< stop early after this global step (-1: run all epochs)
  /// Asked after every step with the number of steps taken; true ends the run with status
  /// "interrupted" (a preemption signal, say). Collective: every rank of the communicator must
  /// return the same answer for the same step. Empty: never stop.
  std::function<bool(index)> should_stop;
  /// Called at every step k with θ_k and the reduced minibatch gradient, which it may change in
  /// place before the update (designed noise: GD plus injected Gaussian noise). Host vectors, the
  /// same on every rank; collective (every rank at every step). Empty: the gradient as computed.
  std::function<void(index, const std::vector<double>&, std::vector<double>&)> perturb;
  /// Called after every step with the step's index k, the parameters θ_k it started from, the
  /// reduced minibatch gradient g_k it used (of the loss without the L2 term) and the parameters
  /// θ_{k+1} it produced (trajectory recording, `hesscov fluct`). Host vectors, the same on every
  /// rank; valid during the call only. Collective: called on every rank at the same steps. Empty:
  /// not called.
  std::function<void(index, const std::vector<double>&, const std::vector<double>&, const std::vector<double>&)>
      on_step;
};

/// This rank's samples: rows [begin, begin + count) of the global data set.
struct Shard {
  std::vector<double> inputs;   ///< [count x in_features]
  std::vector<double> targets;  ///< [count x classes]
  index begin = 0;
  index count = 0;
};

class Trainer {
 public:
  /// `model`, `comm` and `log` must outlive the trainer. Collective.
  Trainer(const nn::Model& model, const comm::Communicator& comm, TrainSettings settings, Shard shard,
          const core::Logger& log);

  /// Also report the loss and accuracy on held-out data (this rank's shard of it) at every
  /// evaluation. Collective.
  void add_test_data(Shard test);

  [[nodiscard]] index steps_per_epoch() const { return sampler_.steps_per_epoch(); }
  [[nodiscard]] index global_count() const { return global_count_; }

  /// Trains from `state` (step 0 with initial parameters and zero velocity, or a checkpoint) to
  /// the end of the last epoch (or stop_after_steps), or until a non-finite gradient or loss, or
  /// until should_stop says so; returns the state with status "completed", "diverged: ...", or
  /// "interrupted". With `until_step` >= 0 it stops there at the latest, evaluates the model, and
  /// returns status "running" when steps remain (a caller that analyses checkpoints calls run()
  /// again from the returned state; the trajectory is the same as in one call). Collective;
  /// checkpoint files are written by rank 0.
  Checkpoint run(Checkpoint state, const std::string& config_text, index until_step = -1);

  /// Steps of the whole run: epochs x steps per epoch, or stop_after_steps when smaller.
  [[nodiscard]] index total_steps() const;

 private:
  /// One SGD step at state.step; false when the reduced gradient is not finite.
  bool step(Checkpoint& state, Sgd& sgd);
  /// Training loss and accuracy at state.params, logged with progress and ETA.
  void evaluate(Checkpoint& state, double seconds, index steps_taken, index steps_left);
  void save(const Checkpoint& state, const std::string& name) const;

  const nn::Model& model_;
  const comm::Communicator& comm_;
  TrainSettings settings_;
  Shard shard_;
  const core::Logger& log_;
  index global_count_;
  BatchSampler sampler_;
  nn::Workspace workspace_;
  nn::DatasetEvaluator evaluator_;
  std::unique_ptr<nn::DatasetEvaluator> test_evaluator_;
  backend::Buffer<double> params_, batch_inputs_, batch_targets_, gradient_;
};

}  // namespace hesscov::train
