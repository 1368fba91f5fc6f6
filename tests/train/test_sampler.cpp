// Minibatch sampling: every sample once per epoch without replacement; iid uniform draws with
// replacement (statistical tests at fixed seeds); determinism; the SGD update and schedules.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "core/error.hpp"
#include "train/sampler.hpp"
#include "train/sgd.hpp"

namespace hesscov::train {
namespace {

TEST(EpochSampling, EverySampleExactlyOncePerEpoch) {
  for (index batch_size : {1, 7, 10, 50}) {
    const BatchSampler sampler(Sampling::epoch, 50, batch_size, 3);
    EXPECT_EQ(sampler.steps_per_epoch(), (50 + batch_size - 1) / batch_size);
    for (index epoch = 0; epoch < 3; ++epoch) {
      std::vector<int> seen(50, 0);
      for (index s = 0; s < sampler.steps_per_epoch(); ++s) {
        const auto batch = sampler.batch(epoch * sampler.steps_per_epoch() + s);
        EXPECT_LE(static_cast<index>(batch.size()), batch_size);
        for (index i : batch) ++seen[static_cast<size_t>(i)];
      }
      for (int count : seen) EXPECT_EQ(count, 1) << "batch " << batch_size << " epoch " << epoch;
    }
  }
}

TEST(EpochSampling, PermutationsAreDeterministicAndFreshPerEpoch) {
  const BatchSampler a(Sampling::epoch, 100, 10, 42), b(Sampling::epoch, 100, 10, 42), c(Sampling::epoch, 100, 10, 43);
  EXPECT_EQ(a.permutation(0), b.permutation(0));
  EXPECT_NE(a.permutation(0), a.permutation(1));
  EXPECT_NE(a.permutation(0), c.permutation(0));
  EXPECT_EQ(a.batch(13), b.batch(13));
  // Asking for steps out of order gives the same batches (no hidden sampler state).
  const auto late = a.batch(25);
  (void)a.batch(3);
  EXPECT_EQ(a.batch(25), late);
}

TEST(ReplacementSampling, DrawsAreUniform) {
  // Chi-square goodness of fit over 20 bins from 200,000 draws; the 0.999 quantile of chi2(19)
  // is 43.8, so a correct sampler fails this fixed-seed test with probability 1e-3.
  const index samples = 20, batch = 100, steps = 2000;
  const BatchSampler sampler(Sampling::replacement, samples, batch, 7);
  std::vector<double> counts(samples, 0.0);
  for (index s = 0; s < steps; ++s)
    for (index i : sampler.batch(s)) counts[static_cast<size_t>(i)] += 1.0;
  const double expected = static_cast<double>(batch * steps) / samples;
  double chi2 = 0.0;
  for (double c : counts) chi2 += (c - expected) * (c - expected) / expected;
  EXPECT_LT(chi2, 43.8);
}

TEST(ReplacementSampling, SuccessiveDrawsAreIndependent) {
  // Repeats inside a batch occur (it is not a permutation) at the iid rate: for S = 10 of N = 100
  // the expected number of distinct indices is N(1 - (1 - 1/N)^S) = 9.56; the mean over 5,000
  // batches has a standard error of about 0.009, so |mean - 9.56| < 0.05 is a > 5 sigma bound.
  const BatchSampler sampler(Sampling::replacement, 100, 10, 11);
  double distinct = 0.0;
  // Lag-1 correlation of consecutive draws, expected 0 with standard error 1/sqrt(50,000).
  double sum_xy = 0.0, sum_x = 0.0, sum_x2 = 0.0;
  index pairs = 0;
  for (index s = 0; s < 5000; ++s) {
    const auto batch = sampler.batch(s);
    distinct += static_cast<double>(std::set<index>(batch.begin(), batch.end()).size());
    for (size_t j = 0; j + 1 < batch.size(); ++j, ++pairs) {
      const double x = static_cast<double>(batch[j]), y = static_cast<double>(batch[j + 1]);
      sum_xy += x * y;
      sum_x += x;
      sum_x2 += x * x;
    }
  }
  EXPECT_NEAR(distinct / 5000.0, 100.0 * (1.0 - std::pow(0.99, 10)), 0.05);
  const double mean = sum_x / static_cast<double>(pairs), var = sum_x2 / static_cast<double>(pairs) - mean * mean;
  const double correlation = (sum_xy / static_cast<double>(pairs) - mean * mean) / var;
  EXPECT_LT(std::abs(correlation), 5.0 / std::sqrt(static_cast<double>(pairs)));
}

TEST(Sampler, RejectsBadSizes) {
  EXPECT_THROW(BatchSampler(Sampling::epoch, 10, 11, 0), core::DimensionMismatch);
  EXPECT_THROW(BatchSampler(Sampling::epoch, 0, 1, 0), core::DimensionMismatch);
  EXPECT_THROW((void)parse_sampling("shuffle"), core::Error);
}

TEST(Sgd, HeavyBallWithWeightDecayByHand) {
  Sgd sgd(0.9, 0.1, 2);
  std::vector<double> theta{1.0, -2.0};
  sgd.step(theta, {0.5, 0.25}, 0.1);  // d = g + 0.1 theta = (0.6, 0.05); m = d; theta -= 0.1 m
  EXPECT_DOUBLE_EQ(theta[0], 1.0 - 0.06);
  EXPECT_DOUBLE_EQ(theta[1], -2.0 - 0.005);
  sgd.step(theta, {0.0, 0.0}, 0.1);  // m = 0.9 m + 0.1 theta
  EXPECT_DOUBLE_EQ(sgd.velocity()[0], 0.9 * 0.6 + 0.1 * 0.94);
  EXPECT_DOUBLE_EQ(theta[0], 0.94 - 0.1 * (0.9 * 0.6 + 0.1 * 0.94));
}

TEST(Schedule, ConstantExponentialAndStep) {
  EXPECT_DOUBLE_EQ((Schedule{ScheduleKind::constant, 0.1, 0.5, 1}.rate(7)), 0.1);
  EXPECT_DOUBLE_EQ((Schedule{ScheduleKind::exponential, 0.1, 0.98, 1}.rate(2)), 0.1 * 0.98 * 0.98);
  EXPECT_DOUBLE_EQ((Schedule{ScheduleKind::step, 0.1, 0.5, 3}.rate(5)), 0.05);
  EXPECT_DOUBLE_EQ((Schedule{ScheduleKind::step, 0.1, 0.5, 3}.rate(6)), 0.025);
  // decay_epochs: the rate of epoch 2 from then on (0.1 * 0.98^2), for exponential and step alike.
  EXPECT_DOUBLE_EQ((Schedule{ScheduleKind::exponential, 0.1, 0.98, 1, 2}.rate(1)), 0.1 * 0.98);
  EXPECT_DOUBLE_EQ((Schedule{ScheduleKind::exponential, 0.1, 0.98, 1, 2}.rate(2)), 0.1 * 0.98 * 0.98);
  EXPECT_DOUBLE_EQ((Schedule{ScheduleKind::exponential, 0.1, 0.98, 1, 2}.rate(50)), 0.1 * 0.98 * 0.98);
  EXPECT_DOUBLE_EQ((Schedule{ScheduleKind::step, 0.1, 0.5, 3, 4}.rate(100)), 0.05);
}

}  // namespace
}  // namespace hesscov::train
