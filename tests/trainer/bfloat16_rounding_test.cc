// common/bfloat16.h rounds exactly as LibTorch's float -> bfloat16
// conversion (which the model's bf16 mode uses), so that rows rounded on a
// graph server are the rows the model would have made itself.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "common/bfloat16.h"
#include "trainer/neighbor_mean.h"

namespace distsage {
namespace {

TEST(BFloat16RoundingTest, MatchesLibTorchBitForBit) {
  std::vector<float> values = {0.0f,
                               -0.0f,
                               1.0f,
                               -1.5f,
                               std::numeric_limits<float>::max(),
                               std::numeric_limits<float>::lowest(),
                               std::numeric_limits<float>::min(),
                               std::numeric_limits<float>::denorm_min(),
                               std::numeric_limits<float>::infinity(),
                               -std::numeric_limits<float>::infinity()};
  // Exact ties, both ways: 1 + 2^-8 (halfway to the next bf16, even below)
  // and the tie above an odd neighbour.
  for (const uint32_t bits : {0x3F808000u, 0x3F818000u, 0xBF808000u, 0x00008000u, 0x7F7F8000u}) {
    float value;
    std::memcpy(&value, &bits, sizeof(value));
    values.push_back(value);
  }
  std::mt19937 rng(7);
  std::uniform_int_distribution<uint32_t> any_bits;
  for (int i = 0; i < 200000; ++i) {
    const uint32_t bits = any_bits(rng);
    float value;
    std::memcpy(&value, &bits, sizeof(value));
    if (!std::isnan(value)) values.push_back(value);
  }
  const at::Tensor expected =
      at::from_blob(values.data(), {static_cast<int64_t>(values.size())}, at::kFloat)
          .to(at::kBFloat16);
  std::vector<uint16_t> rounded(values.size());
  RoundToBFloat16(values, rounded.data());
  const auto* torch_bits = reinterpret_cast<const uint16_t*>(expected.data_ptr<at::BFloat16>());
  for (size_t i = 0; i < values.size(); ++i) {
    ASSERT_EQ(rounded[i], torch_bits[i]) << "value " << values[i] << " (#" << i << ")";
  }
  // Back to float32 is exact: rounding again changes nothing.
  std::vector<float> widened(values.size());
  BFloat16ToFloat(rounded, widened.data());
  for (size_t i = 0; i < values.size(); ++i) {
    ASSERT_EQ(RoundToBFloat16(widened[i]), rounded[i]);
  }
  // NaN stays NaN.
  EXPECT_TRUE(std::isnan(BFloat16ToFloat(RoundToBFloat16(std::nanf("")))));
}

// Every NaN, whatever its sign and payload, becomes the one quiet NaN
// 0x7FC0, as c10::BFloat16's conversion makes it, and the same in the
// trainer's vectorised rounding: partition_graph, the wire and the loader
// round alike. (LibTorch's vectorised tensor conversion, what a model
// casting float32 rows itself uses, makes 0xFFFF: a NaN either way.)
TEST(BFloat16RoundingTest, EveryNaNBecomesTheQuietNaNOfC10) {
  const std::vector<uint32_t> nan_bits = {0x7FC00000u, 0x7F800001u, 0x7FBFFFFFu,
                                          0xFFC12345u, 0xFFFFFFFFu, 0x7FFF8000u};
  std::vector<float> nans(nan_bits.size());
  std::memcpy(nans.data(), nan_bits.data(), nan_bits.size() * sizeof(float));
  std::vector<c10::BFloat16> vectorised(nans.size());
  RoundToBFloat16(nans.data(), static_cast<int64_t>(nans.size()), vectorised.data());
  for (size_t i = 0; i < nans.size(); ++i) {
    ASSERT_TRUE(std::isnan(nans[i]));
    EXPECT_EQ(RoundToBFloat16(nans[i]), 0x7FC0u) << std::hex << nan_bits[i];
    EXPECT_EQ(c10::BFloat16(nans[i]).x, 0x7FC0u) << std::hex << nan_bits[i];
    EXPECT_EQ(vectorised[i].x, 0x7FC0u) << std::hex << nan_bits[i];
  }
}

}  // namespace
}  // namespace distsage
