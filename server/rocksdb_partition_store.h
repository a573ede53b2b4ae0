// A PartitionStore that answers every lookup from the partition's RocksDB
// database (batched MultiGet through a bounded block cache), for partitions
// larger than RAM (`graph_server --cache none`). Also the loader's source for
// the in-memory store.
#ifndef DISTSAGE_SERVER_ROCKSDB_PARTITION_STORE_H_
#define DISTSAGE_SERVER_ROCKSDB_PARTITION_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "rocksdb/db.h"
#include "server/partition_store.h"

namespace distsage {

class RocksDbPartitionStore : public PartitionStore {
 public:
  // Opens the database at `path` read-only and reads its "M" record. The
  // caller checks the record against the partition config.
  static absl::StatusOr<std::unique_ptr<RocksDbPartitionStore>> Open(const std::string& path,
                                                                     int64_t block_cache_bytes);

  CacheMode cache_mode() const override { return CacheMode::kNone; }
  const std::string& path() const { return path_; }
  // For bulk scans (the in-memory loader); read-only use only.
  rocksdb::DB* db() const { return db_.get(); }

  // Checks that the first and last owned node have their adjacency, label,
  // split and feature records: a cheap guard against a truncated or foreign
  // database that does not need a full scan.
  absl::Status CheckBoundaryRecords() const;

 private:
  RocksDbPartitionStore(partition_format::PartitionMeta meta, std::string path,
                        std::unique_ptr<rocksdb::DB> db);

  absl::Status DoGetInNeighbors(absl::Span<const int64_t> nodes,
                                AdjacencyLists* out) const override;
  absl::Status DoGatherFeatures(const FeatureSpec& spec, absl::Span<const int64_t> ids,
                                float* out) const override;
  absl::Status DoGatherFeaturesBFloat16(const FeatureSpec& spec, absl::Span<const int64_t> ids,
                                        uint16_t* out) const override;
  // Both of the above: each stored row read into `out` as T.
  template <typename T>
  absl::Status GatherFeatureRows(const FeatureSpec& spec, absl::Span<const int64_t> ids,
                                 T* out) const;
  absl::Status DoGatherLabels(absl::Span<const int64_t> ids, int64_t* out) const override;
  absl::Status DoGatherSplitMasks(absl::Span<const int64_t> ids, uint8_t* out) const override;
  absl::Status DoGatherInDegrees(absl::Span<const int64_t> ids, int64_t* out) const override;
  absl::StatusOr<std::vector<int64_t>> DoSplitNodes(int split_index) const override;

  // Fetches the record `key_prefix` + be64(id) of every id and calls
  // visit(i, value) for each; NOT_FOUND/DATA_LOSS naming the missing key.
  template <typename Visit>
  absl::Status MultiGetNodes(absl::string_view key_prefix, absl::Span<const int64_t> ids,
                             const char* what, Visit visit) const;

  const std::string path_;
  const std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace distsage

#endif  // DISTSAGE_SERVER_ROCKSDB_PARTITION_STORE_H_
