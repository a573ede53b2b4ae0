// LocalIdMap against a plain reference (std::unordered_map), over many
// resets of varying sizes, as a loader thread uses it batch after batch.
#include "trainer/local_id_map.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <unordered_map>
#include <vector>

namespace distsage {
namespace {

TEST(LocalIdMapTest, NumbersIdsInFirstSeenOrder) {
  LocalIdMap map;
  map.Reset(5);
  const std::vector<int64_t> ids = {42, 7, 42, -3, 7, 0};
  const std::vector<int64_t> expected_local = {0, 1, 0, 2, 1, 3};
  const std::vector<bool> expected_inserted = {true, true, false, true, false, true};
  int64_t next = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    const auto [local, inserted] = map.FindOrInsert(ids[i], next);
    EXPECT_EQ(local, expected_local[i]) << "id " << ids[i];
    EXPECT_EQ(inserted, expected_inserted[i]) << "id " << ids[i];
    if (inserted) ++next;
  }
}

TEST(LocalIdMapTest, ResetForgetsThePreviousBatch) {
  LocalIdMap map;
  map.Reset(3);
  EXPECT_TRUE(map.FindOrInsert(9, 0).second);
  map.Reset(3);
  const auto [local, inserted] = map.FindOrInsert(9, 5);
  EXPECT_TRUE(inserted);
  EXPECT_EQ(local, 5);
}

TEST(LocalIdMapTest, MatchesAReferenceOverManyBatchesThatGrowAndShrink) {
  LocalIdMap map;
  std::mt19937_64 rng(7);
  for (int batch = 0; batch < 200; ++batch) {
    // Sizes up and down (the table grows, and is reused when smaller);
    // IDs drawn from a range small enough to repeat often, some of them
    // multiples of a large power of two (which a poor hash would collide).
    const int64_t size = 1 + static_cast<int64_t>(rng() % (batch % 7 == 0 ? 20000 : 300));
    const int64_t range = 1 + size / 2;
    map.Reset(size);
    std::unordered_map<int64_t, int64_t> reference;
    for (int64_t i = 0; i < size; ++i) {
      int64_t id = static_cast<int64_t>(rng() % range);
      if (i % 3 == 0) id <<= 32;
      if (i + 4 < size) map.Prefetch(id);
      const auto [local, inserted] = map.FindOrInsert(id, static_cast<int64_t>(reference.size()));
      const auto [it, reference_inserted] =
          reference.try_emplace(id, static_cast<int64_t>(reference.size()));
      ASSERT_EQ(inserted, reference_inserted) << "batch " << batch << ", id " << id;
      ASSERT_EQ(local, it->second) << "batch " << batch << ", id " << id;
    }
  }
}

}  // namespace
}  // namespace distsage
