#include "trainer/buffer_pool.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace distsage {
namespace {

TEST(BufferPoolTest, ReleasedBufferIsReusedWhenLargeEnough) {
  BufferPool pool(2);
  float* first = pool.Acquire(1000);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(first) % 64, 0u);
  first[999] = 1.0f;  // The whole requested range is usable.
  pool.Release(first);
  EXPECT_EQ(pool.Acquire(1100), first) << "within the 25% headroom";
  float* second = pool.Acquire(500);
  EXPECT_NE(second, first);
  pool.Release(first);
  pool.Release(second);
}

TEST(BufferPoolTest, PicksTheSmallestIdleBufferThatFits) {
  BufferPool pool(4);
  float* small = pool.Acquire(100);
  float* large = pool.Acquire(10000);
  pool.Release(large);
  pool.Release(small);
  EXPECT_EQ(pool.Acquire(90), small);
  EXPECT_EQ(pool.Acquire(90), large);
  pool.Release(small);
  pool.Release(large);
}

TEST(BufferPoolTest, KeepsAtMostMaxIdleBuffers) {
  BufferPool pool(1);
  float* a = pool.Acquire(10);
  float* b = pool.Acquire(10);
  pool.Release(a);
  pool.Release(b);  // Freed: the pool already holds one idle buffer.
  EXPECT_EQ(pool.Acquire(10), a);
  pool.Release(a);
}

}  // namespace
}  // namespace distsage
