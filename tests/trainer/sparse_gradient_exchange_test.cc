// The ranks' embedding gradients combined into one row per node: which rank
// sums each row, the fixed order of the sums, and the exchange itself over
// real Gloo ranks (threads of this process on loopback).
#include "trainer/sparse_gradient_exchange.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <vector>

#include "tests/trainer/group_ranks.h"
#include "trainer/node_split.h"

namespace distsage {
namespace {

using testing::RunRanks;

TEST(GradientRankOfTest, RowsGoToTheRanksOfTheirHomePartition) {
  // One rank per partition: the partition's rank, whatever the node.
  EXPECT_EQ(GradientRankOf(3, 0, 2, 2), 0);
  EXPECT_EQ(GradientRankOf(3, 1, 2, 2), 1);
  // Two ranks per partition (homes 0, 0, 1, 1): split by node ID.
  EXPECT_EQ(GradientRankOf(4, 0, 2, 4), 0);
  EXPECT_EQ(GradientRankOf(5, 0, 2, 4), 1);
  EXPECT_EQ(GradientRankOf(8, 1, 2, 4), 2);
  EXPECT_EQ(GradientRankOf(9, 1, 2, 4), 3);
  // Uneven (homes 0, 0, 1).
  EXPECT_EQ(GradientRankOf(7, 0, 2, 3), 1);
  EXPECT_EQ(GradientRankOf(7, 1, 2, 3), 2);
  // Fewer ranks than partitions (homes 0 and 2): 1 goes with 0, 3 with 2.
  EXPECT_EQ(GradientRankOf(1, 1, 4, 2), 0);
  EXPECT_EQ(GradientRankOf(1, 3, 4, 2), 1);
}

TEST(GradientRankOfTest, EveryRankTakesRowsOfItsHomeAndNoneOutsideTheWorld) {
  for (int world_size = 1; world_size <= 6; ++world_size) {
    for (int num_parts = 1; num_parts <= 6; ++num_parts) {
      std::vector<bool> used(world_size, false);
      for (int part = 0; part < num_parts; ++part) {
        for (int64_t node = 0; node < 12; ++node) {
          const int rank = GradientRankOf(node, part, num_parts, world_size);
          ASSERT_GE(rank, 0);
          ASSERT_LT(rank, world_size);
          if (world_size >= num_parts) {
            EXPECT_EQ(DefaultHomePartition(rank, world_size, num_parts), part)
                << world_size << " ranks, " << num_parts << " parts";
          }
          used[rank] = true;
        }
      }
      for (int rank = 0; rank < world_size; ++rank) {
        EXPECT_TRUE(used[rank]) << "rank " << rank << " of " << world_size << ", " << num_parts
                                << " parts";
      }
    }
  }
}

at::Tensor Ids(std::vector<int64_t> ids) { return at::tensor(ids, at::kLong); }

TEST(SumRowsInRankOrderTest, RepeatedRowsAreSummedInRankOrder) {
  // Node 7 on every rank: 1e8 + 1 rounds to 1e8 in float, so the rank
  // order gives exactly 0 where (1e8 - 1e8) + 1 would give 1. Node 3
  // appears twice on rank 2 and once on rank 0.
  const SummedRows summed = SumRowsInRankOrder(
      {Ids({7, 3}), Ids({7}), Ids({3, 7, 3}), Ids({})},
      {at::tensor({1e8f, 0.0f, 0.5f, 1.0f}).view({2, 2}), at::tensor({1.0f, 2.0f}).view({1, 2}),
       at::tensor({0.25f, 0.0f, -1e8f, 4.0f, 0.25f, 0.0f}).view({3, 2}), at::empty({0, 2})},
      2);
  EXPECT_EQ(summed.ids, (std::vector<int64_t>{7, 3}));
  EXPECT_EQ(summed.grads, (std::vector<float>{0.0f, 6.0f, 1.0f, 1.0f}));
}

TEST(ExchangeEmbeddingGradientsTest, EachRankPushesItsPartitionsRowsOnceSummedInRankOrder) {
  // Three partitions of 4 nodes, one per rank. Every rank has node 9
  // (partition 2); ranks 0 and 1 have node 1 (partition 0); rank 1 alone
  // has node 5 (partition 1).
  const PartitionBook book({4, 8, 12});
  const std::vector<std::vector<int64_t>> ids = {{9, 1}, {1, 5, 9}, {9}};
  const std::vector<std::vector<float>> grads = {{1e8f, 1.0f}, {2.0f, 3.0f, 1.0f}, {-1e8f}};
  std::vector<SummedRows> pushed(3);
  RunRanks(3, [&](TrainerGroup& group) {
    const int rank = group.rank();
    const at::Tensor mine =
        at::tensor(grads[rank]).view({static_cast<int64_t>(ids[rank].size()), 1});
    absl::StatusOr<SummedRows> rows = ExchangeEmbeddingGradients(group, book, ids[rank], mine);
    ASSERT_TRUE(rows.ok()) << rows.status();
    pushed[rank] = *rows;
  });
  EXPECT_EQ(pushed[0].ids, (std::vector<int64_t>{1}));
  EXPECT_EQ(pushed[0].grads, (std::vector<float>{1.0f + 2.0f}));
  EXPECT_EQ(pushed[1].ids, (std::vector<int64_t>{5}));
  EXPECT_EQ(pushed[1].grads, (std::vector<float>{3.0f}));
  // (1e8 + 1) - 1e8 in float: rank order.
  EXPECT_EQ(pushed[2].ids, (std::vector<int64_t>{9}));
  EXPECT_EQ(pushed[2].grads, (std::vector<float>{0.0f}));
}

TEST(ExchangeEmbeddingGradientsTest, NodeOutsideTheGraphIsNamed) {
  RunRanks(2, [](TrainerGroup& group) {
    const std::vector<int64_t> ids = {0, 12};
    absl::StatusOr<SummedRows> rows =
        ExchangeEmbeddingGradients(group, PartitionBook({4, 8}), ids, at::zeros({2, 1}));
    EXPECT_EQ(rows.status().code(), absl::StatusCode::kInvalidArgument) << rows.status();
    EXPECT_NE(rows.status().message().find("node 12 (position 1)"), std::string::npos)
        << rows.status();
  });
}

}  // namespace
}  // namespace distsage
