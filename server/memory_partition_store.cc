#include "server/memory_partition_store.h"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/bfloat16.h"
#include "common/prefetch.h"
#include "common/status_macros.h"
#include "rocksdb/iterator.h"
#include "rocksdb/options.h"

namespace distsage {
namespace {

namespace pf = partition_format;

// Visits every record whose key is `prefix` + be64(node), in node order, and
// checks that they are exactly the owned nodes, each once.
template <typename Visit>
absl::Status ScanNodeRecords(const RocksDbPartitionStore& source, const std::string& prefix,
                             const char* what, Visit visit) {
  rocksdb::ReadOptions read_options;
  read_options.fill_cache = false;  // A one-off scan must not evict the serving cache.
  read_options.readahead_size = 8 << 20;
  std::unique_ptr<rocksdb::Iterator> it(source.db()->NewIterator(read_options));
  int64_t expected = source.node_begin();
  auto missing = [&](int64_t node) {
    return absl::DataLossError(absl::StrCat(
        "partition ", source.part_id(), " ('", source.path(), "'): no ", what, " record for node ",
        node, "; the partition is incomplete, rerun partition_graph"));
  };
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    const rocksdb::Slice key = it->key();
    if (key.size() != prefix.size() + 8) continue;
    const int64_t node = pf::NodeOfKey(absl::string_view(key.data(), key.size()));
    if (node != expected) return missing(expected);
    const rocksdb::Slice value = it->value();
    DS_RETURN_IF_ERROR(visit(node, absl::string_view(value.data(), value.size())));
    ++expected;
  }
  if (!it->status().ok()) {
    return absl::DataLossError(absl::StrCat("partition ", source.part_id(), ": scan of ", what,
                                            " records failed: ", it->status().ToString()));
  }
  if (expected != source.node_end()) return missing(expected);
  return absl::OkStatus();
}

constexpr const char* kSplitArrayNames[3] = {"split_nodes:train", "split_nodes:valid",
                                             "split_nodes:test"};

std::string FeatureArrayName(const FeatureSpec& spec) { return "feature:" + spec.name; }

// The meta record of a store of `source` holding its rows as asked.
pf::PartitionMeta HeldMeta(const RocksDbPartitionStore& source, bool hold_features_bfloat16) {
  return hold_features_bfloat16 ? MetaHeldAsBFloat16(source.meta()) : source.meta();
}

// The store's spans are read-only views of its region; while loading, the
// region is still writable and the loader fills it through them.
template <typename T>
T* Writable(absl::Span<const T> span) {
  return const_cast<T*>(span.data());
}

}  // namespace

MemoryPartitionStore::MemoryPartitionStore(pf::PartitionMeta meta,
                                           std::unique_ptr<MappedRegion> region)
    : PartitionStore(std::move(meta)), region_(std::move(region)) {}

std::vector<std::pair<std::string, uint64_t>> MemoryPartitionStore::ArraySizes(
    const pf::PartitionMeta& meta, const std::array<size_t, 3>& split_sizes) {
  const uint64_t n = static_cast<uint64_t>(meta.node_end - meta.node_begin);
  std::vector<std::pair<std::string, uint64_t>> sizes = {
      {"indptr", (n + 1) * sizeof(int64_t)},
      {"indices", static_cast<uint64_t>(meta.num_in_edges) * sizeof(int64_t)}};
  for (const FeatureSpec& spec : meta.node_features) {
    sizes.emplace_back(FeatureArrayName(spec), n * static_cast<uint64_t>(spec.row_bytes()));
  }
  sizes.emplace_back("labels", n * sizeof(int64_t));
  sizes.emplace_back("split_masks", n);
  for (int split = 0; split < 3; ++split) {
    sizes.emplace_back(kSplitArrayNames[split], split_sizes[split] * sizeof(int64_t));
  }
  return sizes;
}

