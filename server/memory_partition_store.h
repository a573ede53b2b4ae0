// A PartitionStore held entirely in memory: in-neighbours as CSR, each
// feature as one row-major matrix, labels and split masks as arrays. Loaded
// once from the partition's RocksDB database by a sequential scan; lookups are
// then plain array reads (one memcpy per feature row).
#ifndef DISTSAGE_SERVER_MEMORY_PARTITION_STORE_H_
#define DISTSAGE_SERVER_MEMORY_PARTITION_STORE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "server/partition_store.h"
#include "server/rocksdb_partition_store.h"

namespace distsage {

class MemoryPartitionStore : public PartitionStore {
 public:
  // Scans every record of `source` into memory; fails when an owned node
  // lacks a record or a record has the wrong size.
  static absl::StatusOr<std::unique_ptr<MemoryPartitionStore>> Load(
      const RocksDbPartitionStore& source);

  CacheMode cache_mode() const override { return CacheMode::kMemory; }

 private:
  explicit MemoryPartitionStore(partition_format::PartitionMeta meta);

  absl::Status DoGetInNeighbors(absl::Span<const int64_t> nodes,
                                AdjacencyLists* out) const override;
  absl::Status DoGatherFeatures(const FeatureSpec& spec, absl::Span<const int64_t> ids,
                                float* out) const override;
  absl::Status DoGatherLabels(absl::Span<const int64_t> ids, int64_t* out) const override;
  absl::Status DoGatherSplitMasks(absl::Span<const int64_t> ids, uint8_t* out) const override;
  absl::Status DoGatherInDegrees(absl::Span<const int64_t> ids, int64_t* out) const override;
  absl::StatusOr<std::vector<int64_t>> DoSplitNodes(int split_index) const override;

  // Local index (node - node_begin) of owned nodes.
  size_t Local(int64_t node) const { return static_cast<size_t>(node - node_begin()); }

  std::vector<int64_t> indptr_;   // num_nodes + 1 entries.
  std::vector<int64_t> indices_;  // Global source IDs.
  // One matrix per feature, in meta().node_features order.
  std::vector<std::vector<float>> features_;
  std::vector<int64_t> labels_;
  std::vector<uint8_t> split_masks_;
  std::array<std::vector<int64_t>, 3> split_nodes_;
};

}  // namespace distsage

#endif  // DISTSAGE_SERVER_MEMORY_PARTITION_STORE_H_
