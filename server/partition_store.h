// One partition of the graph, opened from the RocksDB folder partition_graph
// wrote (layout: common/partition_format.h), behind one read-only interface
// with two implementations:
//   * in memory (default): adjacency as CSR and feature matrices loaded once at
//     open, answered without touching RocksDB;
//   * straight from RocksDB (`CacheMode::kNone`): every lookup is a MultiGet
//     through a bounded block cache, so a partition larger than RAM is served.
// Both give identical answers. The public methods validate their input (IDs
// owned by this partition, known feature names) so every caller — the gRPC
// service and the in-process client alike — gets the same checks and messages.
// All methods are thread-safe.
#ifndef DISTSAGE_SERVER_PARTITION_STORE_H_
#define DISTSAGE_SERVER_PARTITION_STORE_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/partition_config.h"
#include "common/partition_format.h"

namespace distsage {

enum class CacheMode {
  kMemory,  // CSR + features + labels in memory.
  kNone,    // Everything read from RocksDB per request.
};

// "memory" or "none".
absl::StatusOr<CacheMode> ParseCacheMode(absl::string_view text);
const char* CacheModeName(CacheMode mode);

struct PartitionStoreOptions {
  CacheMode cache = CacheMode::kMemory;
  // RocksDB block cache; what bounds memory with CacheMode::kNone.
  int64_t block_cache_bytes = int64_t{256} << 20;
  // CacheMode::kMemory only: when set, the arrays are loaded into a
  // shared-memory segment published in this folder for readers on this
  // machine (server/shared_segment.h), named after `server_id`; empty: private
  // memory.
  std::string shm_dir;
  mode_t shm_file_mode = 0600;  // Of the segment file.
  int server_id = 0;
  // CacheMode::kMemory only: hold feature rows stored as float32 as
  // bfloat16 instead, each value rounded once at load (RoundToBFloat16, as
  // partition_graph --feature_dtype bfloat16 rounds them): half the memory
  // and half the bytes per random row read. The store then answers as one
  // of a partition stored as bfloat16 (its meta() says so), for a model
  // that rounds its input to bf16 anyway (--precision bf16).
  bool hold_features_bfloat16 = false;
};

// The shared-memory segment a store's arrays live in; empty path when they
// are private to this process.
struct SharedSegmentInfo {
  std::string path;
  int64_t bytes = 0;
  // Of those, how many the server maps with 2 MiB pages (0: 4 KiB pages
  // only; known for the segments this process published).
  int64_t huge_page_bytes = 0;
};

// Whether a meta record may say bfloat16 of a feature the config says is
// stored as float32: a store in memory holding it so
// (PartitionStoreOptions::hold_features_bfloat16).
enum class HeldFeatureDtype { kAsStored, kAsStoredOrBFloat16 };

// Compares a partition's own meta record with what the config says about
// partition `part`. `where` names the source in errors ("partition folder
// 'X'"), `hint` says how to fix a mismatch.
absl::Status CheckPartitionMeta(const partition_format::PartitionMeta& meta,
                                const PartitionConfig& config, int part, absl::string_view where,
                                absl::string_view hint,
                                HeldFeatureDtype held = HeldFeatureDtype::kAsStored);

// `stored` with every float32 feature said to be held as bfloat16.
partition_format::PartitionMeta MetaHeldAsBFloat16(partition_format::PartitionMeta stored);

// In-neighbour lists of a batch of nodes: lists[i] belongs to the i-th node
// asked for. The views point into the store (memory mode) or into `storage`
// (RocksDB mode), so they are valid while both this object and the store live.
struct AdjacencyLists {
  std::vector<absl::Span<const int64_t>> lists;
  std::vector<int64_t> storage;
};

class PartitionStore {
 public:
  // Opens partition `part` of `config` read-only and checks its "M" record
  // against the config (graph, partition, node range, edge count, features).
  // Fails with a message naming the folder and the mismatch.
  static absl::StatusOr<std::unique_ptr<PartitionStore>> Open(const PartitionConfig& config,
                                                              int part,
                                                              const PartitionStoreOptions& options);

  virtual ~PartitionStore() = default;
  PartitionStore(const PartitionStore&) = delete;
  PartitionStore& operator=(const PartitionStore&) = delete;

  // The partition's meta record; its features' dtypes say how this store
  // holds the rows (PartitionStoreOptions::hold_features_bfloat16), which
  // may differ from how the config says they are stored.
  const partition_format::PartitionMeta& meta() const { return meta_; }
  int part_id() const { return meta_.part_id; }
  int64_t node_begin() const { return meta_.node_begin; }
  int64_t node_end() const { return meta_.node_end; }
  int64_t num_nodes() const { return meta_.node_end - meta_.node_begin; }
  bool Owns(int64_t node) const { return node >= meta_.node_begin && node < meta_.node_end; }
  virtual CacheMode cache_mode() const = 0;
  virtual SharedSegmentInfo shared_segment() const { return {}; }

