// The undirected graph METIS needs, built from a dataset's directed edges:
// symmetric, without self-loops or repeated neighbours, in METIS's own
// integer type (Debian's libmetis uses 32-bit idx_t).
#ifndef DISTSAGE_PARTITIONER_METIS_GRAPH_H_
#define DISTSAGE_PARTITIONER_METIS_GRAPH_H_

#include <metis.h>

#include <vector>

#include "absl/status/statusor.h"
#include "partitioner/graph_dataset.h"

namespace distsage {

struct MetisGraph {
  // Neighbours of v are adjncy[xadj[v] .. xadj[v+1]), ascending.
  std::vector<idx_t> xadj;
  std::vector<idx_t> adjncy;
  idx_t num_nodes() const { return static_cast<idx_t>(xadj.size()) - 1; }
};

// Symmetrises the in-edges of `dataset` (an edge in either direction makes
// two nodes neighbours), drops self-loops and duplicates. Fails with a clear
// message when node or adjacency counts do not fit idx_t. Uses `num_threads`
// threads to sort neighbour lists.
absl::StatusOr<MetisGraph> BuildMetisGraph(const GraphDataset& dataset, int num_threads);

}  // namespace distsage

#endif  // DISTSAGE_PARTITIONER_METIS_GRAPH_H_
