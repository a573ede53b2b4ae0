// The trial of the training steps' thread counts: its schedule, and the
// choice it makes from the step and CPU times given to it.
#include "trainer/model_thread_trial.h"

#include <gtest/gtest.h>

#include <vector>

namespace distsage {
namespace {

constexpr int kWarmup = ModelThreadTrial::kWarmupSteps;
constexpr int kTurn = ModelThreadTrial::kTurnSteps;

// Per step at a thread count: the step's wall seconds and the process's CPU
// seconds per cycle (model and loader).
struct Cost {
  double step = 0.0;
  double cpu = 0.0;
};

// Runs steps costing `configured` at the configured count and `one` at one
// thread until the trial decides; returns the threads of every step.
std::vector<int> RunTrial(ModelThreadTrial* trial, int configured_threads, Cost configured,
                          Cost one) {
  std::vector<int> threads;
  while (!trial->decided() && threads.size() < 100) {
    threads.push_back(trial->threads());
    const Cost& cost = threads.back() == configured_threads ? configured : one;
    trial->Record(cost.step, cost.cpu);
  }
  return threads;
}

// At products scale, hidden 16, on 2 cores: the loader's CPU bounds the
// pipeline (17 ms of CPU per 4 ms step), and one thread's steps, a little
// longer, leave the loader more of the cores.
TEST(ModelThreadTrialTest, TriesOneThreadInTurnsWhereTheLoaderBoundsAndKeepsItWhenFaster) {
  ModelThreadTrial trial(2, 2, true);
  const std::vector<int> threads = RunTrial(&trial, 2, {0.004, 0.017}, {0.005, 0.014});
  ASSERT_EQ(static_cast<int>(threads.size()), trial.trial_steps());
  for (int s = 0; s < kWarmup; ++s) EXPECT_EQ(threads[s], 2) << s;
  for (int t = 0; t < trial.trial_steps() - kWarmup; ++t) {
    EXPECT_EQ(threads[kWarmup + t], (t / kTurn) % 2 == 0 ? 2 : 1) << t;
  }
  EXPECT_EQ(trial.threads(), 1);
  EXPECT_DOUBLE_EQ(trial.configured_estimate(), 0.0085);  // 17 ms over 2 cores.
  EXPECT_DOUBLE_EQ(trial.one_estimate(), 0.007);
}

TEST(ModelThreadTrialTest, KeepsTheCountWhereOneThreadsStepsAreTooLong) {
  ModelThreadTrial trial(2, 2, true);
  RunTrial(&trial, 2, {0.004, 0.017}, {0.009, 0.012});
  EXPECT_EQ(trial.threads(), 2);
  EXPECT_DOUBLE_EQ(trial.one_estimate(), 0.009);
  // Within the margin the configured count stays too.
  ModelThreadTrial close(2, 2, true);
  RunTrial(&close, 2, {0.004, 0.017}, {0.004, 0.0165});
  EXPECT_EQ(close.threads(), 2);
}

// The Amazon graphs and hidden 256: the step bounds the pipeline (CPU per
// batch over the cores about the step), so no step runs at one thread.
TEST(ModelThreadTrialTest, NeverTriesOneThreadWhereTheStepBounds) {
  ModelThreadTrial trial(2, 2, true);
  const std::vector<int> threads = RunTrial(&trial, 2, {0.13, 0.28}, {0.01, 0.01});
  EXPECT_EQ(static_cast<int>(threads.size()), kWarmup + kTurn);
  for (const int t : threads) EXPECT_EQ(t, 2);
  EXPECT_EQ(trial.threads(), 2);
}

TEST(ModelThreadTrialTest, NothingToTryWithOneThreadOrAFixedCount) {
  ModelThreadTrial single(1, 2, true);
  EXPECT_TRUE(single.decided());
  EXPECT_EQ(single.threads(), 1);
  ModelThreadTrial fixed(2, 2, false);
  EXPECT_TRUE(fixed.decided());
  fixed.Record(5.0, 1.0);
  EXPECT_EQ(fixed.threads(), 2);
  EXPECT_DOUBLE_EQ(fixed.one_estimate(), 0.0);
}

}  // namespace
}  // namespace distsage
