// Re-reads a written partition set from disk (config, orig_node_ids.bin and
// every RocksDB partition) and checks it against the in-memory source
// dataset, independently of the code that wrote it.
#ifndef DISTSAGE_PARTITIONER_PARTITION_VERIFIER_H_
#define DISTSAGE_PARTITIONER_PARTITION_VERIFIER_H_

#include <string>

#include "absl/status/status.h"
#include "partitioner/graph_dataset.h"

namespace distsage {

// Checks that every node is owned exactly once (ranges contiguous, the ID
// map a permutation), that each node's in-edges equal the source's as a
// multiset (so every edge is present exactly once), that features, labels and
// split membership are identical, that the per-split lists and the meta
// record match, and that no partition holds keys for nodes it does not own.
// Every block of every RocksDB file must pass its checksum. The first
// mismatch is returned as an error naming the part, the node (relabelled and
// original ID) and the field; a damaged file, as RocksDB's corruption message.
// Works on a set just written or on one written long ago: `source` is the
// dataset loaded again the way it was partitioned.
absl::Status VerifyPartitions(const std::string& config_path, const GraphDataset& source);

}  // namespace distsage

#endif  // DISTSAGE_PARTITIONER_PARTITION_VERIFIER_H_
