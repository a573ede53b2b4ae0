#include "trainer/model_thread_trial.h"

#include <algorithm>

namespace distsage {

ModelThreadTrial::ModelThreadTrial(int threads, int cores, bool try_one)
    : configured_(threads),
      cores_(std::max(1, cores)),
      decided_(!try_one || threads <= 1),
      chosen_(threads) {}

int ModelThreadTrial::threads() const {
  if (decided_) return chosen_;
  const int trial_step = steps_ - kWarmupSteps;
  if (trial_step < 0) return configured_;
  return (trial_step / kTurnSteps) % 2 == 0 ? configured_ : 1;
}

void ModelThreadTrial::Record(double step_seconds, double cycle_cpu_seconds) {
  if (decided_) return;
  const int trial_step = steps_ - kWarmupSteps;
  if (trial_step >= 0 && trial_step % kTurnSteps != 0) {
    const int which = threads() == configured_ ? 0 : 1;
    counted_[which] += 1;
    step_sum_[which] += step_seconds;
    cpu_sum_[which] += cycle_cpu_seconds;
  }
  ++steps_;
  if (steps_ == kWarmupSteps + kTurnSteps) {
    loader_bound_ = cpu_sum_[0] / cores_ / std::max(step_sum_[0], 1e-12);
    if (loader_bound_ < kLoaderBoundAtLeast) {
      decided_ = true;  // The step bounds the pipeline: keep the configured count.
      return;
    }
  }
  if (steps_ < trial_steps()) return;
  for (int which = 0; which < 2; ++which) {
    const double n = std::max(1, counted_[which]);
    estimate_[which] = std::max(step_sum_[which] / n, cpu_sum_[which] / n / cores_);
  }
  chosen_ = estimate_[1] <= kOneThreadAtMost * estimate_[0] ? 1 : configured_;
  decided_ = true;
}

}  // namespace distsage