absl::Status MemoryPartitionStore::BindArrays(const std::vector<SegmentArray>& arrays,
                                              const std::string& where) {
  std::array<size_t, 3> split_sizes;
  for (int split = 0; split < 3; ++split) {
    auto it = std::find_if(arrays.begin(), arrays.end(), [&](const SegmentArray& array) {
      return array.name == kSplitArrayNames[split];
    });
    split_sizes[split] = it == arrays.end() ? 0 : it->bytes / sizeof(int64_t);
  }
  const std::vector<std::pair<std::string, uint64_t>> expected = ArraySizes(meta(), split_sizes);
  std::vector<const char*> data;
  for (const auto& entry : expected) {
    // Named copies, not a structured binding: a lambda may not capture one
    // before C++20 (clang refuses it).
    const std::string& name = entry.first;
    const uint64_t bytes = entry.second;
    auto it = std::find_if(arrays.begin(), arrays.end(),
                           [&](const SegmentArray& array) { return array.name == name; });
    if (it == arrays.end()) {
      return absl::DataLossError(absl::StrCat(where, ": no array '", name, "'"));
    }
    if (it->bytes != bytes) {
      return absl::DataLossError(absl::StrCat(where, ": array '", name, "' has ", it->bytes,
                                              " bytes, expected ", bytes, " for partition ",
                                              part_id(), "'s ", num_nodes(), " nodes and ",
                                              meta().num_in_edges, " in-edges"));
    }
    data.push_back(region_->data() + it->offset);
  }
  auto int64s = [&](size_t index) {
    return absl::MakeConstSpan(reinterpret_cast<const int64_t*>(data[index]),
                               expected[index].second / sizeof(int64_t));
  };
  size_t index = 0;
  indptr_ = int64s(index++);
  indices_ = int64s(index++);
  features_.clear();
  for (size_t f = 0; f < meta().node_features.size(); ++f) {
    features_.push_back(absl::MakeConstSpan(data[index], expected[index].second));
    ++index;
  }
  labels_ = int64s(index++);
  split_masks_ =
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(data[index]), expected[index].second);
  ++index;
  for (int split = 0; split < 3; ++split) split_nodes_[split] = int64s(index++);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<MemoryPartitionStore>> MemoryPartitionStore::Load(
    const RocksDbPartitionStore& source, bool hold_features_bfloat16) {
  std::array<std::vector<int64_t>, 3> split_nodes;
  for (int split = 0; split < 3; ++split) {
    DS_ASSIGN_OR_RETURN(split_nodes[split], source.SplitNodes(split));
  }
  pf::PartitionMeta held = HeldMeta(source, hold_features_bfloat16);
  uint64_t bytes = 0;
  const std::vector<SegmentArray> arrays = LayOutSegment(
      ArraySizes(held, {split_nodes[0].size(), split_nodes[1].size(), split_nodes[2].size()}),
      &bytes);
  DS_ASSIGN_OR_RETURN(std::unique_ptr<MappedRegion> region, MappedRegion::Anonymous(bytes));
  return LoadInto(source, std::move(held), std::move(region), arrays, std::move(split_nodes));
}

absl::StatusOr<std::unique_ptr<MemoryPartitionStore>> MemoryPartitionStore::LoadIntoSharedSegment(
    const RocksDbPartitionStore& source, const std::string& dir, int server_id, mode_t file_mode,
    bool hold_features_bfloat16) {
  std::array<std::vector<int64_t>, 3> split_nodes;
  for (int split = 0; split < 3; ++split) {
    DS_ASSIGN_OR_RETURN(split_nodes[split], source.SplitNodes(split));
  }
  uint64_t bytes = 0;
  SegmentHeader header;
  header.meta = HeldMeta(source, hold_features_bfloat16);
  header.server_id = server_id;
  header.owner_pid = getpid();
  header.arrays = LayOutSegment(
      ArraySizes(header.meta,
                 {split_nodes[0].size(), split_nodes[1].size(), split_nodes[2].size()}),
      &bytes);
  std::vector<std::pair<uint64_t, uint64_t>> used = {{0, kSegmentHeaderBytes}};
  for (const SegmentArray& array : header.arrays) used.emplace_back(array.offset, array.bytes);
  DS_ASSIGN_OR_RETURN(
      std::unique_ptr<MappedRegion> region,
      MappedRegion::CreateFile(
          dir, NewSegmentName(source.meta().graph_name, source.part_id(), server_id), bytes, used,
          file_mode));
  MappedRegion* file = region.get();
  DS_ASSIGN_OR_RETURN(
      std::unique_ptr<MemoryPartitionStore> store,
      LoadInto(source, header.meta, std::move(region), header.arrays, std::move(split_nodes)));
  // The header last: a file is complete once it has one, and only then renamed.
  DS_RETURN_IF_ERROR(WriteSegmentHeader(header, file));
  // Sampling and pulls read the arrays at random: 2 MiB pages
  // (bench/results/dist_bench-shm-pages.md). CreateFile asked for them
  // already; this catches the blocks the kernel could not move then.
  file->CollapseIntoHugePages();
  DS_RETURN_IF_ERROR(file->Publish());
  // Loading wrote every page, so this is the whole segment's page size.
  store->published_huge_page_bytes_ = static_cast<int64_t>(file->HugePageBytes());
  return store;
}

