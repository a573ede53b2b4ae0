#include "trainer/counter_dropout.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <ATen/ops/empty.h>
#include <torch/autograd.h>

#include <algorithm>
#include <mutex>

namespace distsage {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// 32-bit arithmetic, so that the loop can vectorise on AVX2 (no 64-bit
// multiply there): the index, offset by the key, through MurmurHash3's
// finaliser, whose every output bit depends on every input bit.
inline uint32_t MaskHash(uint64_t key, int64_t index) {
  uint32_t h = static_cast<uint32_t>(index) * 0x9E3779B9u + static_cast<uint32_t>(key);
  h ^= static_cast<uint32_t>(key >> 32) ^ static_cast<uint32_t>(static_cast<uint64_t>(index) >> 32);
  h ^= h >> 16;
  h *= 0x85EBCA6Bu;
  h ^= h >> 13;
  h *= 0xC2B2AE35u;
  h ^= h >> 16;
  return h;
}

// Keep-probability threshold on the 32-bit hash.
uint32_t KeepThreshold(double p) {
  return static_cast<uint32_t>(std::min(4294967295.0, (1.0 - p) * 4294967296.0));
}

// out[i] = kept(i) ? in[i] * scale : 0, in parallel chunks.
at::Tensor ApplyMask(const at::Tensor& in, uint64_t key, double p) {
  const at::Tensor x = in.contiguous();
  at::Tensor out = at::empty(x.sizes(), x.options());
  const uint32_t threshold = KeepThreshold(p);
  const float scale = static_cast<float>(1.0 / (1.0 - p));
  const int64_t n = x.numel();
  AT_DISPATCH_FLOATING_TYPES_AND(at::kBFloat16, x.scalar_type(), "CounterDropout", [&] {
    const scalar_t* src = x.data_ptr<scalar_t>();
    scalar_t* dst = out.data_ptr<scalar_t>();
    at::parallel_for(0, n, int64_t{1} << 15, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const float kept = MaskHash(key, i) < threshold ? scale : 0.0f;
        dst[i] = static_cast<scalar_t>(static_cast<float>(src[i]) * kept);
      }
    });
  });
  return out;
}

class CounterDropoutFunction : public torch::autograd::Function<CounterDropoutFunction> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, double p) {
    at::CPUGeneratorImpl* generator =
        at::check_generator<at::CPUGeneratorImpl>(at::detail::getDefaultCPUGenerator());
    uint64_t key = 0;
    {
      std::lock_guard<std::mutex> lock(generator->mutex_);
      key = generator->random64();
    }
    ctx->saved_data["key"] = static_cast<int64_t>(key);
    ctx->saved_data["p"] = p;
    return ApplyMask(x, key, p);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const uint64_t key = static_cast<uint64_t>(ctx->saved_data["key"].toInt());
    const double p = ctx->saved_data["p"].toDouble();
    return {ApplyMask(grad_outputs[0], key, p), at::Tensor()};
  }
};

}  // namespace

bool CounterDropoutKeeps(uint64_t key, int64_t index, uint32_t threshold) {
  return MaskHash(key, index) < threshold;
}

at::Tensor CounterDropout(const at::Tensor& x, double p, bool training) {
  TORCH_CHECK(p >= 0.0 && p <= 1.0, "dropout probability ", p, " is outside [0, 1]");
  if (!training || p == 0.0) return x;
  if (p == 1.0) return x.mul(0);  // As LibTorch: every element dropped.
  return CounterDropoutFunction::apply(x, p);
}

}  // namespace distsage
