#include "tests/trainer/group_ranks.h"

#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <thread>
#include <vector>

namespace distsage::testing {

TrainerGroupOptions GroupOptions(int rank, int world_size, int port) {
  TrainerGroupOptions options;
  options.rank = rank;
  options.world_size = world_size;
  options.master_addr = "127.0.0.1";
  options.master_port = port;
  options.timeout = absl::Seconds(30);
  return options;
}

void RunRanks(int world_size, const std::function<void(TrainerGroup&)>& body,
              const std::string& master_addr) {
  std::promise<int> port_promise;
  const std::shared_future<int> port = port_promise.get_future().share();
  std::vector<std::thread> threads;
  for (int rank = 0; rank < world_size; ++rank) {
    threads.emplace_back([&, rank] {
      TrainerGroupOptions options = GroupOptions(rank, world_size, rank == 0 ? 0 : -1);
      options.master_addr = master_addr;
      bool told = false;
      if (rank == 0) {
        options.on_master_ready = [&](int bound) {
          told = true;
          port_promise.set_value(bound);
        };
      } else {
        options.master_port = port.get();
        if (options.master_port <= 0) return;  // Rank 0 failed; its thread reports why.
      }
      absl::StatusOr<std::unique_ptr<TrainerGroup>> group = TrainerGroup::Join(options);
      if (rank == 0 && !told) port_promise.set_value(-1);
      ASSERT_TRUE(group.ok()) << group.status();
      body(**group);
    });
  }
  for (std::thread& thread : threads) thread.join();
}

}  // namespace distsage::testing