absl::StatusOr<std::unique_ptr<MemoryPartitionStore>> MemoryPartitionStore::MapSharedSegment(
    const std::string& path, const PartitionConfig& config, int part) {
  if (part < 0 || part >= config.num_parts()) {
    return absl::InvalidArgumentError(absl::StrCat("partition ", part, " does not exist: graph '",
                                                   config.graph_name, "' has ", config.num_parts(),
                                                   " partitions"));
  }
  DS_ASSIGN_OR_RETURN(std::unique_ptr<MappedRegion> region, MappedRegion::MapReadOnly(path));
  DS_ASSIGN_OR_RETURN(const SegmentHeader header, ReadSegmentHeader(*region));
  const std::string where = absl::StrCat("shared-memory segment '", path, "'");
  DS_RETURN_IF_ERROR(CheckPartitionMeta(
      header.meta, config, part, where,
      "it was published by a server of another partitioning; point the trainer at the servers "
      "of this --part_config",
      HeldFeatureDtype::kAsStoredOrBFloat16));
  std::unique_ptr<MemoryPartitionStore> store(
      new MemoryPartitionStore(header.meta, std::move(region)));
  DS_RETURN_IF_ERROR(store->BindArrays(header.arrays, where));
  // Every read of this store trusts indptr and the split lists to stay
  // inside the arrays: check them once, here. (Neighbour IDs are only
  // returned, never used as offsets, so they need no check.)
  const absl::Span<const int64_t> indptr = store->indptr_;
  if (indptr.front() != 0 || indptr.back() != header.meta.num_in_edges) {
    return absl::DataLossError(absl::StrCat(where, ": indptr runs from ", indptr.front(), " to ",
                                            indptr.back(), ", not 0 to num_in_edges ",
                                            header.meta.num_in_edges));
  }
  for (size_t i = 1; i < indptr.size(); ++i) {
    if (indptr[i] < indptr[i - 1]) {
      return absl::DataLossError(
          absl::StrCat(where, ": indptr decreases at local node ", i - 1, "; the file is corrupt"));
    }
  }
  for (int split = 0; split < 3; ++split) {
    for (const int64_t node : store->split_nodes_[split]) {
      if (!store->Owns(node)) {
        return absl::DataLossError(absl::StrCat(where, ": ", pf::kSplitNames[split], " node ", node,
                                                " is outside the partition; the file is corrupt"));
      }
    }
  }
  return store;
}

SharedSegmentInfo MemoryPartitionStore::shared_segment() const {
  if (region_->path().empty()) return {};
  return {region_->path(), static_cast<int64_t>(region_->size()), published_huge_page_bytes_};
}

