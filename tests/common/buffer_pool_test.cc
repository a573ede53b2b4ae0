#include "common/buffer_pool.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace distsage {
namespace {

float* Floats(BufferPool& pool, size_t count) {
  return static_cast<float*>(pool.Acquire(count * sizeof(float)));
}

TEST(BufferPoolTest, ReleasedBufferIsReusedWhenLargeEnough) {
  BufferPool pool(2);
  float* first = Floats(pool, 1000);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(first) % 64, 0u);
  first[999] = 1.0f;  // The whole requested range is usable.
  pool.Release(first);
  EXPECT_EQ(Floats(pool, 1100), first) << "within the 25% headroom";
  float* second = Floats(pool, 500);
  EXPECT_NE(second, first);
  pool.Release(first);
  pool.Release(second);
}

TEST(BufferPoolTest, PicksTheSmallestIdleBufferThatFits) {
  BufferPool pool(4);
  float* small = Floats(pool, 100);
  float* large = Floats(pool, 10000);
  pool.Release(large);
  pool.Release(small);
  EXPECT_EQ(Floats(pool, 90), small);
  EXPECT_EQ(Floats(pool, 90), large);
  pool.Release(small);
  pool.Release(large);
}

TEST(BufferPoolTest, KeepsAtMostMaxIdleBuffers) {
  BufferPool pool(1);
  float* a = Floats(pool, 10);
  float* b = Floats(pool, 10);
  EXPECT_EQ(pool.idle_count(), 0u);
  pool.Release(a);
  EXPECT_EQ(pool.idle_count(), 1u);
  pool.Release(b);
  EXPECT_EQ(pool.idle_count(), 1u) << "b is freed: the pool already holds one idle buffer";
  EXPECT_EQ(Floats(pool, 10), a);
  EXPECT_EQ(pool.idle_count(), 0u);
  pool.Release(a);
}

TEST(BufferPoolTest, FullPoolDropsAnIdleBufferTooSmallForTheRequest) {
  BufferPool pool(1);
  pool.Release(Floats(pool, 10));
  ASSERT_EQ(pool.idle_count(), 1u);
  // The new, larger buffer is allocated; the small idle one makes room for
  // it, so that it can be kept when it comes back.
  float* large = Floats(pool, 100000);
  EXPECT_EQ(pool.idle_count(), 0u);
  pool.Release(large);
  EXPECT_EQ(pool.idle_count(), 1u);
  EXPECT_EQ(Floats(pool, 10), large);
  pool.Release(large);
}

}  // namespace
}  // namespace distsage
