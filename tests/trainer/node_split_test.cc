#include "trainer/node_split.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

namespace distsage {
namespace {

// nodes_by_part[p] = `sizes[p]` consecutive IDs after those of p - 1.
std::vector<std::vector<int64_t>> Parts(const std::vector<int64_t>& sizes) {
  std::vector<std::vector<int64_t>> parts;
  int64_t next = 0;
  for (int64_t size : sizes) {
    parts.emplace_back(size);
    std::iota(parts.back().begin(), parts.back().end(), next);
    next += size;
  }
  return parts;
}

// Every rank's share; each the size NodeShareSize gives it (what a trainer
// reports before it fetches its evaluation nodes).
std::vector<std::vector<int64_t>> AllShares(const std::vector<std::vector<int64_t>>& parts,
                                            const std::vector<int>& homes) {
  int64_t num_nodes = 0;
  for (const auto& part : parts) num_nodes += static_cast<int64_t>(part.size());
  const int world_size = static_cast<int>(homes.size());
  std::vector<std::vector<int64_t>> shares;
  for (int rank = 0; rank < world_size; ++rank) {
    shares.push_back(NodeShare(parts, homes, rank));
    EXPECT_EQ(static_cast<int64_t>(shares.back().size()),
              NodeShareSize(num_nodes, world_size, rank));
  }
  return shares;
}

// The shares are disjoint, cover every node and differ in size by at most one.
void ExpectPartition(const std::vector<std::vector<int64_t>>& parts,
                     const std::vector<std::vector<int64_t>>& shares) {
  std::vector<int64_t> all;
  for (const auto& share : shares) all.insert(all.end(), share.begin(), share.end());
  std::vector<int64_t> expected;
  for (const auto& part : parts) expected.insert(expected.end(), part.begin(), part.end());
  std::sort(all.begin(), all.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(all, expected);
  const auto [smallest, largest] =
      std::minmax_element(shares.begin(), shares.end(),
                          [](const auto& a, const auto& b) { return a.size() < b.size(); });
  EXPECT_LE(largest->size() - smallest->size(), 1u);
}

TEST(NodeSplitTest, DefaultHomesSpreadRanksOverPartitions) {
  EXPECT_EQ(DefaultHomePartition(0, 2, 2), 0);
  EXPECT_EQ(DefaultHomePartition(1, 2, 2), 1);
  EXPECT_EQ(DefaultHomePartition(0, 2, 4), 0);
  EXPECT_EQ(DefaultHomePartition(1, 2, 4), 2);
  // Two trainers per machine, machine-major.
  EXPECT_EQ(DefaultHomePartition(1, 4, 2), 0);
  EXPECT_EQ(DefaultHomePartition(2, 4, 2), 1);
}

TEST(NodeSplitTest, OneRankPerPartitionKeepsItsOwnNodes) {
  const auto parts = Parts({50, 50});
  const auto shares = AllShares(parts, {0, 1});
  EXPECT_EQ(shares[0], parts[0]);
  EXPECT_EQ(shares[1], parts[1]);
}

TEST(NodeSplitTest, UnevenPartitionsGiveEqualSharesMostlyLocal) {
  // Partition 0 has more training nodes than its rank's quota of 50.
  const auto parts = Parts({60, 40});
  const auto shares = AllShares(parts, {0, 1});
  ExpectPartition(parts, shares);
  EXPECT_EQ(shares[0].size(), 50u);
  EXPECT_EQ(shares[1].size(), 50u);
  // Rank 1 keeps all of its own 40 and takes 10 of partition 0's surplus.
  for (int64_t node : parts[1]) EXPECT_EQ(std::count(shares[1].begin(), shares[1].end(), node), 1);
  EXPECT_TRUE(std::all_of(shares[0].begin(), shares[0].end(), [](int64_t node) {
    return node < 60;  // Rank 0 only ever needs its own partition.
  }));
}

TEST(NodeSplitTest, FewerRanksThanPartitionsCoversUnclaimedOnes) {
  const auto parts = Parts({25, 25, 25, 26});
  const auto shares =
      AllShares(parts, {DefaultHomePartition(0, 2, 4), DefaultHomePartition(1, 2, 4)});
  ExpectPartition(parts, shares);
  EXPECT_EQ(shares[0].size(), 51u);  // 101 nodes: the first rank takes the extra one.
  EXPECT_EQ(shares[1].size(), 50u);
  // Each rank's home partition is wholly its own.
  for (int64_t node : parts[0]) EXPECT_EQ(std::count(shares[0].begin(), shares[0].end(), node), 1);
  for (int64_t node : parts[2]) EXPECT_EQ(std::count(shares[1].begin(), shares[1].end(), node), 1);
}

TEST(NodeSplitTest, SeveralRanksShareAHome) {
  const auto parts = Parts({7, 3});
  const auto shares = AllShares(parts, {0, 0, 1, 1});
  ExpectPartition(parts, shares);
  EXPECT_EQ(shares[0], (std::vector<int64_t>{0, 1, 2}));  // 10 nodes: quotas 3, 3, 2, 2.
  EXPECT_EQ(shares[1], (std::vector<int64_t>{3, 4, 5}));
  EXPECT_EQ(shares[2], (std::vector<int64_t>{7, 8}));
  EXPECT_EQ(shares[3], (std::vector<int64_t>{9, 6}));  // Its home ran out: partition 0's rest.
}

TEST(NodeSplitTest, EmptySplitGivesEmptyShares) {
  const auto parts = Parts({0, 0});
  for (const auto& share : AllShares(parts, {0, 1})) EXPECT_TRUE(share.empty());
}

TEST(NodeSplitTest, PadShareRepeatsOwnNodes) {
  std::vector<int64_t> share = {5, 6};
  PadShare(5, &share);
  EXPECT_EQ(share, (std::vector<int64_t>{5, 6, 5, 6, 5}));
  PadShare(3, &share);  // Never shrinks.
  EXPECT_EQ(share.size(), 5u);
  std::vector<int64_t> empty;
  PadShare(4, &empty);
  EXPECT_TRUE(empty.empty());
}

}  // namespace
}  // namespace distsage
