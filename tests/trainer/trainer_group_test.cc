// TrainerGroup over real TCP on loopback: the ranks are threads of this test
// process, each with its own store connection and Gloo sockets.
#include "trainer/trainer_group.h"

#include <ATen/ATen.h>
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <vector>

#include "tests/common/test_util.h"
#include "tests/trainer/group_ranks.h"

namespace distsage {
namespace {

using testing::FreePort;
using testing::GroupOptions;
using testing::RunRanks;

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

// What rank `from` sends rank `to`: (from + to) % 3 rows (none from rank 0
// to itself, nor between ranks 1 and 2), each [from, to, row].
at::Tensor RowsFor(int from, int to) {
  const int64_t rows = (from + to) % 3;
  at::Tensor sent = at::empty({rows, 3});
  for (int64_t i = 0; i < rows; ++i) {
    sent[i] = at::tensor({static_cast<float>(from), static_cast<float>(to), static_cast<float>(i)});
  }
  return sent;
}

TEST(TrainerGroupTest, AllToAllDeliversEachRanksRowsIncludingNone) {
  RunRanks(3, [](TrainerGroup& group) {
    std::vector<at::Tensor> to_rank;
    std::vector<at::Tensor> ids_to_rank;
    for (int to = 0; to < 3; ++to) {
      to_rank.push_back(RowsFor(group.rank(), to));
      ids_to_rank.push_back(at::arange(to, at::kLong) + 10 * group.rank());
    }
    absl::StatusOr<std::vector<at::Tensor>> from_rank = group.AllToAll(to_rank);
    ASSERT_TRUE(from_rank.ok()) << from_rank.status();
    ASSERT_EQ(from_rank->size(), 3u);
    for (int from = 0; from < 3; ++from) {
      EXPECT_TRUE(at::equal((*from_rank)[from], RowsFor(from, group.rank())))
          << "rank " << group.rank() << " from " << from << ": " << (*from_rank)[from];
    }
    // Any dtype and row shape: int64 IDs, rank d receives d from every rank.
    absl::StatusOr<std::vector<at::Tensor>> ids = group.AllToAll(ids_to_rank);
    ASSERT_TRUE(ids.ok()) << ids.status();
    for (int from = 0; from < 3; ++from) {
      EXPECT_TRUE(at::equal((*ids)[from], at::arange(group.rank(), at::kLong) + 10 * from));
    }
  });
}

TEST(TrainerGroupTest, AllToAllRefusesMismatchedTensorsBeforeSendingAnything) {
  RunRanks(2, [](TrainerGroup& group) {
    absl::Status status = group.AllToAll({at::zeros({1, 2})}).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_NE(status.message().find("1 tensors for a world of 2 ranks"), std::string::npos)
        << status;
    status = group.AllToAll({at::zeros({1, 2}), at::zeros({1, 3})}).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_NE(status.message().find("Float [1, 3] and Float [1, 2]"), std::string::npos) << status;
    // The group still works: nothing was sent.
    std::vector<double> values = {1.0};
    ASSERT_TRUE(group.SumInPlace(&values).ok());
    EXPECT_EQ(values[0], 2.0);
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
  TrainerGroupOptions options = GroupOptions(0, 2, 0);
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
  TrainerGroupOptions options = GroupOptions(1, 2, FreePort());
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
  EXPECT_FALSE(TrainerGroup::Join(GroupOptions(2, 2, 29500)).ok());
  EXPECT_FALSE(TrainerGroup::Join(GroupOptions(0, 2, 70000)).ok());
  // Only rank 0 may ask for any free port: the others must be told it.
  EXPECT_FALSE(TrainerGroup::Join(GroupOptions(1, 2, 0)).ok());
}

}  // namespace
}  // namespace distsage
