#include "trainer/counter_dropout.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <ATen/ops/empty.h>
#include <torch/autograd.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "common/bfloat16.h"
#include "trainer/neighbor_mean.h"

namespace distsage {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// 32-bit arithmetic, so that the loop can vectorise (no 64-bit multiply
// in AVX2): the index, offset by the key, through MurmurHash3's finaliser,
// whose every output bit depends on every input bit. `high` is the key's
// upper word xor the index's, fixed over 2^32 consecutive indices.
inline uint32_t MaskHash(uint32_t low_index, uint32_t low_key, uint32_t high) {
  uint32_t h = low_index * 0x9E3779B9u + low_key;
  h ^= high;
  h ^= h >> 16;
  h *= 0x85EBCA6Bu;
  h ^= h >> 13;
  h *= 0xC2B2AE35u;
  h ^= h >> 16;
  return h;
}

inline uint32_t MaskHash(uint64_t key, int64_t index) {
  return MaskHash(
      static_cast<uint32_t>(index), static_cast<uint32_t>(key),
      static_cast<uint32_t>(key >> 32) ^ static_cast<uint32_t>(static_cast<uint64_t>(index) >> 32));
}

// Keep-probability threshold on the 32-bit hash.
uint32_t KeepThreshold(double p) {
  return static_cast<uint32_t>(std::min(4294967295.0, (1.0 - p) * 4294967296.0));
}

// The release build targets any x86-64, whose SSE2 has no 32-bit vector
// multiply, so GCC also builds the mask loops for AVX2 and AVX-512 and the
// dynamic loader picks one for the CPU (an ifunc; the same bits either
// way): at products scale the hidden-256 model step took 0.70x with
// AVX-512 (bench/results/dropout_simd.md).
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define DISTSAGE_MASK_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define DISTSAGE_MASK_CLONES
#endif

// Calls run(i, count, first, low_key, high) over [begin, end) cut where the
// index's upper word changes: within such a run of indices i + j (j <
// count) the hash is MaskHash(first + j, low_key, high), on 32-bit lanes.
template <typename Run>
inline void ForEachIndexRun(int64_t begin, int64_t end, uint64_t key, Run run) {
  for (int64_t i = begin; i < end;) {
    const int64_t stop = std::min<int64_t>(end, (i | int64_t{0xFFFFFFFF}) + 1);
    run(i, stop - i, static_cast<uint32_t>(i), static_cast<uint32_t>(key),
        static_cast<uint32_t>(key >> 32) ^ static_cast<uint32_t>(static_cast<uint64_t>(i) >> 32));
    i = stop;
  }
}

// dst[i] = apply(src[i], kept(i) ? scale : 0) over [begin, end), where
// element i is kept when MaskHash(key, i) < threshold.
template <typename T, typename Apply>
inline void MaskRuns(const T* src, T* dst, int64_t begin, int64_t end, uint64_t key,
                     uint32_t threshold, float scale, Apply apply) {
  ForEachIndexRun(begin, end, key,
                  [&](int64_t i, int64_t count, uint32_t first, uint32_t low_key, uint32_t high) {
                    for (int64_t j = 0; j < count; ++j) {
                      const bool kept =
                          MaskHash(first + static_cast<uint32_t>(j), low_key, high) < threshold;
                      dst[i + j] = apply(src[i + j], kept ? scale : 0.0f);
                    }
                  });
}

// The mask in float32; and on bfloat16 bits, widened, multiplied in
// float32 and rounded to nearest even as LibTorch rounds.
DISTSAGE_MASK_CLONES
void MaskFloats(const float* src, float* dst, int64_t begin, int64_t end, uint64_t key,
                uint32_t threshold, float scale) {
  MaskRuns(src, dst, begin, end, key, threshold, scale,
           [](float value, float factor) { return value * factor; });
}

DISTSAGE_MASK_CLONES
void MaskBFloat16(const uint16_t* src, uint16_t* dst, int64_t begin, int64_t end, uint64_t key,
                  uint32_t threshold, float scale) {
  MaskRuns(src, dst, begin, end, key, threshold, scale, [](uint16_t value, float factor) {
    const float product = BFloat16ToFloat(value) * factor;
    uint32_t bits;
    std::memcpy(&bits, &product, sizeof(bits));
    return RoundFloatBitsToBFloat16(bits);
  });
}

// out[i] = kept(i) ? in[i] * scale : 0, in parallel chunks.
at::Tensor ApplyMask(const at::Tensor& in, uint64_t key, double p) {
  const at::Tensor x = in.contiguous();
  at::Tensor out = at::empty(x.sizes(), x.options());
  const uint32_t threshold = KeepThreshold(p);
  const float scale = static_cast<float>(1.0 / (1.0 - p));
  const int64_t n = x.numel();
  constexpr int64_t kGrain = int64_t{1} << 15;
  if (x.scalar_type() == at::kFloat) {
    const float* src = x.data_ptr<float>();
    float* dst = out.data_ptr<float>();
    at::parallel_for(0, n, kGrain, [&](int64_t begin, int64_t end) {
      MaskFloats(src, dst, begin, end, key, threshold, scale);
    });
  } else if (x.scalar_type() == at::kBFloat16) {
    const uint16_t* src = reinterpret_cast<const uint16_t*>(x.data_ptr<c10::BFloat16>());
    uint16_t* dst = reinterpret_cast<uint16_t*>(out.data_ptr<c10::BFloat16>());
    at::parallel_for(0, n, kGrain, [&](int64_t begin, int64_t end) {
      MaskBFloat16(src, dst, begin, end, key, threshold, scale);
    });
  } else {
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "CounterDropout", [&] {
      const scalar_t* src = x.data_ptr<scalar_t>();
      scalar_t* dst = out.data_ptr<scalar_t>();
      at::parallel_for(0, n, kGrain, [&](int64_t begin, int64_t end) {
        MaskRuns(src, dst, begin, end, key, threshold, scale, [](scalar_t value, float factor) {
          return static_cast<scalar_t>(static_cast<float>(value) * factor);
        });
      });
    });
  }
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
