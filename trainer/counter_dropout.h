// Dropout whose mask is a hash of a per-call key and each element's index,
// drawn in parallel, instead of LibTorch's CPU bernoulli_, which on
// Debian's LibTorch (no MKL) draws one value at a time from the CPU
// generator in one thread: about a sixth of a hidden-256 model step on the
// Amazon graphs (bench/results/dropout_cost.md). Same distribution (each
// element kept with probability 1 - p, to 2^-32, and scaled by 1 / (1 - p)),
// another random stream. The key is one draw from LibTorch's default CPU
// generator, so --seed decides the masks and a run resumed from a
// checkpoint (which restores that generator) draws the same ones.
#ifndef DISTSAGE_TRAINER_COUNTER_DROPOUT_H_
#define DISTSAGE_TRAINER_COUNTER_DROPOUT_H_

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace distsage {

// x with each element zeroed with probability p (0 <= p <= 1) and the rest
// scaled by 1 / (1 - p) when `training`, else x itself. Autograd: the gradient passes
// through the same mask (recomputed from the key, not stored). float32 or
// bfloat16 (scaled in float32).
at::Tensor CounterDropout(const at::Tensor& x, double p, bool training);

// Whether element `index` is kept under `key` with keep probability
// threshold / 2^32 (exposed for the tests).
bool CounterDropoutKeeps(uint64_t key, int64_t index, uint32_t threshold);

}  // namespace distsage

#endif  // DISTSAGE_TRAINER_COUNTER_DROPOUT_H_
