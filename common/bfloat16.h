// bfloat16 rows on the wire: float32 rounded to its upper 16 bits (round to
// nearest, ties to even, as LibTorch's at::kBFloat16 conversion does; NaN
// stays a quiet NaN), and back (exact). A graph server sends feature rows
// this way when asked (PullFeaturesRequest.row_type), halving the bytes; a
// model that computes in bf16 rounds its inputs the same way anyway.
#ifndef DISTSAGE_COMMON_BFLOAT16_H_
#define DISTSAGE_COMMON_BFLOAT16_H_

#include <cstdint>
#include <cstring>

#include "absl/types/span.h"

namespace distsage {

inline uint16_t RoundToBFloat16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x0040u);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

inline float BFloat16ToFloat(uint16_t value) {
  const uint32_t bits = static_cast<uint32_t>(value) << 16;
  float result;
  std::memcpy(&result, &bits, sizeof(result));
  return result;
}

// Element-wise over spans of equal length.
inline void RoundToBFloat16(absl::Span<const float> in, uint16_t* out) {
  for (size_t i = 0; i < in.size(); ++i) out[i] = RoundToBFloat16(in[i]);
}
inline void BFloat16ToFloat(absl::Span<const uint16_t> in, float* out) {
  for (size_t i = 0; i < in.size(); ++i) out[i] = BFloat16ToFloat(in[i]);
}

}  // namespace distsage

#endif  // DISTSAGE_COMMON_BFLOAT16_H_
