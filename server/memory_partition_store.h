// A PartitionStore held entirely in memory: in-neighbours as CSR, each
// feature as one row-major matrix (in the element type it is stored as, or
// float32 rows rounded to bfloat16 at load when asked: bfloat16 rows take
// half the memory and are widened as they are gathered),
// labels and split masks as arrays. Loaded
// once from the partition's RocksDB database by a sequential scan; lookups are
// then plain array reads (one memcpy per feature row).
//
// The arrays live in one MappedRegion (server/shared_segment.h): private
// memory, or a shared-memory segment the graph server publishes for the
// trainers on its machine, who map the same segment read-only; both sides
// answer with this same code.
#ifndef DISTSAGE_SERVER_MEMORY_PARTITION_STORE_H_
#define DISTSAGE_SERVER_MEMORY_PARTITION_STORE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/partition_config.h"
#include "server/partition_store.h"
#include "server/rocksdb_partition_store.h"
#include "server/shared_segment.h"

namespace distsage {

class MemoryPartitionStore : public PartitionStore {
 public:
  // Scans every record of `source` into private memory; fails when an owned
  // node lacks a record or a record has the wrong size. With
  // `hold_features_bfloat16`, float32 feature rows are held rounded to
  // bfloat16 (PartitionStoreOptions::hold_features_bfloat16).
  static absl::StatusOr<std::unique_ptr<MemoryPartitionStore>> Load(
      const RocksDbPartitionStore& source, bool hold_features_bfloat16 = false);

  // As Load, into a new shared-memory segment in folder `dir` (a file of
  // `file_mode`), published (renamed into place) once complete; the store
  // owns the file and removes it when destroyed. RESOURCE_EXHAUSTED, before
  // anything is read, when `dir` lacks the space.
  // The segment's header says how the rows are held, for its readers.
  static absl::StatusOr<std::unique_ptr<MemoryPartitionStore>> LoadIntoSharedSegment(
      const RocksDbPartitionStore& source, const std::string& dir, int server_id, mode_t file_mode,
      bool hold_features_bfloat16 = false);

  // Maps the segment at `path` (another process's) read-only, after checking
  // that it is a complete segment of partition `part` of `config` (its
  // float32 features possibly held as bfloat16: meta() says). The mapping
  // stays valid if the owner removes the file.
  static absl::StatusOr<std::unique_ptr<MemoryPartitionStore>> MapSharedSegment(
      const std::string& path, const PartitionConfig& config, int part);

  CacheMode cache_mode() const override { return CacheMode::kMemory; }
  SharedSegmentInfo shared_segment() const override;

 private:
  MemoryPartitionStore(partition_format::PartitionMeta meta, std::unique_ptr<MappedRegion> region);

  // Loads `source` into `region`, laid out as `arrays` (LayOut), its rows
  // held as `held` (source's meta, or MetaHeldAsBFloat16 of it) says.
  static absl::StatusOr<std::unique_ptr<MemoryPartitionStore>> LoadInto(
      const RocksDbPartitionStore& source, partition_format::PartitionMeta held,
      std::unique_ptr<MappedRegion> region, const std::vector<SegmentArray>& arrays,
      std::array<std::vector<int64_t>, 3> split_nodes);

  // The arrays of a partition with `meta` and these split sizes, named.
  static std::vector<std::pair<std::string, uint64_t>> ArraySizes(
      const partition_format::PartitionMeta& meta, const std::array<size_t, 3>& split_sizes);

  // Points the spans at `arrays` of region_; checks each one's size against
  // meta(). `where` names the region in errors.
  absl::Status BindArrays(const std::vector<SegmentArray>& arrays, const std::string& where);

  absl::Status DoGetInNeighbors(absl::Span<const int64_t> nodes,
                                AdjacencyLists* out) const override;
  absl::Status DoGatherFeatures(const FeatureSpec& spec, absl::Span<const int64_t> ids,
                                float* out) const override;
  absl::Status DoGatherFeaturesBFloat16(const FeatureSpec& spec, absl::Span<const int64_t> ids,
                                        uint16_t* out) const override;
  absl::Status DoFeatureRowAddresses(const FeatureSpec& spec, absl::Span<const int64_t> ids,
                                     const float** out) const override;
  absl::Status DoFeatureRowAddresses(const FeatureSpec& spec, absl::Span<const int64_t> ids,
                                     const uint16_t** out) const override;
  // Both of the above: the rows' addresses, where they are stored as T.
  template <typename T>
  absl::Status RowAddresses(const FeatureSpec& spec, absl::Span<const int64_t> ids,
                            const T** out) const;
  // Both of the above: each stored row read into `out` as T.
  template <typename T>
  absl::Status GatherFeatureRows(const FeatureSpec& spec, absl::Span<const int64_t> ids,
                                 T* out) const;
  absl::Status DoGatherLabels(absl::Span<const int64_t> ids, int64_t* out) const override;
  absl::Status DoGatherSplitMasks(absl::Span<const int64_t> ids, uint8_t* out) const override;
  absl::Status DoGatherInDegrees(absl::Span<const int64_t> ids, int64_t* out) const override;
  absl::StatusOr<std::vector<int64_t>> DoSplitNodes(int split_index) const override;

  // Local index (node - node_begin) of owned nodes.
  size_t Local(int64_t node) const { return static_cast<size_t>(node - node_begin()); }

  std::unique_ptr<MappedRegion> region_;  // What the spans below point into.
  // LoadIntoSharedSegment: region_->HugePageBytes() once published.
  int64_t published_huge_page_bytes_ = 0;
  absl::Span<const int64_t> indptr_;   // num_nodes + 1 entries.
  absl::Span<const int64_t> indices_;  // Global source IDs.
  // One row-major matrix per feature, in meta().node_features order, of
  // FeatureSpec::row_bytes() per node (float32 or bfloat16 elements).
  std::vector<absl::Span<const char>> features_;
  absl::Span<const int64_t> labels_;
  absl::Span<const uint8_t> split_masks_;
  std::array<absl::Span<const int64_t>, 3> split_nodes_;
};

}  // namespace distsage

#endif  // DISTSAGE_SERVER_MEMORY_PARTITION_STORE_H_
