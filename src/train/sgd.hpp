#pragma once
// Plain SGD with heavy-ball momentum and L2 weight decay, and its learning-rate schedules.
#include <string>
#include <vector>

#include "backend/types.hpp"

namespace hesscov::train {

enum class ScheduleKind { constant, exponential, step };

/// Learning rate of epoch e (0-based): constant eta0; exponential eta0 * decay^e; step
/// eta0 * decay^floor(e / step_epochs); with decay_epochs > 0 the decay stops there and the rate
/// of epoch decay_epochs holds from then on (Study 2: x0.98 per epoch for 100 epochs, then fixed).
struct Schedule {
  ScheduleKind kind = ScheduleKind::constant;
  double initial = 0.1;
  double decay = 1.0;
  index step_epochs = 1;
  index decay_epochs = 0;  ///< 0: decay for ever
  [[nodiscard]] double rate(index epoch) const;
};

ScheduleKind parse_schedule(const std::string& name);

/// The update (PyTorch's SGD without dampening or Nesterov; SCIENCE.md Study 4):
///   d = g + weight_decay * theta,  m <- momentum * m + d,  theta <- theta - eta * m.
/// Host-side and replicated: every rank applies the same reduced gradient to the same vectors.
class Sgd {
 public:
  Sgd(double momentum, double weight_decay, index num_params);
  /// One step with minibatch gradient `gradient` (of the loss without the L2 term) at rate eta.
  void step(std::vector<double>& params, const std::vector<double>& gradient, double eta);
  [[nodiscard]] const std::vector<double>& velocity() const noexcept { return velocity_; }
  /// Restores the momentum buffer from a checkpoint.
  void set_velocity(std::vector<double> velocity);

 private:
  double momentum_, weight_decay_;
  std::vector<double> velocity_;
};

}  // namespace hesscov::train
