// Decides which partition owns each node: METIS k-way (multi-constraint when
// balancing training nodes and/or edges) or a seeded random split.
#ifndef DISTSAGE_PARTITIONER_NODE_ASSIGNMENT_H_
#define DISTSAGE_PARTITIONER_NODE_ASSIGNMENT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "partitioner/graph_dataset.h"

namespace distsage {

enum class PartMethod { kMetis, kRandom };

// Parses "metis" or "random".
absl::StatusOr<PartMethod> ParsePartMethod(const std::string& name);
const char* PartMethodName(PartMethod method);

struct AssignmentOptions {
  int num_parts = 1;
  PartMethod method = PartMethod::kMetis;
  // METIS constraints besides the node count (always balanced): a 0/1
  // training-node indicator, and the in-degree (edges a part stores).
  bool balance_train = false;
  bool balance_edges = false;
  uint64_t seed = 0;  // METIS_OPTION_SEED, or the random split's seed.
  int num_threads = 1;
};

// Returns the owning part (0..num_parts-1) of every node of `dataset`.
// num_parts must be in [1, num_nodes]; one part needs no METIS call. The
// result is a function of the dataset and options only.
absl::StatusOr<std::vector<int32_t>> AssignNodesToParts(const GraphDataset& dataset,
                                                        const AssignmentOptions& options);

}  // namespace distsage

#endif  // DISTSAGE_PARTITIONER_NODE_ASSIGNMENT_H_
