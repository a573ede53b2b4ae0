// bfloat16 rows: float32 rounded to its upper 16 bits (round to nearest,
// ties to even: bit for bit LibTorch's at::kBFloat16 conversion; a NaN
// becomes the quiet NaN 0x7FC0, as c10::BFloat16's does, where LibTorch's
// vectorised tensor conversion makes 0xFFFF), and back (exact). Feature
// rows are stored this way when partitioned with --feature_dtype bfloat16,
// and a graph server sends rows this way when asked
// (PullFeaturesRequest.row_type): half the bytes; a model that computes in
// bf16 rounds its inputs the same way anyway.
#ifndef DISTSAGE_COMMON_BFLOAT16_H_
#define DISTSAGE_COMMON_BFLOAT16_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "absl/types/span.h"

namespace distsage {

// The bfloat16 bits of the float whose bits are `bits`. Written without
// branches, so that loops over it vectorise. The one rounding of the whole
// project: rows rounded by partition_graph, on the wire or in the loader
// are the same bits.
inline uint16_t RoundFloatBitsToBFloat16(uint32_t bits) {
  const uint32_t rounded = (bits + (((bits >> 16) & 1u) + 0x7FFFu)) >> 16;
  const bool nan = (bits & 0x7FFFFFFFu) > 0x7F800000u;
  return static_cast<uint16_t>(nan ? 0x7FC0u : rounded);
}

inline uint16_t RoundToBFloat16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return RoundFloatBitsToBFloat16(bits);
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

// One stored feature row of `count` elements at `stored` (float32, or
// bfloat16 when `stored_bfloat16`; any alignment, as RocksDB values have)
// into `out` as float (bfloat16 widened) or as bfloat16 (float32 rounded).
inline void ReadStoredRow(const char* stored, bool stored_bfloat16, size_t count, float* out) {
  if (!stored_bfloat16) {
    std::memcpy(out, stored, count * sizeof(float));
    return;
  }
  for (size_t i = 0; i < count; ++i) {
    uint16_t value;
    std::memcpy(&value, stored + i * sizeof(uint16_t), sizeof(value));
    out[i] = BFloat16ToFloat(value);
  }
}
inline void ReadStoredRow(const char* stored, bool stored_bfloat16, size_t count, uint16_t* out) {
  if (stored_bfloat16) {
    std::memcpy(out, stored, count * sizeof(uint16_t));
    return;
  }
  for (size_t i = 0; i < count; ++i) {
    float value;
    std::memcpy(&value, stored + i * sizeof(float), sizeof(value));
    out[i] = RoundToBFloat16(value);
  }
}

}  // namespace distsage

#endif  // DISTSAGE_COMMON_BFLOAT16_H_
