// A homogeneous node-classification graph held in memory: what a loader
// produces and what the partitioner and verifier consume. Node IDs are the
// dataset's own (original) IDs 0..num_nodes-1.
#ifndef DISTSAGE_PARTITIONER_GRAPH_DATASET_H_
#define DISTSAGE_PARTITIONER_GRAPH_DATASET_H_

#include <cstdint>
#include <string>
#include <vector>

namespace distsage {

struct GraphDataset {
  std::string name;  // Graph name: names the config file OUT/<name>.json.
  int64_t num_nodes = 0;
  // Directed edges as in-neighbour lists (CSR by destination): the sources of
  // the edges into node v are in_src[in_ptr[v] .. in_ptr[v+1]), in the order
  // the edges were given, duplicates and self-loops kept.
  std::vector<int64_t> in_ptr;
  std::vector<int64_t> in_src;
  // Row-major num_nodes x feat_dim; empty when the dataset has no features.
  int64_t feat_dim = 0;
  std::vector<float> features;
  int64_t num_classes = 0;
  std::vector<int64_t> labels;  // -1 for unlabelled nodes.
  std::string split_name;
  std::vector<uint8_t> split_mask;  // partition_format::SplitMask bits per node.

  int64_t num_edges() const { return static_cast<int64_t>(in_src.size()); }
  int64_t InDegree(int64_t node) const { return in_ptr[node + 1] - in_ptr[node]; }
  // Number of nodes whose split mask has `bit` set.
  int64_t CountSplit(uint8_t bit) const;
};

// Builds dataset->in_ptr/in_src from edge rows (src0, dst0, src1, dst1, ...),
// which it consumes and frees. With `add_inverse`, each row (u,v) stands for
// the directed edges (u,v),(v,u), in that order, as OGB's reader emits them.
// Endpoints must already be checked to lie in [0, num_nodes).
void BuildInEdges(int64_t num_nodes, bool add_inverse, std::vector<int64_t>* rows,
                  GraphDataset* dataset);

}  // namespace distsage

#endif  // DISTSAGE_PARTITIONER_GRAPH_DATASET_H_
