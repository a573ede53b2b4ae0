#include "common/parallel_for.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>
#include <vector>

namespace distsage {
namespace {

TEST(ParallelForTest, VisitsEveryIndexExactlyOnce) {
  for (int64_t num_items : {0, 1, 2, 7, 1000}) {
    for (int num_threads : {-1, 0, 1, 2, 3, 8, 64}) {
      std::vector<std::atomic<int>> visits(num_items);
      ParallelFor(num_items, num_threads, [&](int64_t i) { visits[i]++; });
      for (int64_t i = 0; i < num_items; ++i) {
        ASSERT_EQ(visits[i].load(), 1)
            << "item " << i << " of " << num_items << ", " << num_threads << " threads";
      }
    }
  }
}

TEST(ParallelForTest, UsesAtMostNumThreadsAndNoMoreThanItems) {
  for (const auto& [num_items, num_threads, max_threads] :
       std::vector<std::tuple<int64_t, int, size_t>>{{100, 3, 3}, {2, 8, 2}, {1, 8, 1}}) {
    std::mutex mu;
    std::set<std::thread::id> ids;
    ParallelFor(num_items, num_threads, [&](int64_t) {
      std::lock_guard<std::mutex> lock(mu);
      ids.insert(std::this_thread::get_id());
    });
    EXPECT_LE(ids.size(), max_threads) << num_items << " items, " << num_threads << " threads";
  }
}

TEST(ParallelForTest, OneItemRunsOnTheCallingThread) {
  std::thread::id ran_on;
  ParallelFor(1, 4, [&](int64_t) { ran_on = std::this_thread::get_id(); });
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TEST(ParallelForTest, RunsItemsConcurrently) {
  // Each item waits for all the others to start: only possible when all
  // four run at once. The deadline keeps a serial implementation from hanging.
  constexpr int kItems = 4;
  std::atomic<int> started{0};
  std::atomic<int> met{0};
  ParallelFor(kItems, kItems, [&](int64_t) {
    ++started;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (started.load() < kItems && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    if (started.load() == kItems) ++met;
  });
  EXPECT_EQ(met.load(), kItems);
}

}  // namespace
}  // namespace distsage
