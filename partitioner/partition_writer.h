// Writes a partition set: one RocksDB database per part in the layout of
// common/partition_format.h (built as an SST file and bulk-ingested), the map
// back to original IDs, and the partition config.
#ifndef DISTSAGE_PARTITIONER_PARTITION_WRITER_H_
#define DISTSAGE_PARTITIONER_PARTITION_WRITER_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/partition_config.h"
#include "partitioner/graph_dataset.h"
#include "partitioner/relabeling.h"

namespace distsage {

// Name of the single dense node feature in the partitions.
inline constexpr char kFeatureName[] = "feat";
inline constexpr char kOrigNodeIdsFile[] = "orig_node_ids.bin";

struct WriteOptions {
  std::string part_method;
  bool balance_train = false;
  bool balance_edges = false;
  int num_threads = 1;  // Parts are written in parallel.
  // Element type of the stored feature rows: kFloat32Dtype, or
  // kBFloat16Dtype (each value rounded to nearest even, as LibTorch rounds to
  // bfloat16: half the bytes).
  std::string feature_dtype = kFloat32Dtype;
};

// Writes part<p>/ for every part, orig_node_ids.bin and <graph name>.json
// into `dir`, which must exist and hold none of these. Returns the config
// that was saved.
absl::StatusOr<PartitionConfig> WritePartitions(const GraphDataset& dataset,
                                                const Relabeling& relabeling,
                                                const WriteOptions& options,
                                                const std::string& dir);

// The config file name of a graph: "<graph_name>.json", as DGL names it.
std::string ConfigFileName(const std::string& graph_name);

}  // namespace distsage

#endif  // DISTSAGE_PARTITIONER_PARTITION_WRITER_H_