absl::StatusOr<std::unique_ptr<MemoryPartitionStore>> MemoryPartitionStore::LoadInto(
    const RocksDbPartitionStore& source, pf::PartitionMeta held,
    std::unique_ptr<MappedRegion> region, const std::vector<SegmentArray>& arrays,
    std::array<std::vector<int64_t>, 3> split_nodes) {
  std::unique_ptr<MemoryPartitionStore> store(
      new MemoryPartitionStore(std::move(held), std::move(region)));
  DS_RETURN_IF_ERROR(store->BindArrays(arrays, "partition memory"));
  auto corrupt = [&](const char* what, int64_t node) {
    return absl::DataLossError(absl::StrCat("partition ", source.part_id(), " ('", source.path(),
                                            "'): ", what, " record of node ", node,
                                            " has the wrong size"));
  };

  int64_t* indptr = Writable(store->indptr_);
  int64_t* indices = Writable(store->indices_);
  const size_t num_in_edges = store->indices_.size();
  size_t num_edges = 0;
  size_t local = 0;
  indptr[0] = 0;
  DS_RETURN_IF_ERROR(
      ScanNodeRecords(source, std::string(1, pf::kAdjacencyPrefix), "in-neighbour",
                      [&](int64_t node, absl::string_view value) {
                        if (value.size() % sizeof(int64_t) != 0)
                          return corrupt("in-neighbour", node);
                        const size_t count = value.size() / sizeof(int64_t);
                        if (count > num_in_edges - num_edges) {
                          return absl::DataLossError(absl::StrCat(
                              "partition ", source.part_id(), " ('", source.path(),
                              "'): more in-edges than the ", num_in_edges,
                              " its meta record counts; the partition is corrupt, rerun "
                              "partition_graph"));
                        }
                        if (count != 0)
                          std::memcpy(indices + num_edges, value.data(), value.size());
                        num_edges += count;
                        indptr[++local] = static_cast<int64_t>(num_edges);
                        return absl::OkStatus();
                      }));
  if (num_edges != num_in_edges) {
    return absl::DataLossError(absl::StrCat("partition ", source.part_id(), " ('", source.path(),
                                            "'): ", num_edges, " in-edges, its meta record counts ",
                                            num_in_edges, "; rerun partition_graph"));
  }

  for (size_t f = 0; f < source.meta().node_features.size(); ++f) {
    const FeatureSpec& stored = source.meta().node_features[f];
    const FeatureSpec& held_as = store->meta().node_features[f];
    const bool rounded = held_as.stored_bfloat16() && !stored.stored_bfloat16();
    char* matrix = Writable(store->features_[f]);
    const size_t row_bytes = stored.row_bytes();
    const size_t held_row_bytes = held_as.row_bytes();
    DS_RETURN_IF_ERROR(ScanNodeRecords(source, pf::FeatureKeyPrefix(stored.name), "feature",
                                       [&](int64_t node, absl::string_view v) {
                                         if (v.size() != row_bytes) return corrupt("feature", node);
                                         char* row = matrix + store->Local(node) * held_row_bytes;
                                         if (rounded) {
                                           ReadStoredRow(v.data(), /*stored_bfloat16=*/false,
                                                         static_cast<size_t>(stored.dim),
                                                         reinterpret_cast<uint16_t*>(row));
                                         } else {
                                           std::memcpy(row, v.data(), row_bytes);
                                         }
                                         return absl::OkStatus();
                                       }));
  }

  int64_t* labels = Writable(store->labels_);
  DS_RETURN_IF_ERROR(ScanNodeRecords(source, std::string(1, pf::kLabelPrefix), "label",
                                     [&](int64_t node, absl::string_view value) {
                                       if (value.size() != sizeof(int64_t)) {
                                         return corrupt("label", node);
                                       }
                                       std::memcpy(&labels[store->Local(node)], value.data(),
                                                   sizeof(int64_t));
                                       return absl::OkStatus();
                                     }));

  uint8_t* split_masks = Writable(store->split_masks_);
  DS_RETURN_IF_ERROR(ScanNodeRecords(source, std::string(1, pf::kSplitPrefix), "split",
                                     [&](int64_t node, absl::string_view value) {
                                       if (value.size() != 1) return corrupt("split", node);
                                       split_masks[store->Local(node)] =
                                           static_cast<uint8_t>(value[0]);
                                       return absl::OkStatus();
                                     }));

  for (int split = 0; split < 3; ++split) {
    if (!split_nodes[split].empty()) {
      std::memcpy(Writable(store->split_nodes_[split]), split_nodes[split].data(),
                  split_nodes[split].size() * sizeof(int64_t));
    }
  }
  return store;
}

absl::Status MemoryPartitionStore::DoGetInNeighbors(absl::Span<const int64_t> nodes,
                                                    AdjacencyLists* out) const {
  out->lists.resize(nodes.size());
  constexpr size_t kPrefetchDistance = 16;  // indptr_ is read at random too.
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (i + kPrefetchDistance < nodes.size()) {
      __builtin_prefetch(&indptr_[Local(nodes[i + kPrefetchDistance])]);
    }
    const size_t local = Local(nodes[i]);
    out->lists[i] =
        absl::MakeConstSpan(indices_.data() + indptr_[local], indptr_[local + 1] - indptr_[local]);
  }
  return absl::OkStatus();
}

