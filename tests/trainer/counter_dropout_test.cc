#include "trainer/counter_dropout.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

namespace distsage {
namespace {

TEST(CounterDropoutTest, KeepsOneMinusPOfTheElementsScaledAndZeroesTheRest) {
  torch::manual_seed(3);
  for (const double p : {0.1, 0.5, 0.8}) {
    const at::Tensor x = torch::rand({1000, 1000}) + 1.0f;  // No zeros of its own.
    const at::Tensor y = CounterDropout(x, p, /*training=*/true);
    const at::Tensor kept = y != 0;
    const double fraction = kept.to(at::kDouble).mean().item<double>();
    // 1e6 Bernoulli draws: the standard deviation of the fraction is below
    // 5e-4; 5 of them.
    EXPECT_NEAR(fraction, 1.0 - p, 2.5e-3) << "p " << p;
    EXPECT_TRUE(torch::allclose(y.masked_select(kept), x.masked_select(kept) / (1.0 - p)))
        << "p " << p;
  }
}

TEST(CounterDropoutTest, MasksFollowTheSeedAndDifferBetweenCalls) {
  const at::Tensor x = torch::ones({300, 256});
  torch::manual_seed(7);
  const at::Tensor first = CounterDropout(x, 0.5, true);
  const at::Tensor second = CounterDropout(x, 0.5, true);
  torch::manual_seed(7);
  EXPECT_TRUE(torch::equal(CounterDropout(x, 0.5, true), first)) << "same seed, same mask";
  EXPECT_FALSE(torch::equal(first, second)) << "each call draws a new key";
  // Neighbouring elements are independent: agreement of the masks of
  // element i and i + 1 is ~1/2, not ~1.
  const at::Tensor flat = (first.flatten() != 0).to(at::kDouble);
  const double agree =
      (flat.slice(0, 0, -1) == flat.slice(0, 1)).to(at::kDouble).mean().item<double>();
  EXPECT_NEAR(agree, 0.5, 0.01);
}

TEST(CounterDropoutTest, GradientPassesThroughTheSameMask) {
  torch::manual_seed(11);
  const at::Tensor x = (torch::rand({64, 33}) + 0.5f).requires_grad_(true);
  const at::Tensor y = CounterDropout(x, 0.3, true);
  y.sum().backward();
  // dy/dx is 1 / 0.7 where kept, 0 where dropped: y / x exactly.
  EXPECT_TRUE(torch::allclose(x.grad(), (y / x).detach()));
}

TEST(CounterDropoutTest, EvaluationAndZeroProbabilityLeaveTheInputAndOneDropsAll) {
  const at::Tensor x = torch::rand({10, 10});
  EXPECT_TRUE(CounterDropout(x, 0.5, /*training=*/false).is_same(x));
  EXPECT_TRUE(CounterDropout(x, 0.0, true).is_same(x));
  EXPECT_EQ(CounterDropout(x, 1.0, true).count_nonzero().item<int64_t>(), 0);
}

TEST(CounterDropoutTest, BFloat16RowsAreMaskedAsFloatOnes) {
  torch::manual_seed(5);
  const at::Tensor x = torch::rand({50, 40}) + 1.0f;
  const at::Tensor xb = x.to(at::kBFloat16);
  torch::manual_seed(9);
  const at::Tensor y = CounterDropout(x, 0.5, true);
  torch::manual_seed(9);
  const at::Tensor yb = CounterDropout(xb, 0.5, true);
  EXPECT_TRUE(torch::equal(y != 0, yb != 0)) << "the mask depends on the key and index only";
}

TEST(CounterDropoutTest, ThresholdOfTheHashDecidesEachElement) {
  // Every element kept at threshold 2^32 - 1 but a hash of exactly that
  // value; none at 0.
  int kept_all = 0;
  for (int64_t i = 0; i < 1000; ++i) {
    EXPECT_FALSE(CounterDropoutKeeps(42, i, 0));
    kept_all += CounterDropoutKeeps(42, i, 0xFFFFFFFFu) ? 1 : 0;
  }
  EXPECT_GE(kept_all, 999);
}

}  // namespace
}  // namespace distsage
