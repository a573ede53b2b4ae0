// One message-flow block (DGL's MFG): the bipartite graph that carries one GNN
// layer's messages from its source nodes to its destination nodes. Following
// DGL, the destination nodes are a prefix of the source nodes, so a layer reads
// the destination nodes' own features as the first rows of its input.
#ifndef DISTSAGE_TRAINER_BLOCK_H_
#define DISTSAGE_TRAINER_BLOCK_H_

#include <cstdint>
#include <vector>

namespace distsage {

struct Block {
  // Global IDs of the source nodes; src_nodes[0 .. num_dst) are the
  // destination nodes, in the order the layer outputs them. Each node once,
  // except in an input layer sampled with one source per edge
  // (InputSources::kPerEdge).
  std::vector<int64_t> src_nodes;
  int64_t num_dst = 0;
  // In-edges grouped by destination (CSR): the sources of destination i are
  // src_nodes[indices[e]] for e in [indptr[i], indptr[i+1]). Sampled edges
  // may repeat a source.
  std::vector<int64_t> indptr;
  std::vector<int64_t> indices;
  // The same edges grouped by source (the transposed CSR), which the backward
  // pass of the neighbour mean walks without atomics: the destinations of
  // source j are rev_indices[e] for e in [rev_indptr[j], rev_indptr[j+1]).
  // Empty until BuildReverse() runs.
  std::vector<int64_t> rev_indptr;
  std::vector<int64_t> rev_indices;

  int64_t num_src() const { return static_cast<int64_t>(src_nodes.size()); }
  int64_t num_edges() const { return indptr.empty() ? 0 : indptr.back(); }
  // Fills rev_indptr/rev_indices from indptr/indices (a counting sort, O(E)).
  // Within a source, destinations come out in ascending order.
  void BuildReverse();
  // Frees what a model does not read of a layer whose neighbour means were
  // taken ahead (the loader's first layer, MiniBatch::neighbor_mean): keeps
  // num_dst, the destinations (src_nodes[0 .. num_dst)) and indptr (the
  // degrees, so num_edges() too); drops the other sources, the edges'
  // sources and the transposed CSR.
  void KeepOnlyDestinationsAndDegrees();
};

}  // namespace distsage

#endif  // DISTSAGE_TRAINER_BLOCK_H_