template <typename T>
absl::Status MemoryPartitionStore::GatherFeatureRows(const FeatureSpec& spec,
                                                     absl::Span<const int64_t> ids, T* out) const {
  const size_t index = static_cast<size_t>(&spec - meta().node_features.data());
  const char* matrix = features_[index].data();
  const size_t dim = static_cast<size_t>(spec.dim);
  const size_t row_bytes = spec.row_bytes();
  const bool stored_bfloat16 = spec.stored_bfloat16();
  // Rows are read in random order, which the hardware prefetcher cannot
  // follow: request each row's cache lines a few rows before reading it.
  // That read is where the time goes, so bfloat16 rows (half the lines)
  // are widened here, on the way into `out`, not copied first.
  constexpr size_t kPrefetchDistance = 8;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i + kPrefetchDistance < ids.size()) {
      PrefetchBytes(matrix + Local(ids[i + kPrefetchDistance]) * row_bytes, row_bytes);
    }
    ReadStoredRow(matrix + Local(ids[i]) * row_bytes, stored_bfloat16, dim, out + i * dim);
  }
  return absl::OkStatus();
}

absl::Status MemoryPartitionStore::DoGatherFeatures(const FeatureSpec& spec,
                                                    absl::Span<const int64_t> ids,
                                                    float* out) const {
  return GatherFeatureRows(spec, ids, out);
}

absl::Status MemoryPartitionStore::DoGatherFeaturesBFloat16(const FeatureSpec& spec,
                                                            absl::Span<const int64_t> ids,
                                                            uint16_t* out) const {
  return GatherFeatureRows(spec, ids, out);
}

template <typename T>
absl::Status MemoryPartitionStore::RowAddresses(const FeatureSpec& spec,
                                                absl::Span<const int64_t> ids,
                                                const T** out) const {
  if (spec.stored_bfloat16() != std::is_same_v<T, uint16_t>) {
    return PartitionStore::DoFeatureRowAddresses(spec, ids, out);
  }
  const size_t index = static_cast<size_t>(&spec - meta().node_features.data());
  const T* matrix = reinterpret_cast<const T*>(features_[index].data());
  const size_t dim = static_cast<size_t>(spec.dim);
  for (size_t i = 0; i < ids.size(); ++i) out[i] = matrix + Local(ids[i]) * dim;
  return absl::OkStatus();
}

absl::Status MemoryPartitionStore::DoFeatureRowAddresses(const FeatureSpec& spec,
                                                         absl::Span<const int64_t> ids,
                                                         const float** out) const {
  return RowAddresses(spec, ids, out);
}

absl::Status MemoryPartitionStore::DoFeatureRowAddresses(const FeatureSpec& spec,
                                                         absl::Span<const int64_t> ids,
                                                         const uint16_t** out) const {
  return RowAddresses(spec, ids, out);
}

absl::Status MemoryPartitionStore::DoGatherLabels(absl::Span<const int64_t> ids,
                                                  int64_t* out) const {
  for (size_t i = 0; i < ids.size(); ++i) out[i] = labels_[Local(ids[i])];
  return absl::OkStatus();
}

absl::Status MemoryPartitionStore::DoGatherSplitMasks(absl::Span<const int64_t> ids,
                                                      uint8_t* out) const {
  for (size_t i = 0; i < ids.size(); ++i) out[i] = split_masks_[Local(ids[i])];
  return absl::OkStatus();
}

absl::Status MemoryPartitionStore::DoGatherInDegrees(absl::Span<const int64_t> ids,
                                                     int64_t* out) const {
  for (size_t i = 0; i < ids.size(); ++i) {
    const size_t local = Local(ids[i]);
    out[i] = indptr_[local + 1] - indptr_[local];
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int64_t>> MemoryPartitionStore::DoSplitNodes(int split_index) const {
  const absl::Span<const int64_t> nodes = split_nodes_[split_index];
  return std::vector<int64_t>(nodes.begin(), nodes.end());
}

}  // namespace distsage
