// How many intra-op threads the training steps use: the configured count, or
// one. A narrow model's step is many small operations, each split between
// threads that are woken and waited for; the split can gain less than it
// costs in CPU, which the loader's threads on the same cores then lack. At
// products scale, hidden 16, on 2 cores, one thread makes the pipeline 0.89x
// (median of 3 rounds); wide layers and the Amazon graphs train faster with
// two (bench/results/num_threads_one.md, model_threads.md). Where the loader
// bounds the pipeline, the trainer tries both on its first steps, in turns,
// and estimates the pipeline's time per batch at each: the longer of the step
// itself and the process's CPU per batch (model and loader) spread over the
// cores. A step computes the same bits with any thread count
// (TrainerCliTest checks it), so the choice changes only the time.
#ifndef DISTSAGE_TRAINER_MODEL_THREAD_TRIAL_H_
#define DISTSAGE_TRAINER_MODEL_THREAD_TRIAL_H_

namespace distsage {

class ModelThreadTrial {
 public:
  // Steps at the configured count before the trial (warm-up: allocator,
  // oneDNN's kernel caches), and the trial's steps, in turns of kTurnSteps
  // at the configured count and at one, the first step of each turn not
  // counted (the batches prefetched during the other turn).
  static constexpr int kWarmupSteps = 4;
  static constexpr int kTurnSteps = 4;
  static constexpr int kTurns = 6;
  // One thread is kept only when its estimate is at most this fraction of
  // the configured count's (noise does not flip the choice).
  static constexpr double kOneThreadAtMost = 0.95;
  // After the first turn: one thread is tried only where the process's CPU
  // per batch spread over the cores is at least this multiple of the step,
  // i.e. the loader's CPU, not the step, bounds the pipeline. Elsewhere
  // (0.93-0.98 on Amazon Computers and at products scale, hidden 256;
  // 1.5-2.8 there at hidden 16: bench/results/model_threads.md) steps at
  // one thread would only be slower.
  static constexpr double kLoaderBoundAtLeast = 1.3;

  // `threads`: the configured count; `cores`: the cores the process runs
  // on. With `try_one` false, or `threads` <= 1, there is nothing to try.
  ModelThreadTrial(int threads, int cores, bool try_one);

  // The threads for the next step.
  int threads() const;
  // Records the step just taken with threads(): the step's wall seconds,
  // and the process's CPU seconds (every thread) since the previous step
  // ended.
  void Record(double step_seconds, double cycle_cpu_seconds);

  // Whether the count is settled (the trial is over, or there was none).
  bool decided() const { return decided_; }
  // The estimated seconds per batch at the configured count and at one
  // (0 before the trial ends, or without one).
  double configured_estimate() const { return estimate_[0]; }
  double one_estimate() const { return estimate_[1]; }
  // The first turn's CPU per batch over the cores, divided by its step
  // (compared with kLoaderBoundAtLeast; 0 before that turn, or without one).
  double loader_bound() const { return loader_bound_; }
  int trial_steps() const { return kWarmupSteps + kTurns * kTurnSteps; }

 private:
  const int configured_;
  const int cores_;
  int steps_ = 0;
  bool decided_;
  int chosen_;
  // By count (0: configured, 1: one): counted steps, their wall and CPU.
  int counted_[2] = {0, 0};
  double step_sum_[2] = {0.0, 0.0};
  double cpu_sum_[2] = {0.0, 0.0};
  double estimate_[2] = {0.0, 0.0};
  double loader_bound_ = 0.0;
};

}  // namespace distsage

#endif  // DISTSAGE_TRAINER_MODEL_THREAD_TRIAL_H_
