#include "train/sgd.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace hesscov::train {

double Schedule::rate(index epoch) const {
  if (decay_epochs > 0) epoch = std::min(epoch, decay_epochs);
  switch (kind) {
    case ScheduleKind::constant: return initial;
    case ScheduleKind::exponential: return initial * std::pow(decay, static_cast<double>(epoch));
    case ScheduleKind::step: return initial * std::pow(decay, static_cast<double>(epoch / step_epochs));
  }
  return initial;
}

ScheduleKind parse_schedule(const std::string& name) {
  if (name == "constant") return ScheduleKind::constant;
  if (name == "exponential") return ScheduleKind::exponential;
  if (name == "step") return ScheduleKind::step;
  throw core::Error("unknown schedule '" + name + "': expected constant, exponential or step");
}

Sgd::Sgd(double momentum, double weight_decay, index num_params)
    : momentum_(momentum), weight_decay_(weight_decay), velocity_(static_cast<size_t>(num_params), 0.0) {}

void Sgd::step(std::vector<double>& params, const std::vector<double>& gradient, double eta) {
  HC_CHECK(params.size() == velocity_.size() && gradient.size() == velocity_.size(), core::DimensionMismatch,
           "SGD step on vectors of the wrong size");
  for (size_t i = 0; i < params.size(); ++i) {
    velocity_[i] = momentum_ * velocity_[i] + gradient[i] + weight_decay_ * params[i];
    params[i] -= eta * velocity_[i];
  }
}

void Sgd::set_velocity(std::vector<double> velocity) {
  HC_CHECK(velocity.size() == velocity_.size(), core::DimensionMismatch,
           "checkpoint velocity has " + std::to_string(velocity.size()) + " entries, the model " +
               std::to_string(velocity_.size()));
  velocity_ = std::move(velocity);
}

}  // namespace hesscov::train
