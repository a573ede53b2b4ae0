// TrainerGroup over real TCP on loopback: the ranks are threads of this test
// process, each with its own store connection and Gloo sockets.
#include "trainer/trainer_group.h"

#include <ATen/ATen.h>
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <functional>
#include <future>
#include <thread>
#include <vector>

#include "tests/common/test_util.h"

namespace distsage {
namespace {

using testing::FreePort;

TrainerGroupOptions Options(int rank, int world_size, int port) {
  TrainerGroupOptions options;
  options.rank = rank;
  options.world_size = world_size;
  options.master_addr = "127.0.0.1";
  options.master_port = port;
  options.timeout = absl::Seconds(30);
  return options;
}

// Runs body(group) on `world_size` joined ranks, one thread each, meeting
// at `master_addr`: rank 0 takes any free port (no bind-then-close race) and
// hands it to the others.
void RunRanks(int world_size, const std::function<void(TrainerGroup&)>& body,
              const std::string& master_addr = "127.0.0.1") {
  std::promise<int> port_promise;
  const std::shared_future<int> port = port_promise.get_future().share();
  std::vector<std::thread> threads;
  for (int rank = 0; rank < world_size; ++rank) {
    threads.emplace_back([&, rank] {
      TrainerGroupOptions options = Options(rank, world_size, rank == 0 ? 0 : -1);
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

TEST(TrainerGroupTest, AveragesGradientsIdenticallyOnEveryRank) {
  std::vector<at::Tensor> results(3);
  RunRanks(3, [&](TrainerGroup& group) {
    // Two parameters; the second has no gradient on rank 2 (counts as zeros).
    at::Tensor weight = at::zeros({2, 3}).requires_grad_();
    at::Tensor bias = at::zeros({3}).requires_grad_();
    weight.mutable_grad() = at::full({2, 3}, group.rank() + 1.0);
    if (group.rank() != 2) bias.mutable_grad() = at::arange(3, at::kFloat) * group.rank();
    ASSERT_TRUE(group.AverageGradients({weight, bias}).ok());
    results[group.rank()] = at::cat({weight.grad().reshape({-1}), bias.grad()});
  });
  // weight: mean of 1, 2, 3; bias: mean of 0*[0,1,2], 1*[0,1,2] and zeros.
  const at::Tensor expected = at::cat({at::full({6}, 2.0), at::arange(3, at::kFloat) / 3.0});
  for (const at::Tensor& result : results) {
    EXPECT_TRUE(at::allclose(result, expected)) << result;
    EXPECT_TRUE(at::equal(result, results[0]));  // Bit-identical across ranks.
  }
}

TEST(TrainerGroupTest, BroadcastSumAndGather) {
  RunRanks(2, [](TrainerGroup& group) {
    at::Tensor parameter = at::full({4}, static_cast<float>(group.rank() + 7));
    ASSERT_TRUE(group.BroadcastFromRankZero({parameter}).ok());
    EXPECT_TRUE(at::equal(parameter, at::full({4}, 7.0f)));

    std::vector<double> counts = {1.0, 10.0 * group.rank()};
    ASSERT_TRUE(group.SumInPlace(&counts).ok());
    EXPECT_EQ(counts, (std::vector<double>{2.0, 10.0}));

    const int64_t mine[] = {group.rank(), 100 + group.rank()};
    absl::StatusOr<std::vector<std::vector<int64_t>>> all = group.AllGather(mine);
    ASSERT_TRUE(all.ok()) << all.status();
    EXPECT_EQ(*all, (std::vector<std::vector<int64_t>>{{0, 100}, {1, 101}}));

    absl::StatusOr<int> differing = group.FirstRankDifferingFromRankZero(42);
    ASSERT_TRUE(differing.ok()) << differing.status();
    EXPECT_EQ(*differing, -1);
    differing = group.FirstRankDifferingFromRankZero(group.rank() == 1 ? 7 : 42);
    ASSERT_TRUE(differing.ok()) << differing.status();
    EXPECT_EQ(*differing, 1);
  });
}

// This machine's first IPv4 address that is not loopback ("" if none).
std::string NonLoopbackAddress() {
  ifaddrs* interfaces = nullptr;
  if (getifaddrs(&interfaces) != 0) return "";
  std::string found;
  for (ifaddrs* entry = interfaces; entry != nullptr && found.empty(); entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr || entry->ifa_addr->sa_family != AF_INET) continue;
    char text[INET_ADDRSTRLEN];
    const auto* address = reinterpret_cast<const sockaddr_in*>(entry->ifa_addr);
    inet_ntop(AF_INET, &address->sin_addr, text, sizeof(text));
    if (std::string(text).rfind("127.", 0) != 0) found = text;
  }
  freeifaddrs(interfaces);
  return found;
}

// As across machines: the master is named by a routable address, and each
// rank binds Gloo to its own address on the route there.
TEST(TrainerGroupTest, JoinsThroughAMachineAddress) {
  const std::string host = NonLoopbackAddress();
  if (host.empty()) GTEST_SKIP() << "no non-loopback IPv4 address on this machine";
  std::vector<double> sums(2);
  RunRanks(
      2,
      [&](TrainerGroup& group) {
        std::vector<double> values = {group.rank() + 1.0};
        ASSERT_TRUE(group.SumInPlace(&values).ok());
        sums[group.rank()] = values[0];
      },
      host);
  EXPECT_EQ(sums, (std::vector<double>{3.0, 3.0}));
}

TEST(TrainerGroupTest, MissingRankFailsJoinAfterTimeout) {
  TrainerGroupOptions options = Options(0, 2, 0);
  options.timeout = absl::Seconds(2);
  int bound = 0;
  options.on_master_ready = [&](int port) { bound = port; };
  absl::StatusOr<std::unique_ptr<TrainerGroup>> group = TrainerGroup::Join(options);
  ASSERT_FALSE(group.ok());
  EXPECT_NE(group.status().message().find("did not all join"), std::string::npos) << group.status();
  // The error names the port the store took, not 0.
  ASSERT_GT(bound, 0);
  EXPECT_NE(group.status().message().find("127.0.0.1:" + std::to_string(bound)), std::string::npos)
      << group.status();
}

TEST(TrainerGroupTest, UnreachableMasterIsNamed) {
  TrainerGroupOptions options = Options(1, 2, FreePort());
  options.timeout = absl::Seconds(2);
  absl::StatusOr<std::unique_ptr<TrainerGroup>> group = TrainerGroup::Join(options);
  ASSERT_FALSE(group.ok());
  EXPECT_NE(group.status().message().find("127.0.0.1:" + std::to_string(options.master_port)),
            std::string::npos)
      << group.status();
}

TEST(TrainerGroupTest, PeerThatLeavesFailsTheCollective) {
  RunRanks(2, [](TrainerGroup& group) {
    if (group.rank() == 1) return;  // Leaves: its group (and sockets) go away.
    at::Tensor parameter = at::zeros({8}).requires_grad_();
    parameter.mutable_grad() = at::ones({8});
    const absl::Status status = group.AverageGradients({parameter});
    EXPECT_FALSE(status.ok());
    EXPECT_NE(status.message().find("gradient all-reduce failed"), std::string::npos) << status;
  });
}

TEST(TrainerGroupTest, RejectsBadRank) {
  EXPECT_FALSE(TrainerGroup::Join(Options(2, 2, 29500)).ok());
  EXPECT_FALSE(TrainerGroup::Join(Options(0, 2, 70000)).ok());
  // Only rank 0 may ask for any free port: the others must be told it.
  EXPECT_FALSE(TrainerGroup::Join(Options(1, 2, 0)).ok());
}

}  // namespace
}  // namespace distsage
