#include "common/parallel_for.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace distsage {

void ParallelFor(int64_t num_items, int num_threads, const std::function<void(int64_t)>& body) {
  std::atomic<int64_t> next{0};
  auto worker = [&] {
    for (int64_t i = next++; i < num_items; i = next++) body(i);
  };
  const int64_t helpers = std::min<int64_t>(std::max(num_threads, 1), num_items) - 1;
  std::vector<std::thread> threads;
  for (int64_t t = 0; t < helpers; ++t) threads.emplace_back(worker);
  worker();
  for (std::thread& thread : threads) thread.join();
}

}  // namespace distsage
