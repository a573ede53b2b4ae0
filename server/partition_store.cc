#include "server/partition_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "server/memory_partition_store.h"
#include "server/rocksdb_partition_store.h"

namespace distsage {

namespace pf = partition_format;

absl::Status CheckPartitionMeta(const pf::PartitionMeta& meta, const PartitionConfig& config,
                                int part, absl::string_view where, absl::string_view hint,
                                HeldFeatureDtype held) {
  const PartitionBook book = config.Book();
  auto mismatch = [&](absl::string_view field, auto in_db, auto in_config) {
    return absl::FailedPreconditionError(
        absl::StrCat(where, " does not match the partition config: ", field, " is ", in_db,
                     " in its meta record but ", in_config, " in the config; ", hint));
  };
  if (meta.graph_name != config.graph_name) {
    return mismatch("graph_name", meta.graph_name, config.graph_name);
  }
  if (meta.part_id != part) return mismatch("part_id", meta.part_id, part);
  if (meta.num_parts != config.num_parts()) {
    return mismatch("num_parts", meta.num_parts, config.num_parts());
  }
  if (meta.node_begin != book.RangeBegin(part) || meta.node_end != book.RangeEnd(part)) {
    return mismatch("the node range", absl::StrCat("[", meta.node_begin, ", ", meta.node_end, ")"),
                    absl::StrCat("[", book.RangeBegin(part), ", ", book.RangeEnd(part), ")"));
  }
  if (meta.num_in_edges != config.parts[part].num_in_edges) {
    return mismatch("num_in_edges", meta.num_in_edges, config.parts[part].num_in_edges);
  }
  if (!meta.book_fingerprint.empty() && !config.book_fingerprint.empty() &&
      meta.book_fingerprint != config.book_fingerprint) {
    return mismatch("the partition book fingerprint", meta.book_fingerprint,
                    config.book_fingerprint);
  }
  auto feature_list = [](const std::vector<FeatureSpec>& specs) {
    return absl::StrJoin(specs, ", ", [](std::string* out, const FeatureSpec& spec) {
      absl::StrAppend(out, spec.name, "[", spec.dim, "] ", spec.dtype);
    });
  };
  bool same_features = meta.node_features.size() == config.node_features.size();
  for (size_t i = 0; same_features && i < meta.node_features.size(); ++i) {
    const FeatureSpec& a = meta.node_features[i];
    const FeatureSpec& b = config.node_features[i];
    const bool same_dtype = a.dtype == b.dtype || (held == HeldFeatureDtype::kAsStoredOrBFloat16 &&
                                                   a.stored_bfloat16() && b.dtype == kFloat32Dtype);
    same_features = a.name == b.name && a.dim == b.dim && same_dtype;
  }
  if (!same_features) {
    return mismatch("node_features", feature_list(meta.node_features),
                    feature_list(config.node_features));
  }
  for (const FeatureSpec& spec : meta.node_features) {
    const absl::Status dtype = CheckFeatureDtype(spec.dtype, "");
    if (!dtype.ok()) {
      return absl::UnimplementedError(absl::StrCat(where, ": feature '", spec.name,
                                                   "': ", dtype.message(),
                                                   "; this build serves only those"));
    }
  }
  return absl::OkStatus();
}

pf::PartitionMeta MetaHeldAsBFloat16(pf::PartitionMeta stored) {
  for (FeatureSpec& spec : stored.node_features) spec.dtype = kBFloat16Dtype;
  return stored;
}

absl::StatusOr<CacheMode> ParseCacheMode(absl::string_view text) {
  if (text == "memory") return CacheMode::kMemory;
  if (text == "none") return CacheMode::kNone;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown cache mode '", text, "'; use 'memory' or 'none'"));
}

const char* CacheModeName(CacheMode mode) { return mode == CacheMode::kMemory ? "memory" : "none"; }

absl::StatusOr<std::unique_ptr<PartitionStore>> PartitionStore::Open(
    const PartitionConfig& config, int part, const PartitionStoreOptions& options) {
  if (part < 0 || part >= config.num_parts()) {
    return absl::InvalidArgumentError(absl::StrCat("partition ", part, " does not exist: graph '",
                                                   config.graph_name, "' has ", config.num_parts(),
                                                   " partitions"));
  }
  const std::string path = config.PartPath(part);
  DS_ASSIGN_OR_RETURN(std::unique_ptr<RocksDbPartitionStore> db_store,
                      RocksDbPartitionStore::Open(path, options.block_cache_bytes));
  DS_RETURN_IF_ERROR(CheckPartitionMeta(
      db_store->meta(), config, part, absl::StrCat("partition folder '", path, "'"),
      "the folder belongs to another partitioning — copy the matching folder or rerun "
      "partition_graph"));
  if (options.cache == CacheMode::kNone) {
    if (options.hold_features_bfloat16) {
      return absl::InvalidArgumentError(
          "feature rows can be held as bfloat16 only by a store in memory (cache 'memory'); with "
          "cache 'none' they are read from RocksDB as stored");
    }
    DS_RETURN_IF_ERROR(db_store->CheckBoundaryRecords());
    return std::unique_ptr<PartitionStore>(std::move(db_store));
  }
  std::unique_ptr<MemoryPartitionStore> memory_store;
  if (options.shm_dir.empty()) {
    DS_ASSIGN_OR_RETURN(memory_store,
                        MemoryPartitionStore::Load(*db_store, options.hold_features_bfloat16));
  } else {
    DS_ASSIGN_OR_RETURN(memory_store, MemoryPartitionStore::LoadIntoSharedSegment(
                                          *db_store, options.shm_dir, options.server_id,
                                          options.shm_file_mode, options.hold_features_bfloat16));
  }
  return std::unique_ptr<PartitionStore>(std::move(memory_store));
}

absl::Status PartitionStore::CheckOwned(absl::Span<const int64_t> ids) const {
  for (const int64_t id : ids) {
    if (!Owns(id)) {
      return absl::InvalidArgumentError(
          absl::StrCat("node ", id, " is not owned by partition ", part_id(), " of graph '",
                       meta_.graph_name, "' (it owns [", meta_.node_begin, ", ", meta_.node_end,
                       ")); route IDs with the partition book"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<const FeatureSpec*> PartitionStore::FindFeature(absl::string_view name) const {
  for (const FeatureSpec& spec : meta_.node_features) {
    if (spec.name == name) return &spec;
  }
  return absl::NotFoundError(absl::StrCat(
      "graph '", meta_.graph_name, "' has no node feature '", name, "'; known features: ",
      absl::StrJoin(meta_.node_features, ", ",
                    [](std::string* out, const FeatureSpec& spec) { out->append(spec.name); })));
}

absl::Status PartitionStore::GetInNeighbors(absl::Span<const int64_t> nodes,
                                            AdjacencyLists* out) const {
  DS_RETURN_IF_ERROR(CheckOwned(nodes));
  return DoGetInNeighbors(nodes, out);
}

absl::Status PartitionStore::GatherFeatures(absl::string_view name, absl::Span<const int64_t> ids,
                                            float* out) const {
  DS_ASSIGN_OR_RETURN(const FeatureSpec* spec, FindFeature(name));
  DS_RETURN_IF_ERROR(CheckOwned(ids));
  return DoGatherFeatures(*spec, ids, out);
}

absl::Status PartitionStore::GatherFeaturesBFloat16(absl::string_view name,
                                                    absl::Span<const int64_t> ids,
                                                    uint16_t* out) const {
  DS_ASSIGN_OR_RETURN(const FeatureSpec* spec, FindFeature(name));
  DS_RETURN_IF_ERROR(CheckOwned(ids));
  return DoGatherFeaturesBFloat16(*spec, ids, out);
}

template <typename T>
absl::Status PartitionStore::CheckedRowAddresses(absl::string_view name,
                                                 absl::Span<const int64_t> ids,
                                                 const T** out) const {
  DS_ASSIGN_OR_RETURN(const FeatureSpec* spec, FindFeature(name));
  DS_RETURN_IF_ERROR(CheckOwned(ids));
  return DoFeatureRowAddresses(*spec, ids, out);
}

absl::Status PartitionStore::FeatureRowAddresses(absl::string_view name,
                                                 absl::Span<const int64_t> ids,
                                                 const float** out) const {
  return CheckedRowAddresses(name, ids, out);
}

absl::Status PartitionStore::FeatureRowAddresses(absl::string_view name,
                                                 absl::Span<const int64_t> ids,
                                                 const uint16_t** out) const {
  return CheckedRowAddresses(name, ids, out);
}

namespace {

absl::Status NoRowsInPlace(int part_id, CacheMode cache_mode, const FeatureSpec& spec,
                           const char* dtype) {
  return absl::UnimplementedError(absl::StrCat(
      "partition ", part_id, " (cache ", CacheModeName(cache_mode), ") has no in-memory ", dtype,
      " rows of feature '", spec.name, "' (stored as ", spec.dtype, ") to read in place"));
}

}  // namespace

absl::Status PartitionStore::DoFeatureRowAddresses(const FeatureSpec& spec,
                                                   absl::Span<const int64_t>, const float**) const {
  return NoRowsInPlace(part_id(), cache_mode(), spec, kFloat32Dtype);
}

absl::Status PartitionStore::DoFeatureRowAddresses(const FeatureSpec& spec,
                                                   absl::Span<const int64_t>,
                                                   const uint16_t**) const {
  return NoRowsInPlace(part_id(), cache_mode(), spec, kBFloat16Dtype);
}

absl::Status PartitionStore::GatherLabels(absl::Span<const int64_t> ids, int64_t* out) const {
  DS_RETURN_IF_ERROR(CheckOwned(ids));
  return DoGatherLabels(ids, out);
}

absl::Status PartitionStore::GatherSplitMasks(absl::Span<const int64_t> ids, uint8_t* out) const {
  DS_RETURN_IF_ERROR(CheckOwned(ids));
  return DoGatherSplitMasks(ids, out);
}

absl::Status PartitionStore::GatherInDegrees(absl::Span<const int64_t> ids, int64_t* out) const {
  DS_RETURN_IF_ERROR(CheckOwned(ids));
  return DoGatherInDegrees(ids, out);
}

absl::StatusOr<std::vector<int64_t>> PartitionStore::SplitNodes(int split_index) const {
  if (split_index < 0 || split_index >= 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown split ", split_index, "; use 0 (train), 1 (valid) or 2 (test)"));
  }
  return DoSplitNodes(split_index);
}

}  // namespace distsage
