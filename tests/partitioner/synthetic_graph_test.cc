#include "partitioner/synthetic_graph.h"

#include <algorithm>

#include "common/partition_format.h"
#include "gtest/gtest.h"

namespace distsage {
namespace {

namespace pf = partition_format;

SyntheticGraphOptions SmallOptions() {
  SyntheticGraphOptions options;
  options.num_nodes = 20000;
  options.avg_degree = 20;
  options.feat_dim = 32;
  options.num_classes = 10;
  options.community_size = 500;
  options.seed = 3;
  return options;
}

TEST(SyntheticGraphTest, HasRequestedShape) {
  SyntheticGraphOptions options = SmallOptions();
  options.num_train = 1234;
  options.num_valid = 100;
  auto graph = GenerateSyntheticGraph(options);
  ASSERT_TRUE(graph.ok()) << graph.status();
  EXPECT_EQ(graph->num_nodes, 20000);
  EXPECT_EQ(graph->num_edges(), 20000 * 20);
  EXPECT_EQ(graph->features.size(), 20000u * 32);
  EXPECT_EQ(graph->CountSplit(pf::kTrainBit), 1234);
  EXPECT_EQ(graph->CountSplit(pf::kValidBit), 100);
  EXPECT_EQ(graph->CountSplit(pf::kTestBit), 20000 - 1334);
  // Power law: a heavy tail well above the mean degree.
  int64_t max_degree = 0;
  for (int64_t v = 0; v < graph->num_nodes; ++v)
    max_degree = std::max(max_degree, graph->InDegree(v));
  EXPECT_GT(max_degree, 20 * 10);
}

TEST(SyntheticGraphTest, SameSeedSameGraphWhateverTheThreadCount) {
  SyntheticGraphOptions options = SmallOptions();
  options.num_threads = 1;
  auto first = GenerateSyntheticGraph(options);
  options.num_threads = 3;
  auto second = GenerateSyntheticGraph(options);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->in_ptr, second->in_ptr);
  EXPECT_EQ(first->in_src, second->in_src);
  EXPECT_EQ(first->features, second->features);
  EXPECT_EQ(first->labels, second->labels);
  EXPECT_EQ(first->split_mask, second->split_mask);
  options.seed = 4;
  auto other = GenerateSyntheticGraph(options);
  EXPECT_NE(first->in_src, other->in_src);
}

// Nearest class centroid (centroids from training nodes) on `rows`.
double NearestCentroidAccuracy(const GraphDataset& graph, const std::vector<float>& rows) {
  const int64_t dim = graph.feat_dim;
  std::vector<double> centroids(graph.num_classes * dim, 0.0);
  std::vector<int64_t> counts(graph.num_classes, 0);
  for (int64_t v = 0; v < graph.num_nodes; ++v) {
    if (!(graph.split_mask[v] & pf::kTrainBit)) continue;
    ++counts[graph.labels[v]];
    for (int64_t f = 0; f < dim; ++f) centroids[graph.labels[v] * dim + f] += rows[v * dim + f];
  }
  for (int64_t c = 0; c < graph.num_classes; ++c) {
    for (int64_t f = 0; f < dim; ++f) centroids[c * dim + f] /= std::max<int64_t>(1, counts[c]);
  }
  int64_t correct = 0, total = 0;
  for (int64_t v = 0; v < graph.num_nodes; ++v) {
    if (!(graph.split_mask[v] & pf::kTestBit)) continue;
    int64_t best = 0;
    double best_distance = 1e300;
    for (int64_t c = 0; c < graph.num_classes; ++c) {
      double distance = 0;
      for (int64_t f = 0; f < dim; ++f) {
        const double d = rows[v * dim + f] - centroids[c * dim + f];
        distance += d * d;
      }
      if (distance < best_distance) best_distance = distance, best = c;
    }
    correct += best == graph.labels[v];
    ++total;
  }
  return static_cast<double>(correct) / total;
}

// The labels are learnable from the graph but not from features alone: the
// property that makes GraphSAGE meaningful on this generator.
TEST(SyntheticGraphTest, NeighbourhoodMeanClassifiesFarBetterThanOwnFeatures) {
  SyntheticGraphOptions options = SmallOptions();
  options.train_fraction = 0.3;
  auto graph = GenerateSyntheticGraph(options);
  ASSERT_TRUE(graph.ok()) << graph.status();
  const int64_t dim = graph->feat_dim;
  std::vector<float> mean(graph->features.size(), 0.0f);
  for (int64_t v = 0; v < graph->num_nodes; ++v) {
    const int64_t degree = graph->InDegree(v);
    for (int64_t e = graph->in_ptr[v]; e < graph->in_ptr[v + 1]; ++e) {
      for (int64_t f = 0; f < dim; ++f) {
        mean[v * dim + f] += graph->features[graph->in_src[e] * dim + f] / degree;
      }
    }
  }
  const double own = NearestCentroidAccuracy(*graph, graph->features);
  const double neighbours = NearestCentroidAccuracy(*graph, mean);
  EXPECT_LT(own, 0.8);
  EXPECT_GT(neighbours, 0.85);
  EXPECT_GT(neighbours, own + 0.15);
}

TEST(SyntheticGraphTest, RejectsInconsistentOptions) {
  SyntheticGraphOptions options = SmallOptions();
  options.num_train = 15000;
  options.num_valid = 6000;
  EXPECT_FALSE(GenerateSyntheticGraph(options).ok());
  options = SmallOptions();
  options.num_classes = 0;
  EXPECT_FALSE(GenerateSyntheticGraph(options).ok());
}

}  // namespace
}  // namespace distsage
