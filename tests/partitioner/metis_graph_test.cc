#include "partitioner/metis_graph.h"

#include "gtest/gtest.h"
#include "partitioner/node_assignment.h"
#include "partitioner/relabeling.h"

namespace distsage {
namespace {

GraphDataset FromRows(int64_t num_nodes, std::vector<int64_t> rows, bool add_inverse) {
  GraphDataset dataset;
  BuildInEdges(num_nodes, add_inverse, &rows, &dataset);
  dataset.split_mask.assign(num_nodes, 0);
  return dataset;
}

std::vector<idx_t> Neighbours(const MetisGraph& graph, int v) {
  return std::vector<idx_t>(graph.adjncy.begin() + graph.xadj[v],
                            graph.adjncy.begin() + graph.xadj[v + 1]);
}

TEST(MetisGraphTest, SymmetricWithoutSelfLoopsOrDuplicates) {
  // Directed rows: 0->1 twice, 1->0 (reverse of the same pair), 2->2, 3->1.
  GraphDataset dataset = FromRows(4, {0, 1, 0, 1, 1, 0, 2, 2, 3, 1}, /*add_inverse=*/false);
  auto graph = BuildMetisGraph(dataset, 2);
  ASSERT_TRUE(graph.ok()) << graph.status();
  EXPECT_EQ(graph->num_nodes(), 4);
  EXPECT_EQ(Neighbours(*graph, 0), (std::vector<idx_t>{1}));
  EXPECT_EQ(Neighbours(*graph, 1), (std::vector<idx_t>{0, 3}));
  EXPECT_TRUE(Neighbours(*graph, 2).empty());
  EXPECT_EQ(Neighbours(*graph, 3), (std::vector<idx_t>{1}));
}

TEST(BuildInEdgesTest, InverseEdgesInterleaveRowByRow) {
  GraphDataset dataset = FromRows(3, {0, 1, 2, 1}, /*add_inverse=*/true);
  EXPECT_EQ(dataset.in_ptr, (std::vector<int64_t>{0, 1, 3, 4}));
  EXPECT_EQ(dataset.in_src, (std::vector<int64_t>{1, 0, 2, 1}));
}

TEST(RelabelingTest, ContiguousRangesKeepOriginalOrderInsidePart) {
  const Relabeling relabeling = RelabelByPart({1, 0, 1, 2, 0}, 3);
  EXPECT_EQ(relabeling.range_ends, (std::vector<int64_t>{2, 4, 5}));
  EXPECT_EQ(relabeling.orig_id, (std::vector<int64_t>{1, 4, 0, 2, 3}));
  EXPECT_EQ(relabeling.new_id, (std::vector<int64_t>{2, 0, 3, 4, 1}));
}

TEST(NodeAssignmentTest, RandomSplitIsBalancedAndSeeded) {
  GraphDataset dataset = FromRows(1001, {}, true);
  AssignmentOptions options;
  options.num_parts = 4;
  options.method = PartMethod::kRandom;
  options.seed = 7;
  auto first = AssignNodesToParts(dataset, options);
  auto second = AssignNodesToParts(dataset, options);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(*first, *second);
  std::vector<int> counts(4, 0);
  for (int32_t p : *first) ++counts[p];
  for (int count : counts) EXPECT_TRUE(count == 250 || count == 251) << count;
  options.seed = 8;
  EXPECT_NE(*AssignNodesToParts(dataset, options), *first);
}

TEST(NodeAssignmentTest, RejectsPartCountsOutsideOneToNodeCount) {
  GraphDataset dataset = FromRows(3, {0, 1}, true);
  AssignmentOptions options;
  for (int bad : {0, 4}) {
    options.num_parts = bad;
    auto part = AssignNodesToParts(dataset, options);
    ASSERT_FALSE(part.ok());
    EXPECT_NE(part.status().message().find("use 1..3"), std::string::npos) << part.status();
  }
}

}  // namespace
}  // namespace distsage
