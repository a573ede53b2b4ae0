#include "common/buffer_pool.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>

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

constexpr size_t kMiB = size_t{1} << 20;

// This process's resident set (VmRSS), in bytes.
size_t ResidentBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

TEST(BufferPoolTest, IdleBytesStayUnderTheBound) {
  BufferPool pool(8, 8 * kMiB);
  void* buffers[3];
  for (void*& buffer : buffers) buffer = pool.Acquire(3 * kMiB);  // 4 MiB mapped each.
  for (void* buffer : buffers) pool.Release(buffer);
  EXPECT_LE(pool.idle_bytes(), 8 * kMiB);
  EXPECT_EQ(pool.idle_count(), 2u);
}

// The probe's case: one 1 GB answer kept the server's RSS at 1.2 GB for good.
TEST(BufferPoolTest, AHugeBufferIsUnmappedOnReleaseNotKept) {
  BufferPool pool(8, 64 * kMiB);
  const size_t before = ResidentBytes();
  void* huge = pool.Acquire(300 * kMiB);
  std::memset(huge, 1, 300 * kMiB);
  const size_t during = ResidentBytes();
  ASSERT_GE(during, before + 250 * kMiB);
  pool.Release(huge);
  EXPECT_EQ(pool.idle_bytes(), 0u);
  EXPECT_LE(ResidentBytes(), during - 250 * kMiB) << "the pages went back to the kernel";
}

TEST(BufferPoolTest, DropsAnIdleBufferFarLargerThanTheRecentRequests) {
  BufferPool pool(8);  // No byte bound: only the recent requests limit what stays.
  pool.Release(pool.Acquire(40 * kMiB));
  EXPECT_GE(pool.idle_bytes(), 40 * kMiB) << "kept while such requests are recent";
  for (size_t i = 0; i < BufferPool::kRecentRequests + 2; ++i) {
    pool.Release(pool.Acquire(kMiB));
  }
  EXPECT_LE(pool.idle_bytes(), BufferPool::kMaxIdleOverRecent * 2 * kMiB);
  EXPECT_GE(pool.idle_count(), 1u) << "a buffer of the current size is still reused";
}

}  // namespace
}  // namespace distsage
