// Writes a small, fully known partitioned graph with RocksDB directly (the
// layout of common/partition_format.h), for store and sampler unit tests that
// need exact expectations and for corrupt-partition cases that partition_graph
// would never produce.
#ifndef DISTSAGE_TESTS_SERVER_TINY_PARTITION_H_
#define DISTSAGE_TESTS_SERVER_TINY_PARTITION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/partition_config.h"

namespace distsage::testing {

// The graph: node v's in-neighbours, a 2-float feature "feat" = (v, 10 v),
// label v % 3 (node 5 unlabelled), node v in split v % 3 (0 train, 1 valid,
// 2 test). Two partitions: [0, 3) and [3, 6).
struct TinyGraph {
  std::vector<std::vector<int64_t>> in_neighbors = {{1, 2, 3, 4, 5},    {0}, {},
                                                    {0, 1, 2, 4, 5, 0}, {3}, {0, 1, 2, 3, 4}};
  int64_t num_nodes() const { return static_cast<int64_t>(in_neighbors.size()); }
};

// Writes the partitions and `dir`/tiny.json; returns the config. With
// `corrupt_meta_part` >= 0, that partition's meta record claims another
// graph name.
PartitionConfig WriteTinyPartitions(const std::string& dir, const TinyGraph& graph,
                                    int corrupt_meta_part = -1);

}  // namespace distsage::testing

#endif  // DISTSAGE_TESTS_SERVER_TINY_PARTITION_H_
