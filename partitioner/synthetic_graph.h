// A deterministic synthetic node-classification graph for scale tests, built
// in memory (no CSV round trip) and learnable by GraphSAGE:
//  - nodes fall into communities of about `community_size` nodes; each
//    community has one class, so labels follow communities;
//  - endpoints are drawn with Chung-Lu weights from a Pareto(2.5) law, so
//    degrees are power-law (heavy tail capped near 1000x the minimum);
//    `intra_community` of the edges stay inside the community of their
//    first endpoint, the rest go anywhere;
//  - features are a class centroid times a weak signal plus N(0,1) noise per
//    dimension: nearest-centroid on a node's own features is poor, while the
//    mean over its neighbours (mostly same class) cancels the noise.
// The result depends only on the options (not on the thread count).
#ifndef DISTSAGE_PARTITIONER_SYNTHETIC_GRAPH_H_
#define DISTSAGE_PARTITIONER_SYNTHETIC_GRAPH_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "partitioner/graph_dataset.h"

namespace distsage {

struct SyntheticGraphOptions {
  int64_t num_nodes = 100000;
  // Undirected edges (rows); each becomes two directed edges. When 0, it is
  // num_nodes * avg_degree / 2.
  int64_t num_undirected_edges = 0;
  double avg_degree = 50.0;  // Directed in-edges per node (ogbn-products: 50.5).
  int64_t feat_dim = 100;
  int64_t num_classes = 47;
  // Split sizes; when negative, the fraction of num_nodes. Test is the rest.
  int64_t num_train = -1;
  int64_t num_valid = -1;
  double train_fraction = 0.08;
  double valid_fraction = 0.016;
  int64_t community_size = 2000;
  double intra_community = 0.8;
  uint64_t seed = 0;
  int num_threads = 1;
};

// Generates the graph; fails on inconsistent options (no nodes or classes,
// split larger than the graph, fractions outside [0, 1]).
absl::StatusOr<GraphDataset> GenerateSyntheticGraph(const SyntheticGraphOptions& options);

}  // namespace distsage

#endif  // DISTSAGE_PARTITIONER_SYNTHETIC_GRAPH_H_