  // OK when every ID is owned by this partition; otherwise INVALID_ARGUMENT
  // naming the first ID that is not, and the owned range.
  absl::Status CheckOwned(absl::Span<const int64_t> ids) const;
  // The spec of feature `name`; NOT_FOUND listing the known names otherwise.
  absl::StatusOr<const FeatureSpec*> FindFeature(absl::string_view name) const;

  // In-neighbour lists (global source IDs, source order) of owned `nodes`.
  absl::Status GetInNeighbors(absl::Span<const int64_t> nodes, AdjacencyLists* out) const;
  // Rows of feature `name` for owned `ids`, row-major; `out` holds
  // ids.size() * dim floats. Rows stored as bfloat16 are widened (exactly).
  absl::Status GatherFeatures(absl::string_view name, absl::Span<const int64_t> ids,
                              float* out) const;
  // As GatherFeatures, as bfloat16 (`out` holds ids.size() * dim of them):
  // rows stored as bfloat16 are copied as they are, float32 rows rounded to
  // nearest even (RoundToBFloat16).
  absl::Status GatherFeaturesBFloat16(absl::string_view name, absl::Span<const int64_t> ids,
                                      uint16_t* out) const;
  // Where the rows of feature `name` for owned `ids` can be read in place:
  // out[i] = the address of ids[i]'s row (dim floats), valid while the store
  // lives. Only where the store holds the rows in memory as float32
  // (CacheMode::kMemory, not partition_graph --feature_dtype bfloat16);
  // UNIMPLEMENTED otherwise, when GatherFeatures is the way to read them.
  absl::Status FeatureRowAddresses(absl::string_view name, absl::Span<const int64_t> ids,
                                   const float** out) const;
  // The same for rows stored as bfloat16 (dim bfloat16 bit patterns each):
  // only where the store holds them in memory as such; UNIMPLEMENTED
  // otherwise (GatherFeaturesBFloat16 reads them).
  absl::Status FeatureRowAddresses(absl::string_view name, absl::Span<const int64_t> ids,
                                   const uint16_t** out) const;
  // Labels (-1 = unlabelled), split masks (partition_format::SplitMask bits)
  // and in-degrees of owned `ids`; `out` holds ids.size() entries.
  absl::Status GatherLabels(absl::Span<const int64_t> ids, int64_t* out) const;
  absl::Status GatherSplitMasks(absl::Span<const int64_t> ids, uint8_t* out) const;
  absl::Status GatherInDegrees(absl::Span<const int64_t> ids, int64_t* out) const;
  // Owned nodes of split `split_index` (index into partition_format::kSplitNames),
  // ascending.
  absl::StatusOr<std::vector<int64_t>> SplitNodes(int split_index) const;

 protected:
  explicit PartitionStore(partition_format::PartitionMeta meta) : meta_(std::move(meta)) {}

  // The implementations; IDs are already checked and `spec` points into
  // meta().node_features.
  virtual absl::Status DoGetInNeighbors(absl::Span<const int64_t> nodes,
                                        AdjacencyLists* out) const = 0;
  virtual absl::Status DoGatherFeatures(const FeatureSpec& spec, absl::Span<const int64_t> ids,
                                        float* out) const = 0;
  virtual absl::Status DoGatherFeaturesBFloat16(const FeatureSpec& spec,
                                                absl::Span<const int64_t> ids,
                                                uint16_t* out) const = 0;
  // UNIMPLEMENTED unless overridden.
  virtual absl::Status DoFeatureRowAddresses(const FeatureSpec& spec, absl::Span<const int64_t> ids,
                                             const float** out) const;
  virtual absl::Status DoFeatureRowAddresses(const FeatureSpec& spec, absl::Span<const int64_t> ids,
                                             const uint16_t** out) const;
  virtual absl::Status DoGatherLabels(absl::Span<const int64_t> ids, int64_t* out) const = 0;
  virtual absl::Status DoGatherSplitMasks(absl::Span<const int64_t> ids, uint8_t* out) const = 0;
  virtual absl::Status DoGatherInDegrees(absl::Span<const int64_t> ids, int64_t* out) const = 0;
  virtual absl::StatusOr<std::vector<int64_t>> DoSplitNodes(int split_index) const = 0;

 private:
  // Both FeatureRowAddresses: the feature found, the IDs checked.
  template <typename T>
  absl::Status CheckedRowAddresses(absl::string_view name, absl::Span<const int64_t> ids,
                                   const T** out) const;

  const partition_format::PartitionMeta meta_;
};

}  // namespace distsage

#endif  // DISTSAGE_SERVER_PARTITION_STORE_H_
